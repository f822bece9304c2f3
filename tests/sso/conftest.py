"""A real OpenID Connect provider beside the test process, and a browser made of requests.

`oidc_provider` starts the test provider (tests/sso/oidc_provider: django-oauth-toolkit
in its own Django project, SQLite in a temporary folder) once per test session (per
xdist worker), on 127.0.0.1 and a free port; our app runs in pytest-django's
`live_server` on localhost, so the two hosts keep their cookies apart as two sites
would. Users and client applications are put per test through the provider's setup
endpoint, which exists only because the provider is started with IDP_SETUP_TOKEN.

`Browser` follows redirects and posts forms like a browser, and nothing more: every
step of the protocol (authorization request, PKCE, state, nonce, code exchange, ID
token checks) is the real one between allauth and the provider.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests

from tests.conftest import skip_or_fail

ROOT = Path(__file__).resolve().parents[2]
IDP_SETTINGS = "tests.sso.oidc_provider.settings"
IDP_PASSWORD = "idp-password-of-every-test-user"
CLIENT_SECRET = "client-secret-of-every-test-app"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class OIDCProvider:
    """The running test provider: its addresses and its setup endpoint."""

    url: str
    setup_token: str

    @property
    def issuer(self) -> str:
        return f"{self.url}/o"

    def setup(self, *, users: Sequence[dict] = (), clients: Sequence[dict] = ()) -> None:
        response = requests.post(
            f"{self.url}/testing/setup/",
            json={"users": list(users), "clients": list(clients)},
            headers={"Authorization": f"Bearer {self.setup_token}"},
            timeout=10,
        )
        response.raise_for_status()

    def put_user(
        self, username: str, *, email: str | None = None, groups: tuple[str, ...] = (), **names
    ) -> str:
        """A user at the provider with exactly these groups; returns the username.
        `email=""` makes a user whose tokens carry no email claim."""
        self.setup(
            users=[
                {
                    "username": username,
                    "password": IDP_PASSWORD,
                    "email": f"{username}@example.com" if email is None else email,
                    "groups": list(groups),
                    **names,
                }
            ]
        )
        return username

    def put_client(
        self, client_id: str, *, redirect_uri: str, quirk: str | None = None
    ) -> tuple[str, str]:
        """A client application; returns (client_id, secret)."""
        self.setup(
            clients=[
                {
                    "client_id": client_id,
                    "client_secret": CLIENT_SECRET,
                    "redirect_uris": [redirect_uri],
                    "quirk": quirk,
                }
            ]
        )
        return client_id, CLIENT_SECRET


def _idp_env(data_dir: Path, token: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env.update(
        DJANGO_SETTINGS_MODULE=IDP_SETTINGS,
        IDP_DATA_DIR=str(data_dir),
        IDP_SETUP_TOKEN=token,
        PYTHONPATH=str(ROOT),
    )
    return env


def _discovery_answers(url: str) -> bool:
    try:
        return requests.get(f"{url}/o/.well-known/openid-configuration", timeout=1).ok
    except requests.RequestException:
        return False


@pytest.fixture(scope="session", name="oidc_provider")
def _oidc_provider(tmp_path_factory) -> Iterator[OIDCProvider]:
    """The test OIDC provider, running for the whole session."""
    data_dir = tmp_path_factory.mktemp("oidc-provider")
    token = secrets.token_urlsafe(24)
    env = _idp_env(data_dir, token)
    python = [sys.executable, "-m", "django"]
    migrated = subprocess.run(
        [*python, "migrate", "--no-input", "-v0"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if migrated.returncode != 0:
        pytest.fail(f"the test OIDC provider did not migrate:\n{migrated.stderr}")
    port = free_port()
    log_path = data_dir / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*python, "runserver", f"127.0.0.1:{port}", "--noreload", "--skip-checks"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    provider = OIDCProvider(url=f"http://127.0.0.1:{port}", setup_token=token)
    try:
        deadline = time.monotonic() + 30
        while not _discovery_answers(provider.url):
            if process.poll() is not None or time.monotonic() > deadline:
                skip_or_fail(
                    "the test OIDC provider did not start:\n" + log_path.read_text()[-3000:]
                )
            time.sleep(0.1)
        yield provider
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture
def fetches(monkeypatch) -> list[str]:
    """The addresses fetched with `requests.get` during the test, in order (our set-up
    checks fetch the issuer's discovery document and SAML metadata so). Each fetch is
    still the real one, to the real test provider."""
    seen: list[str] = []
    real_get = requests.get

    def counted_get(url, *args, **kwargs):
        seen.append(url)
        return real_get(url, *args, **kwargs)

    monkeypatch.setattr(requests, "get", counted_get)
    return seen


# --- A browser made of requests ---------------------------------------------------------


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    buttons: list[str] = field(default_factory=list)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self._in_form = False
        self._button: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("action", ""), a.get("method", "get").lower()))
            self._in_form = True
        elif self._in_form and tag == "input" and a.get("name"):
            if a.get("type") not in {"submit", "checkbox", "radio"} or "checked" in a:
                self.forms[-1].fields[a["name"]] = a.get("value", "")
        elif self._in_form and tag == "button":
            self._button = []
            if a.get("name"):
                self.forms[-1].fields[a["name"]] = a.get("value", "")

    def handle_data(self, data: str) -> None:
        if self._button is not None:
            self._button.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False
        elif tag == "button" and self._button is not None:
            self.forms[-1].buttons.append(" ".join("".join(self._button).split()))
            self._button = None


def forms_of(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


class Browser:
    """A requests session that submits the forms of the page it is on."""

    def __init__(self) -> None:
        self.session = requests.Session()
        self.response: requests.Response | None = None

    @property
    def url(self) -> str:
        assert self.response is not None
        return self.response.url

    @property
    def text(self) -> str:
        assert self.response is not None
        return self.response.text

    def get(self, url: str) -> requests.Response:
        self.response = self.session.get(url, timeout=20)
        return self.response

    def form(self, *, action_contains: str = "", button: str = "") -> Form:
        """The page's first form whose action contains `action_contains` and that has a
        button with `button` in its text."""
        for form in forms_of(self.text):
            if action_contains in urljoin(self.url, form.action) and (
                not button or any(button in text for text in form.buttons)
            ):
                return form
        raise AssertionError(
            f"no form (action ~ {action_contains!r}, button ~ {button!r}) on {self.url}:\n"
            + self.text[:3000]
        )

    def submit(self, form: Form, **values: str) -> requests.Response:
        url = urljoin(self.url, form.action or self.url)
        data = {**form.fields, **values}
        # Django checks the Referer of HTTPS posts only; sent anyway, as a browser would.
        headers = {"Referer": self.url}
        if form.method == "post":
            self.response = self.session.post(url, data=data, headers=headers, timeout=20)
        else:
            self.response = self.session.get(url, params=data, headers=headers, timeout=20)
        return self.response


@pytest.fixture
def browser_session() -> Iterator[Browser]:
    browser = Browser()
    yield browser
    browser.session.close()


# --- A SAML 2.0 identity provider -------------------------------------------------------


@pytest.fixture(scope="session", name="saml_idp")
def _saml_idp(tmp_path_factory):
    """The test SAML IdP (tests/sso/saml_idp: pysaml2 signing with xmlsec1), served in a
    thread of this process for the whole session, with keys made at its start."""
    if shutil.which("xmlsec1") is None:
        skip_or_fail("the SAML tests need xmlsec1 (Debian: apt-get install xmlsec1)")
    from tests.sso.saml_idp.idp import SAMLIdP, serve

    folder = tmp_path_factory.mktemp("saml-idp")
    idp = SAMLIdP(folder)
    httpd, thread = serve(idp)
    try:
        yield idp
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)

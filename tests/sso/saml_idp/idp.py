"""A SAML 2.0 identity provider for the tests, made with pysaml2 (`saml2.server.Server`,
signatures by Debian's `xmlsec1`), served over HTTP by a WSGI server in a thread of the
test process.

What a real IdP does, it does: it parses and checks the service provider's
AuthnRequest (HTTP-Redirect binding) against the SP's metadata (which the tests fetch
from our app, as a customer registers PartnerHub at their IdP), shows a login form,
and answers with a Response whose Assertion is signed (RSA-SHA256) by the key its
metadata publishes, POSTed to the SP's assertion consumer service by an auto-submitting
form (HTTP-POST binding). The per-SP quirks of `quirks.py` break one thing each.

Users and service providers are put from the test process (`put_user`, `register_sp`);
nothing is persisted.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import html
import threading
from dataclasses import dataclass, field
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import requests
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, md, saml
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor
from saml2.s_utils import UnknownPrincipal, UnsupportedBinding
from saml2.saml import NAMEID_FORMAT_PERSISTENT, NameID
from saml2.server import Server
from saml2.sigver import pre_signature_part
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

from tests.sso.saml_idp import quirks
from tests.sso.saml_idp.keys import KeyPair, key_pair

PASSWORD = "idp-password-of-every-test-user"

# How an IdP names the attributes it sends: Okta's defaults (basic names, which an admin
# types in the app's attribute statements), and Microsoft Entra ID's claim URIs.
ATTRIBUTE_NAMES = {
    "okta": {
        "email": "email",
        "given_name": "firstName",
        "family_name": "lastName",
        "groups": "groups",
    },
    "entra": {
        "email": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
        "given_name": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
        "family_name": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
        "groups": "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups",
    },
}


@dataclass
class User:
    username: str
    email: str
    groups: list[str]
    given_name: str = ""
    family_name: str = ""


@dataclass
class ServiceProvider:
    entity_id: str
    quirk: str | None
    attribute_names: dict[str, str]


@dataclass
class SAMLIdP:
    """The running test IdP. `url` is its base address; its entity ID is its metadata
    address."""

    folder: Path
    url: str = ""
    users: dict[str, User] = field(default_factory=dict)
    service_providers: dict[str, ServiceProvider] = field(default_factory=dict)
    # The last Response it sent (base64, as POSTed): the replay tests post it again.
    last_response: str = ""

    def __post_init__(self) -> None:
        self.signing: KeyPair = key_pair(self.folder, "signing", common_name="Test IdP")
        self.foreign: KeyPair = key_pair(self.folder, "foreign", common_name="Test IdP")
        # Attributes keep the names we give them: pysaml2's own maps would rename
        # "email" to an urn:mace name, so its map folder holds one map, name to itself.
        maps = self.folder / "attribute-maps"
        maps.mkdir(exist_ok=True)
        names = sorted({name for names in ATTRIBUTE_NAMES.values() for name in names.values()})
        same = {name: name for name in names}
        (maps / "test_idp_attribute_names.py").write_text(
            f"MAP = {{'identifier': {saml.NAME_FORMAT_BASIC!r}, 'fro': {same!r}, 'to': {same!r}}}\n"
        )
        self._lock = threading.Lock()
        self._sp_metadata: list[str] = []
        self._server: Server | None = None

    @property
    def entity_id(self) -> str:
        return f"{self.url}/metadata"

    @property
    def sso_url(self) -> str:
        return f"{self.url}/sso"

    @property
    def metadata_url(self) -> str:
        return self.entity_id

    @property
    def cert(self) -> str:
        """The signing certificate, as an IdP's setup page shows it (base64 DER)."""
        return self.signing.cert_base64

    def config(self) -> IdPConfig:
        conf = IdPConfig()
        conf.load(
            {
                "entityid": self.entity_id,
                "service": {
                    "idp": {
                        "endpoints": {
                            "single_sign_on_service": [(self.sso_url, BINDING_HTTP_REDIRECT)]
                        },
                        "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                        "policy": {
                            "default": {
                                "lifetime": {"minutes": 5},
                                "name_form": saml.NAME_FORMAT_BASIC,
                            }
                        },
                        "want_authn_requests_signed": False,
                    }
                },
                "key_file": str(self.signing.key_file),
                "cert_file": str(self.signing.cert_file),
                "xmlsec_binary": "/usr/bin/xmlsec1",
                "attribute_map_dir": str(self.folder / "attribute-maps"),
                "metadata": {"inline": list(self._sp_metadata)},
            }
        )
        return conf

    def metadata_xml(self) -> str:
        return str(entity_descriptor(self.config()))

    # --- set up from the tests ------------------------------------------------------------

    def put_user(
        self,
        username: str,
        *,
        email: str | None = None,
        groups: tuple[str, ...] = (),
        given_name: str = "",
        family_name: str = "",
    ) -> str:
        """A user with exactly these groups; `email=""`: no email attribute is sent."""
        self.users[username] = User(
            username,
            f"{username}@example.com" if email is None else email,
            list(groups),
            given_name,
            family_name,
        )
        return username

    def register_sp(
        self, metadata_url: str, *, quirk: str | None = None, attributes: str = "okta"
    ) -> str:
        """Trust the service provider whose metadata answers at `metadata_url` (fetched
        now, as an IdP admin uploads it); returns its entity ID."""
        if quirk is not None and quirk not in quirks.QUIRKS:
            raise ValueError(f"unknown quirk {quirk!r}")
        response = requests.get(metadata_url, timeout=10)
        response.raise_for_status()
        with self._lock:
            self._sp_metadata.append(response.text)
            self._server = Server(config=self.config())
            entity_id = _entity_id_of(response.text)
            self.service_providers[entity_id] = ServiceProvider(
                entity_id, quirk, ATTRIBUTE_NAMES[attributes]
            )
        return entity_id

    # --- the protocol -------------------------------------------------------------------

    @property
    def server(self) -> Server:
        with self._lock:
            if self._server is None:
                self._server = Server(config=self.config())
            return self._server

    def parse_request(self, saml_request: str):
        """The SP's AuthnRequest, checked: its issuer must be a registered SP and its
        assertion consumer service one of that SP's metadata."""
        return self.server.parse_authn_request(saml_request, BINDING_HTTP_REDIRECT)

    def response_for(self, saml_request: str, user: User) -> tuple[str, str]:
        """(the ACS URL, the base64 Response) answering this request for this user."""
        server = self.server
        request = self.parse_request(saml_request).message
        sp = self.service_providers[request.issuer.text]
        args = server.response_args(request, [BINDING_HTTP_POST])
        names = sp.attribute_names
        identity: dict[str, list[str]] = {}
        if user.email:
            identity[names["email"]] = [user.email]
        if user.given_name:
            identity[names["given_name"]] = [user.given_name]
        if user.family_name:
            identity[names["family_name"]] = [user.family_name]
        if user.groups:
            identity[names["groups"]] = list(user.groups)
        response = server.create_authn_response(
            identity,
            in_response_to=None if sp.quirk == quirks.UNSOLICITED else args["in_response_to"],
            destination=args["destination"],
            sp_entity_id=args["sp_entity_id"],
            name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=user.username),
            authn={"class_ref": saml.AUTHN_PASSWORD_PROTECTED},
            sign_assertion=False,
            sign_response=False,
        )
        xml = self._with_quirk(server, response, sp.quirk, email_attribute=names["email"])
        return args["destination"], base64.b64encode(xml.encode()).decode()

    def _with_quirk(self, server: Server, response, quirk: str | None, *, email_attribute: str):
        response = copy.deepcopy(response)
        assertion = response.assertion
        if quirk == quirks.WRONG_ISSUER:
            response.issuer.text = quirks.WRONG_ISSUER_ENTITY_ID
            assertion.issuer.text = quirks.WRONG_ISSUER_ENTITY_ID
        if quirk == quirks.EXPIRED:
            past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
            stamp = past.strftime("%Y-%m-%dT%H:%M:%SZ")
            before = (past - dt.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
            assertion.conditions.not_on_or_after = stamp
            assertion.conditions.not_before = before
            for confirmation in assertion.subject.subject_confirmation:
                confirmation.subject_confirmation_data.not_on_or_after = stamp
        if quirk == quirks.UNSIGNED:
            return str(response)
        pair = self.foreign if quirk == quirks.FOREIGN_KEY else self.signing
        assertion.signature = pre_signature_part(
            assertion.id,
            public_key=pair.cert_base64,
            digest_alg=DIGEST_SHA256,
            sign_alg=SIG_RSA_SHA256,
        )
        signed = server.sec.sign_statement(
            str(response),
            node_name=f"{saml.NAMESPACE}:Assertion",
            key_file=str(pair.key_file),
            node_id=assertion.id,
        )
        if quirk == quirks.TAMPERED:
            email = next(
                attribute.attribute_value[0].text
                for statement in assertion.attribute_statement
                for attribute in statement.attribute
                if attribute.name == email_attribute
            )
            signed = signed.replace(f">{email}<", f">{quirks.TAMPERED_EMAIL}<")
        return signed

    # --- HTTP ---------------------------------------------------------------------------

    def wsgi(self, environ: dict[str, Any], start_response) -> list[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if method == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            params = parse_qs(environ["wsgi.input"].read(length).decode())
        else:
            params = parse_qs(environ.get("QUERY_STRING", ""))
        values = {key: value[0] for key, value in params.items()}
        try:
            if path == "/metadata" and method == "GET":
                return _answer(start_response, "200 OK", self.metadata_xml(), "text/xml")
            if path == "/sso" and method == "GET":
                self.parse_request(values["SAMLRequest"])
                return _answer(start_response, "200 OK", _login_page(values, error=""))
            if path == "/sso/login" and method == "POST":
                return self._login(start_response, values)
        except (KeyError, UnknownPrincipal, UnsupportedBinding, ValueError) as error:
            return _answer(start_response, "400 Bad Request", f"Bad SAML request: {error!r}")
        return _answer(start_response, "404 Not Found", "Not found")

    def _login(self, start_response, values: dict[str, str]) -> list[bytes]:
        user = self.users.get(values.get("username", ""))
        if user is None or values.get("password") != PASSWORD:
            page = _login_page(values, error="Wrong username or password.")
            return _answer(start_response, "200 OK", page)
        acs_url, saml_response = self.response_for(values["SAMLRequest"], user)
        self.last_response = saml_response
        return _answer(
            start_response,
            "200 OK",
            _post_page(acs_url, saml_response, values.get("RelayState", "")),
        )


def _entity_id_of(metadata_xml: str) -> str:
    return md.entity_descriptor_from_string(metadata_xml).entity_id


def _answer(start_response, status: str, body: str, content_type: str = "text/html") -> list[bytes]:
    data = body.encode()
    headers = [("Content-Type", f"{content_type}; charset=utf-8")]
    start_response(status, [*headers, ("Content-Length", str(len(data)))])
    return [data]


def _hidden(name: str, value: str) -> str:
    return f'<input type="hidden" name="{name}" value="{html.escape(value)}">'


def _login_page(values: dict[str, str], *, error: str) -> str:
    return (
        "<!doctype html><title>Test IdP: sign in</title><h1>Test IdP</h1>"
        f"<p>{html.escape(error)}</p>"
        '<form method="post" action="/sso/login">'
        + _hidden("SAMLRequest", values.get("SAMLRequest", ""))
        + _hidden("RelayState", values.get("RelayState", ""))
        + '<input name="username"><input name="password" type="password">'
        "<button>Sign in</button></form>"
    )


def _post_page(acs_url: str, saml_response: str, relay_state: str) -> str:
    # The HTTP-POST binding: a form the browser submits to the SP (scripted, as IdPs do).
    return (
        "<!doctype html><title>Test IdP: continue</title>"
        '<body onload="document.forms[0].submit()">'
        f'<form method="post" action="{html.escape(acs_url)}">'
        + _hidden("SAMLResponse", saml_response)
        + _hidden("RelayState", relay_state)
        + "<button>Continue</button></form></body>"
    )


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


def serve(idp: SAMLIdP) -> tuple[_ThreadingWSGIServer, threading.Thread]:
    """Serve the IdP on 127.0.0.1 and a free port, in a daemon thread; sets `idp.url`."""
    httpd = make_server(
        "127.0.0.1", 0, idp.wsgi, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
    )
    idp.url = f"http://127.0.0.1:{httpd.server_port}"
    thread = threading.Thread(target=httpd.serve_forever, name="saml-idp", daemon=True)
    thread.start()
    return httpd, thread

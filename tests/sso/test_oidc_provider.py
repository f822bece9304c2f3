"""The test provider itself: what it publishes signs its normal ID tokens, and each quirk
breaks exactly what it names, so a refusal in the round trips is refused for that reason.

This drives the authorization-code flow with PKCE by hand, as a client would."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
import requests

from tests.sso.conftest import IDP_PASSWORD, Browser
from tests.sso.oidc_provider import quirks

REDIRECT_URI = "http://localhost:9/callback/"


def id_token_and_userinfo(oidc_provider, client_id: str, secret: str, username: str):
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    browser = Browser()
    browser.get(
        f"{oidc_provider.issuer}/authorize/?"
        + requests.compat.urlencode(
            {
                "client_id": client_id,
                "response_type": "code",
                "scope": "openid profile email",
                "redirect_uri": REDIRECT_URI,
                "code_challenge": challenge.rstrip(b"=").decode(),
                "code_challenge_method": "S256",
                "state": "state-1",
                "nonce": "nonce-1",
            }
        )
    )
    assert urlparse(browser.url).path == "/login/"  # the provider's login page
    login = browser.form(button="Sign in")
    response = browser.session.post(
        browser.url, data={**login.fields, "username": username, "password": IDP_PASSWORD},
        allow_redirects=False, timeout=10,
    )  # fmt: skip
    response = browser.session.get(
        oidc_provider.url + response.headers["Location"], allow_redirects=False, timeout=10
    )
    callback = urlparse(response.headers["Location"])  # no consent screen: straight back
    assert callback._replace(query="").geturl() == REDIRECT_URI
    code = parse_qs(callback.query)["code"][0]
    tokens = requests.post(
        f"{oidc_provider.issuer}/token/",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "client_id": client_id,
            "client_secret": secret,
            "code_verifier": verifier,
        },
        timeout=10,
    ).json()
    userinfo = requests.get(
        f"{oidc_provider.issuer}/userinfo/",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=10,
    ).json()
    return tokens["id_token"], userinfo


def verify(oidc_provider, id_token: str, audience: str) -> dict:
    """What a careful client checks: signature by a published key, issuer, audience, expiry."""
    discovery = requests.get(
        f"{oidc_provider.issuer}/.well-known/openid-configuration", timeout=10
    ).json()
    keys = requests.get(discovery["jwks_uri"], timeout=10).json()["keys"]
    kid = jwt.get_unverified_header(id_token)["kid"]
    (published,) = [k for k in keys if k["kid"] == kid]
    return jwt.decode(
        id_token,
        key=jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(published)),
        algorithms=["RS256"],
        audience=audience,
        issuer=discovery["issuer"],
    )


def test_the_provider_signs_the_claims_it_publishes(oidc_provider):
    client_id, secret = oidc_provider.put_client("provider-check", redirect_uri=REDIRECT_URI)
    oidc_provider.put_user(
        "gina", email="gina@vendor.example", groups=("partnerhub-finance", "everyone")
    )

    id_token, userinfo = id_token_and_userinfo(oidc_provider, client_id, secret, "gina")

    claims = verify(oidc_provider, id_token, client_id)
    assert claims["iss"] == oidc_provider.issuer
    assert claims["nonce"] == "nonce-1"
    for answer in (claims, userinfo):
        assert answer["email"] == "gina@vendor.example"
        assert answer["email_verified"] is True
        assert answer["groups"] == ["everyone", "partnerhub-finance"]


def test_a_user_without_an_email_address_gets_no_email_claim(oidc_provider):
    client_id, secret = oidc_provider.put_client("provider-check", redirect_uri=REDIRECT_URI)
    oidc_provider.put_user("nomail", email="")

    id_token, userinfo = id_token_and_userinfo(oidc_provider, client_id, secret, "nomail")

    assert "email" not in verify(oidc_provider, id_token, client_id)
    assert "email" not in userinfo


@pytest.mark.parametrize(
    ("quirk", "error"),
    [
        (quirks.EXPIRED_ID_TOKEN, jwt.ExpiredSignatureError),
        (quirks.FOREIGN_SIGNING_KEY, jwt.InvalidSignatureError),
        (quirks.WRONG_ISSUER, jwt.InvalidIssuerError),
    ],
)
def test_each_quirk_breaks_the_id_token_as_named(oidc_provider, quirk, error):
    client_id, secret = oidc_provider.put_client(
        f"provider-{quirk}", redirect_uri=REDIRECT_URI, quirk=quirk
    )
    oidc_provider.put_user("gina", email="gina@vendor.example")

    id_token, _userinfo = id_token_and_userinfo(oidc_provider, client_id, secret, "gina")

    with pytest.raises(error):
        verify(oidc_provider, id_token, client_id)

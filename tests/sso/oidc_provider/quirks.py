"""Deliberate faults a client application of the test provider can ask for.

A quirk is written at the end of the application's name, "Acme SSO [expired-id-token]",
by `accounts.client_put(quirk=...)`: one running provider serves well-behaved and faulty
clients side by side, so each test picks the fault it needs.
"""

from __future__ import annotations

import re

EXPIRED_ID_TOKEN = "expired-id-token"  # the ID token's `exp` lies ten minutes in the past
FOREIGN_SIGNING_KEY = "foreign-signing-key"  # signed with a key the JWKS does not publish
WRONG_ISSUER = "wrong-issuer"  # the ID token's `iss` is not the discovery document's issuer
QUIRKS = (EXPIRED_ID_TOKEN, FOREIGN_SIGNING_KEY, WRONG_ISSUER)

WRONG_ISSUER_URL = "https://impostor.example/o"
_SUFFIX = re.compile(r" \[([a-z-]+)\]$")


def named(name: str, quirk: str | None) -> str:
    if quirk is None:
        return name
    if quirk not in QUIRKS:
        raise ValueError(f"unknown quirk {quirk!r}; one of {', '.join(QUIRKS)}")
    return f"{name} [{quirk}]"


def quirk_of(application) -> str | None:
    match = _SUFFIX.search(application.name or "") if application is not None else None
    return match.group(1) if match else None

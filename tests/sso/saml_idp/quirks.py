"""Deliberate faults of the test IdP, chosen per service provider it serves
(`SAMLIdP.register_sp(..., quirk=...)`): one running IdP serves well-behaved and faulty
service providers side by side, so each test picks the fault it needs."""

from __future__ import annotations

UNSIGNED = "unsigned"  # neither the assertion nor the response is signed
FOREIGN_KEY = "foreign-key"  # signed with a key the IdP does not publish (a forger's)
TAMPERED = "tampered"  # signed, then the email attribute changed (a forged assertion)
EXPIRED = "expired"  # NotOnOrAfter (conditions, subject confirmation) ten minutes ago
WRONG_ISSUER = "wrong-issuer"  # signed by the IdP's key, but issued as another entity
# signed and valid, but answering no request (IdP-initiated: no InResponseTo)
UNSOLICITED = "unsolicited"
QUIRKS = (UNSIGNED, FOREIGN_KEY, TAMPERED, EXPIRED, WRONG_ISSUER, UNSOLICITED)

WRONG_ISSUER_ENTITY_ID = "https://impostor.example/saml/metadata"
TAMPERED_EMAIL = "ceo@vendor.example"

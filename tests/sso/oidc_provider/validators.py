"""The provider's claims: what Okta or Entra ID send once configured for groups.

The ID token and the userinfo answer carry `email` and `email_verified` (left out when
the user has no email address, for the "missing email" case), names, and `groups`: the
names of the user's Django groups, always (PartnerHub asks for the scopes
openid, profile, email; an IdP configured to send groups sends them with the ID token).
"""

from __future__ import annotations

import json
import time

from django.conf import settings
from jwcrypto import jwk, jws, jwt
from oauth2_provider.oauth2_validators import OAuth2Validator

from tests.sso.oidc_provider import quirks


class ClaimsValidator(OAuth2Validator):
    oidc_claim_scope = {**OAuth2Validator.oidc_claim_scope, "groups": "openid"}

    def get_additional_claims(self, request):
        user = request.user
        claims = {
            "preferred_username": user.username,
            "name": user.get_full_name() or user.username,
            "given_name": user.first_name,
            "family_name": user.last_name,
            "groups": sorted(user.groups.values_list("name", flat=True)),
        }
        if user.email:
            claims["email"] = user.email
            claims["email_verified"] = True
        return claims

    def get_id_token_dictionary(self, token, token_handler, request):
        claims, expiration_time = super().get_id_token_dictionary(token, token_handler, request)
        if quirks.quirk_of(request.client) == quirks.EXPIRED_ID_TOKEN:
            claims["exp"] = int(time.time()) - 600
        return claims, expiration_time

    def get_oidc_issuer_endpoint(self, request):
        if quirks.quirk_of(request.client) == quirks.WRONG_ISSUER:
            return quirks.WRONG_ISSUER_URL
        return super().get_oidc_issuer_endpoint(request)

    def finalize_id_token(self, id_token, token, token_handler, request):
        signed = super().finalize_id_token(id_token, token, token_handler, request)
        if quirks.quirk_of(request.client) != quirks.FOREIGN_SIGNING_KEY:
            return signed
        # The same header (the published key's kid) and claims, signed by another key.
        token_ = jws.JWS()
        token_.deserialize(signed)
        header = json.loads(token_.objects["protected"])
        payload = token_.objects["payload"].decode()
        foreign = jwk.JWK.from_pem(settings.FOREIGN_RSA_PRIVATE_KEY.encode())
        forged = jwt.JWT(header=json.dumps(header), claims=payload)
        forged.make_signed_token(foreign)
        return forged.serialize()

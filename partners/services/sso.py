"""Single sign-on: who an identity provider may sign in, into which partner, with which
roles (docs/sso.md). django-allauth does the protocol (OpenID Connect: state, nonce,
PKCE, token validation; SAML 2.0: python3-saml's assertion checks, below);
`partners.sso.SignOnAdapter` hands what the provider vouched for (its claims) to
`sso_sign_in` and signs in the user it returns, or shows the refusal.

Rules:
- The staff provider (no partner: `SSO_STAFF_*` settings with provider id "staff", or
  an `IdentityProvider` row without partner) signs staff in. Its user is found by email,
  or created (just in time) as staff; the user's staff roles (Django groups) follow the
  role claim through the role map: mapped roles in the claims are granted, mapped roles
  no longer in the claims are removed, groups the map does not name are left alone. A
  person with no mapped role is refused.
- A partner's provider signs in that partner's people only: the email's domain must be
  one of the provider's approved domains (staff approve what a partner admin claims);
  the user joins that partner with the role its claims map to, else the provider's
  default role. An existing member keeps their role unless a claim maps to another;
  the partner's last active admin stays an admin. A user of another partner, or a
  staff user, is refused: a provider never places anyone in another partner. A partner
  with several providers has each domain on one of them, so the address's domain
  decides which provider signs it in (`provider_for_email`).
- Without an email claim, refused; a refusal creates no user.
- Every sign-in, account created, role granted or removed and refusal writes a
  `SignInRecord`, in the transaction of the change (a refusal in its own).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import requests
from allauth.socialaccount.models import SocialApp
from cryptography import x509
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled
from lxml import etree
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser

from partners.models import (
    IdentityProvider,
    IdentityProviderDomain,
    Membership,
    Partner,
    SignInRecord,
)
from partners.roles import STAFF_ROLES
from partners.services.core import membership_change_role, membership_create
from partners.services.languages import staff_language
from partners.services.recruitment import membership_is_last_admin

# Why a sign-in was refused: the code is stored (SignInRecord.detail["reason"]), the
# sentence is worded when read (`refusal_text`).
MISSING_EMAIL = "missing_email"
UNKNOWN_PROVIDER = "unknown_provider"
NO_ROLE = "no_role"
DOMAIN_NOT_OWNED = "domain_not_owned"
OTHER_PARTNER = "other_partner"
STAFF_USER = "staff_user"
PARTNER_USER = "partner_user"
INACTIVE = "inactive"
AMBIGUOUS = "ambiguous"
PROTOCOL_ERROR = "protocol_error"
# A SAML response whose request this browser's session did not send, or sent and had
# answered already: worded as a protocol error, recorded apart for the audit.
REPLAYED = "replayed"

# allauth's provider (SocialApp.provider) of each protocol.
OIDC_PROVIDER = "openid_connect"
SAML_PROVIDER = "saml"

# A partner user whose claims map to several roles gets the first of these.
PARTNER_ROLE_PRECEDENCE = (Membership.Role.ADMIN, Membership.Role.MARKETER, Membership.Role.SALES)


def refusal_text(reason: str) -> str:
    """Why a sign-in was refused, in the active language."""
    texts = {
        MISSING_EMAIL: _(
            "Your company account did not tell us your email address, so we cannot "
            "sign you in. Ask your administrator to release the email claim."
        ),
        UNKNOWN_PROVIDER: _("This company sign-in is not set up, or it has been switched off."),
        NO_ROLE: _(
            "Your company account gives you no role here. Ask your administrator to add "
            "you to a group that does."
        ),
        DOMAIN_NOT_OWNED: _(
            "Your email address is not in a domain this company sign-in is set up for. "
            "Sign in with your password, or ask your administrator."
        ),
        OTHER_PARTNER: _(
            "Your email address belongs to an account of another partner company, and "
            "an account can belong to one company only. Ask your partner manager."
        ),
        STAFF_USER: _(
            "Your email address belongs to a staff account. Staff sign in on the staff login page."
        ),
        PARTNER_USER: _(
            "Your email address belongs to a partner user's account, which the staff "
            "sign-in cannot use. Ask your administrator."
        ),
        INACTIVE: _("Your account is deactivated. Ask your administrator."),
        AMBIGUOUS: _(
            "Several accounts have your email address, so we cannot tell which is "
            "yours. Ask your administrator."
        ),
        PROTOCOL_ERROR: _(
            "The sign-in with your company account could not be completed. Try again; "
            "if it fails again, tell your administrator."
        ),
    }
    return texts.get(reason, texts[PROTOCOL_ERROR])


class SignInRefused(Exception):
    """The sign-in is refused; `reason` is one of the codes above, `record` the
    SignInRecord written for it."""

    def __init__(self, reason: str, record: SignInRecord) -> None:
        super().__init__(reason)
        self.reason = reason
        self.record = record

    @property
    def text(self) -> str:
        return refusal_text(self.reason)


class _Refusal(Exception):
    def __init__(
        self, reason: str, *, user: User | None = None, partner: Partner | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.user = user
        self.partner = partner


@dataclass(frozen=True)
class ProviderRules:
    """What the rules need of a provider, from its row or from the settings."""

    slug: str
    provider: IdentityProvider | None
    partner: Partner | None
    role_claim: str
    role_map: Mapping[str, str] = field(default_factory=dict)
    default_role: str = ""

    @property
    def is_staff_provider(self) -> bool:
        return self.partner is None


def staff_provider_by_settings() -> bool:
    """Is the staff provider configured by the environment (SSO_STAFF_OIDC_*)?"""
    return bool(settings.SSO_STAFF_OIDC_SERVER_URL and settings.SSO_STAFF_OIDC_CLIENT_ID)


def provider_rules(*, slug: str) -> ProviderRules | None:
    """The rules of the provider with this allauth provider_id: its active
    `IdentityProvider` row, else (for "staff") the SSO_STAFF_* settings; None when
    neither exists."""
    with scopes_disabled():
        provider = (
            IdentityProvider.objects.filter(slug=slug, is_active=True)
            .select_related("partner")
            .first()
        )
    if provider is not None:
        return ProviderRules(
            slug=provider.slug,
            provider=provider,
            partner=provider.partner,
            role_claim=provider.role_claim or "groups",
            role_map=dict(provider.role_map or {}),
            default_role=provider.default_role if provider.partner_id else "",
        )
    if slug == settings.SSO_STAFF_PROVIDER_ID and staff_provider_by_settings():
        return ProviderRules(
            slug=slug,
            provider=None,
            partner=None,
            role_claim=settings.SSO_STAFF_ROLE_CLAIM,
            role_map=dict(settings.SSO_STAFF_ROLE_MAP),
        )
    return None


def provider_login_url(*, slug: str) -> str:
    """Where the sign-in through this provider starts (a POST, allauth's view): its
    SAML login when its row speaks SAML 2.0, else its OpenID Connect login."""
    with scopes_disabled():
        saml = IdentityProvider.objects.filter(
            slug=slug, protocol=IdentityProvider.Protocol.SAML
        ).exists()
    if saml:
        return reverse("saml_login", kwargs={"organization_slug": slug})
    return reverse("openid_connect_login", kwargs={"provider_id": slug})


def staff_provider_login_url() -> str | None:
    """The staff provider's sign-in address, when one is configured (settings or an
    active row without partner); else None."""
    if staff_provider_by_settings():
        return provider_login_url(slug=settings.SSO_STAFF_PROVIDER_ID)
    with scopes_disabled():
        provider = (
            IdentityProvider.objects.filter(partner__isnull=True, is_active=True)
            .exclude(app=None)
            .order_by("pk")
            .first()
        )
    return provider_login_url(slug=provider.slug) if provider is not None else None


def email_domain(email: str) -> str:
    return email.rpartition("@")[2].strip().lower()


def provider_for_email(*, email: str) -> IdentityProvider | None:
    """Home-realm discovery: the active provider owning this address's domain (approved).
    A partner may have several providers, but a domain belongs to one only
    (`sso_setup.email_domain_check`, unique in the database), so there is at most one."""
    domain = email_domain(email)
    if not domain or "@" not in email:
        return None
    with scopes_disabled():
        found = (
            IdentityProviderDomain.objects.filter(
                domain=domain,
                approved_at__isnull=False,  # a domain pending staff approval finds nothing
                provider__is_active=True,
            )
            .select_related("provider")
            .first()
        )
    return found.provider if found is not None else None


def staff_password_login_allowed(*, user: User) -> bool:
    """False for staff when SSO_STAFF_PASSWORD_LOGIN is off: they sign in through the
    company account. Partner users are never affected."""
    return settings.SSO_STAFF_PASSWORD_LOGIN or not user.is_staff


def claim_values(claims: Mapping[str, Any], claim: str) -> list[str]:
    """A claim's values as strings: a list as it is, one string as one value."""
    value = claims.get(claim)
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable):
        return [str(item) for item in value]
    return [str(value)]


def mapped_roles(*, rules: ProviderRules, claims: Mapping[str, Any]) -> list[str]:
    """The roles the claims map to, each once, in map order; only known roles count
    (staff: STAFF_ROLES names; partner: Membership.Role values)."""
    known = set(STAFF_ROLES) if rules.is_staff_provider else set(Membership.Role.values)
    values = set(claim_values(claims, rules.role_claim))
    roles: list[str] = []
    for value, role in rules.role_map.items():
        if value in values and role in known and role not in roles:
            roles.append(role)
    return roles


def _record(
    *,
    rules_slug: str,
    provider: IdentityProvider | None,
    event: str,
    email: str,
    user: User | None = None,
    partner: Partner | None = None,
    **detail: str,
) -> SignInRecord:
    with scopes_disabled():
        return SignInRecord.objects.create(
            provider_slug=rules_slug[:60],
            provider=provider,
            user=user,
            partner=partner,
            email=email[:254],
            event=event,
            detail=detail,
        )


def sign_in_refusal_record(
    *, provider_slug: str, reason: str, email: str = "", partner: Partner | None = None
) -> SignInRecord:
    """Record a refusal that happened before our rules ran (the protocol failed: a
    bad state, an expired or forged token, an issuer that does not match)."""
    rules = provider_rules(slug=provider_slug)
    return _record(
        rules_slug=provider_slug,
        provider=rules.provider if rules else None,
        event=SignInRecord.Event.REFUSED,
        email=email,
        partner=partner or (rules.partner if rules else None),
        reason=reason,
    )


def _normalised_email(claims: Mapping[str, Any]) -> str:
    email = claims.get("email")
    if not isinstance(email, str):
        return ""
    email = email.strip().lower()
    return email if "@" in email and not email.endswith("@") else ""


def _user_by_email(email: str) -> User | None:
    users = list(
        User.objects.filter(Q(email__iexact=email) | Q(username__iexact=email)).order_by("pk")[:2]
    )
    if len(users) > 1:
        raise _Refusal(AMBIGUOUS)
    return users[0] if users else None


def _new_user(email: str, claims: Mapping[str, Any], *, is_staff: bool) -> User:
    user = User(
        username=email,
        email=email,
        first_name=str(claims.get("given_name") or "")[:150],
        last_name=str(claims.get("family_name") or "")[:150],
        is_staff=is_staff,
    )
    # The identity provider is the only way in until someone sets a password.
    user.set_unusable_password()
    user.save()
    return user


def sso_sign_in(*, provider_slug: str, claims: Mapping[str, Any]) -> User:
    """The user this provider's claims sign in, created or updated by the rules of the
    module docstring; raises SignInRefused (its SignInRecord written) otherwise.

    `claims` are what allauth validated: the ID token's claims, or the userinfo's."""
    rules = provider_rules(slug=provider_slug)
    email = _normalised_email(claims)
    try:
        if rules is None:
            raise _Refusal(UNKNOWN_PROVIDER)
        if not email:
            raise _Refusal(MISSING_EMAIL, partner=rules.partner)
        with transaction.atomic(), scopes_disabled():
            if rules.is_staff_provider:
                return _staff_sign_in(rules=rules, email=email, claims=claims)
            return _partner_sign_in(rules=rules, email=email, claims=claims)
    except _Refusal as refusal:
        record = _record(
            rules_slug=provider_slug,
            provider=rules.provider if rules else None,
            event=SignInRecord.Event.REFUSED,
            email=email or str(claims.get("email") or ""),
            user=refusal.user,
            partner=refusal.partner or (rules.partner if rules else None),
            reason=refusal.reason,
        )
        raise SignInRefused(refusal.reason, record) from None


def _staff_sign_in(*, rules: ProviderRules, email: str, claims: Mapping[str, Any]) -> User:
    roles = mapped_roles(rules=rules, claims=claims)
    user = _user_by_email(email)
    if user is not None:
        user = User.objects.select_for_update(of=("self",)).get(pk=user.pk)
        if Membership.objects.filter(user=user).exists():
            raise _Refusal(PARTNER_USER, user=user)
        if not user.is_active:
            raise _Refusal(INACTIVE, user=user)
    if not roles:
        raise _Refusal(NO_ROLE, user=user)
    record = partial(_record, rules_slug=rules.slug, provider=rules.provider, email=email)
    if user is None:
        user = _new_user(email, claims, is_staff=True)
        record(event=SignInRecord.Event.CREATED, user=user)
    elif not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    managed = {role for role in rules.role_map.values() if role in STAFF_ROLES}
    current = set(user.groups.filter(name__in=managed).values_list("name", flat=True))
    for role in roles:
        if role not in current:
            group, _created = Group.objects.get_or_create(name=role)
            user.groups.add(group)
            record(event=SignInRecord.Event.ROLE_ADDED, user=user, role=role)
    for role in sorted(current - set(roles)):
        user.groups.remove(Group.objects.get(name=role))
        record(event=SignInRecord.Event.ROLE_REMOVED, user=user, role=role)
    record(event=SignInRecord.Event.SIGNED_IN, user=user)
    return user


def _partner_role(rules: ProviderRules, claims: Mapping[str, Any]) -> str:
    roles = mapped_roles(rules=rules, claims=claims)
    for role in PARTNER_ROLE_PRECEDENCE:
        if role in roles:
            return str(role)
    return ""


def _partner_sign_in(*, rules: ProviderRules, email: str, claims: Mapping[str, Any]) -> User:
    partner = rules.partner
    assert partner is not None and rules.provider is not None
    owned = IdentityProviderDomain.objects.filter(
        provider=rules.provider, domain=email_domain(email), approved_at__isnull=False
    ).exists()
    if not owned:
        raise _Refusal(DOMAIN_NOT_OWNED)
    user = _user_by_email(email)
    membership: Membership | None = None
    if user is not None:
        user = User.objects.select_for_update(of=("self",)).get(pk=user.pk)
        if user.is_staff:
            raise _Refusal(STAFF_USER, user=user)
        membership = Membership.objects.filter(user=user).first()
        if membership is not None and membership.partner_id != partner.pk:
            # Recorded without the other partner: this partner's admins read the record.
            raise _Refusal(OTHER_PARTNER, user=user)
        if not user.is_active:
            raise _Refusal(INACTIVE, user=user)
    claimed_role = _partner_role(rules, claims)
    role = claimed_role or rules.default_role
    if membership is None and not role:
        raise _Refusal(NO_ROLE, user=user)
    record = partial(
        _record, rules_slug=rules.slug, provider=rules.provider, email=email, partner=partner
    )
    if user is None:
        user = _new_user(email, claims, is_staff=False)
        record(event=SignInRecord.Event.CREATED, user=user)
    if membership is None:
        membership_create(partner=partner, user=user, role=role)
        record(event=SignInRecord.Event.ROLE_ADDED, user=user, role=role)
    elif (
        claimed_role
        and claimed_role != membership.role
        # The claims never leave the company without a partner admin: only an admin
        # can mend the company's sign-in set-up (a group mapped wrongly) in the portal.
        and not (membership.role == Membership.Role.ADMIN and membership_is_last_admin(membership))
    ):
        old_role = membership.role
        with staff_language():  # the audit trail's reason, whoever signs in
            reason = _("Role from the company sign-in (%(provider)s).") % {
                "provider": rules.provider.name
            }
        membership_change_role(membership=membership, role=claimed_role, actor=None, reason=reason)
        record(event=SignInRecord.Event.ROLE_REMOVED, user=user, role=old_role)
        record(event=SignInRecord.Event.ROLE_ADDED, user=user, role=claimed_role)
    record(event=SignInRecord.Event.SIGNED_IN, user=user)
    return user


# --- configuration (the admin) ------------------------------------------------------


def identity_provider_check(
    *,
    partner: Partner | None,
    role_map: Any,
    default_role: str,
    slug: str,
    protocol: str = IdentityProvider.Protocol.OIDC,
    client_id: str = "",
    server_url: str = "",
    secret: str = "",
    has_app: bool = False,
    metadata_xml: str = "",
    metadata_url: str = "",
    entity_id: str = "",
    sso_url: str = "",
    x509cert: str = "",
) -> SAMLIdPSettings | None:
    """Is this a provider our rules can use? The role map
    is {claim value: role} with staff roles (STAFF_ROLES names) for the staff provider
    and Membership.Role values for a partner's; only a partner's provider has a default
    role; the settings' staff provider id ("staff") is not taken by a partner. Its
    client: the client ID and the issuer URL together; a partner's provider needs them
    (the staff provider may come from the SSO_STAFF_* settings); a new client needs its
    secret (`has_app`: one is stored). A SAML 2.0 provider's IdP instead: its metadata
    (XML or URL) or its entity ID, sign-in URL and certificate (`saml_idp_settings`),
    which a new one needs; returns them, read and checked. Raises ValidationError by
    field."""
    errors: dict[str, str] = {}
    saml_idp: SAMLIdPSettings | None = None
    if protocol == IdentityProvider.Protocol.SAML:
        try:
            saml_idp = saml_idp_settings(
                metadata_xml=metadata_xml,
                metadata_url=metadata_url,
                entity_id=entity_id,
                sso_url=sso_url,
                x509cert=x509cert,
                required=not has_app,
            )
        except ValidationError as error:
            errors.update({key: value[0] for key, value in error.message_dict.items()})
    known = list(STAFF_ROLES) if partner is None else list(Membership.Role.values)
    if not isinstance(role_map, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in role_map.items()
    ):
        errors["role_map"] = _('Write the role map as {"claim value": "role"}.')
    else:
        unknown = sorted({value for value in role_map.values() if value not in known})
        if unknown:
            errors["role_map"] = _("Unknown roles: %(roles)s. Use one of: %(known)s.") % {
                "roles": ", ".join(unknown),
                "known": ", ".join(known),
            }
    if partner is None and default_role:
        errors["default_role"] = _(
            "The staff provider has no default role: staff without a mapped group are refused."
        )
    if partner is not None and slug == settings.SSO_STAFF_PROVIDER_ID:
        errors["slug"] = _("This slug is kept for the staff provider.")
    if protocol != IdentityProvider.Protocol.SAML:
        if bool(server_url) != bool(client_id):
            errors["client_id"] = _("Give both the client ID and the issuer URL.")
        elif partner is not None and not server_url and not has_app:
            errors["server_url"] = _("A partner's provider needs its issuer URL.")
        if client_id and not secret and not has_app:
            errors["secret"] = _("Give the client secret.")
    if errors:
        raise ValidationError(errors)
    return saml_idp


@transaction.atomic
def identity_provider_app_save(
    *, provider: IdentityProvider, client_id: str, secret: str, server_url: str
) -> SocialApp:
    """Create or update the allauth SocialApp an OpenID Connect provider signs in
    through: its provider_id is the provider's slug, PKCE on. An empty secret keeps the
    stored one (the form never shows it)."""
    old = provider.app
    # A provider switched from SAML 2.0 gets a new app; its SAML one goes.
    app = old if old is not None and old.provider == OIDC_PROVIDER else SocialApp()
    app.provider = OIDC_PROVIDER
    app.provider_id = provider.slug
    app.name = provider.name
    app.client_id = client_id.strip()
    if secret:
        app.secret = secret.strip()
    app.settings = {
        **(app.settings or {}),
        "server_url": server_url.strip(),
        "oauth_pkce_enabled": True,
    }
    app.save()
    if provider.app_id != app.pk:
        provider.app = app
        provider.save(update_fields=["app"])
        if old is not None:
            old.delete()
    return app


# --- SAML 2.0 ------------------------------------------------------------------------
# allauth's SAML provider (python3-saml) does the protocol: the signature of the
# assertion by the IdP's certificate, its issuer, audience, recipient, destination and
# validity window, and InResponseTo against the request this browser's session sent
# (allauth stashes the AuthnRequest's ID as the state and consumes it once, so a
# replayed response finds no state: `partners.sso.saml_finish_acs`). These functions
# write its SocialApp and turn its attributes into our rules' claims.

# Where the IdPs we document put the email and the names (docs/sso.md): Okta's and
# Google Workspace's basic names as an admin types them, Entra ID's claim URIs, the
# LDAP/eduPerson OIDs. allauth takes the first present; an IdP that sends none gets
# the email from a NameID in the emailAddress format, else the sign-in is refused.
SAML_ATTRIBUTE_MAPPING: dict[str, list[str]] = {
    "email": [
        "email",
        "mail",
        "emailAddress",
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
        "urn:oid:0.9.2342.19200300.100.1.3",
    ],
    "first_name": [
        "firstName",
        "givenName",
        "given_name",
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
        "urn:oid:2.5.4.42",
    ],
    "last_name": [
        "lastName",
        "sn",
        "surname",
        "family_name",
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
        "urn:oid:2.5.4.4",
    ],
}

# python3-saml's security settings, through allauth's "advanced" app settings: strict
# validation; the assertion itself must be signed (Okta, Entra ID and Google Workspace
# sign it by default; a signed response around an unsigned assertion is not enough,
# since the assertion is what we read); no SHA-1; IdP-initiated sign-ins refused (an
# unsolicited response has no InResponseTo to tie it to this browser, so a captured one
# could be replayed). No AttributeStatement is allowed through to our rules, which
# refuse it with "no email" rather than a protocol error.
SAML_SECURITY: dict[str, Any] = {
    "strict": True,
    "want_assertion_signed": True,
    "want_message_signed": False,
    "reject_deprecated_algorithm": True,
    "reject_idp_initiated_sso": True,
    "want_attribute_statement": False,
    "allow_repeat_attribute_name": True,
    # Our own addresses come from the request's host: an intranet name without a dot
    # (http://partnerhub/) is a good one. (Only the URLs' spelling is checked here.)
    "allow_single_label_domains": True,
}


@dataclass(frozen=True)
class SAMLIdPSettings:
    """What we need of a SAML identity provider: its entity ID (the assertions'
    issuer), its single sign-on URL (HTTP-Redirect binding) and the certificate it signs
    with (base64 DER, as metadata writes it); `metadata_url` when read from there."""

    entity_id: str
    sso_url: str
    x509cert: str
    metadata_url: str = ""


@dataclass(frozen=True)
class SAMLServiceProviderURLs:
    """What the customer registers at their IdP for this provider."""

    entity_id: str
    acs_url: str
    metadata_url: str


def saml_service_provider_urls(*, slug: str, base_url: str) -> SAMLServiceProviderURLs:
    """Our SP's addresses for this provider, absolute on `base_url` (the site as the
    browser reaches it). The entity ID is the metadata address (allauth's default)."""
    base = base_url.rstrip("/")
    metadata = base + reverse("saml_metadata", kwargs={"organization_slug": slug})
    return SAMLServiceProviderURLs(
        entity_id=metadata,
        acs_url=base + reverse("saml_acs", kwargs={"organization_slug": slug}),
        metadata_url=metadata,
    )


def saml_certificate(value: str) -> str:
    """The certificate as base64 DER (no PEM armour, no spaces); ValueError when it is
    not an X.509 certificate."""
    text = "".join(
        line.strip()
        for line in value.strip().splitlines()
        if line.strip() and not line.strip().startswith("-----")
    )
    text = "".join(text.split())
    try:
        x509.load_der_x509_certificate(base64.b64decode(text, validate=True))
    except (binascii.Error, ValueError) as error:
        raise ValueError("not an X.509 certificate") from error
    return text


def _saml_metadata_read(metadata_xml: str | bytes, *, field_name: str) -> SAMLIdPSettings:
    try:
        parsed = OneLogin_Saml2_IdPMetadataParser.parse(metadata_xml)
    except etree.XMLSyntaxError as error:
        raise ValidationError(
            {field_name: _("This is not XML: %(error)s") % {"error": error}}
        ) from None
    except ValueError:
        # python3-saml's parser refuses DTDs and entities (its defusedxml rules).
        raise ValidationError(
            {field_name: _("This XML declares a DTD or entities, which metadata never needs.")}
        ) from None
    idp = parsed.get("idp") or {}
    entity_id = idp.get("entityId") or ""
    sso_url = (idp.get("singleSignOnService") or {}).get("url") or ""
    certs = idp.get("x509cert") or ((idp.get("x509certMulti") or {}).get("signing") or [""])[0]
    if not entity_id:
        raise ValidationError(
            {field_name: _("This is not the SAML metadata of an identity provider.")}
        )
    if not sso_url:
        raise ValidationError(
            {
                field_name: _(
                    "The metadata names no single sign-on service with the HTTP-Redirect binding."
                )
            }
        )
    try:
        cert = saml_certificate(certs or "")
    except ValueError:
        raise ValidationError(
            {field_name: _("The metadata has no valid signing certificate.")}
        ) from None
    return SAMLIdPSettings(entity_id=entity_id, sso_url=sso_url, x509cert=cert)


def saml_idp_settings(
    *,
    metadata_xml: str = "",
    metadata_url: str = "",
    entity_id: str = "",
    sso_url: str = "",
    x509cert: str = "",
    required: bool = True,
) -> SAMLIdPSettings | None:
    """The IdP's settings from its metadata (XML as pasted, or fetched now from
    `metadata_url`), or from the entity ID, SSO URL and certificate given one by one.
    Metadata wins over the single fields. Nothing given: None, or (`required`) an
    error. Raises ValidationError by field: XML that is not IdP metadata, a URL that
    does not answer with it, a certificate that is not one."""
    metadata_xml = metadata_xml.strip()
    metadata_url = metadata_url.strip()
    if metadata_xml:
        return _saml_metadata_read(metadata_xml, field_name="metadata_xml")
    if metadata_url:
        try:
            response = requests.get(metadata_url, timeout=10)
        except requests.RequestException:
            raise ValidationError(
                {"metadata_url": _("This address did not answer. Check it and try again.")}
            ) from None
        if response.status_code != 200:
            raise ValidationError(
                {
                    "metadata_url": _("This address answered HTTP %(status)s, not metadata.")
                    % {"status": response.status_code}
                }
            )
        found = _saml_metadata_read(response.content, field_name="metadata_url")
        return SAMLIdPSettings(
            entity_id=found.entity_id,
            sso_url=found.sso_url,
            x509cert=found.x509cert,
            metadata_url=metadata_url,
        )
    given = {"entity_id": entity_id.strip(), "sso_url": sso_url.strip(), "x509cert": x509cert}
    if not any(value.strip() for value in given.values()):
        if required:
            raise ValidationError(
                {
                    "metadata_xml": _(
                        "Give the identity provider's metadata (XML or URL), or its entity "
                        "ID, sign-in URL and certificate."
                    )
                }
            )
        return None
    errors: dict[str, str] = {}
    if not given["entity_id"]:
        errors["entity_id"] = _("Give the identity provider's entity ID.")
    if not given["sso_url"]:
        errors["sso_url"] = _("Give the identity provider's single sign-on URL.")
    cert = ""
    if not x509cert.strip():
        errors["x509cert"] = _("Give the identity provider's signing certificate.")
    else:
        try:
            cert = saml_certificate(x509cert)
        except ValueError:
            errors["x509cert"] = _(
                "This is not an X.509 certificate. Paste the PEM (-----BEGIN "
                "CERTIFICATE----- …) or its base64 text."
            )
    if errors:
        raise ValidationError(errors)
    return SAMLIdPSettings(entity_id=given["entity_id"], sso_url=given["sso_url"], x509cert=cert)


@transaction.atomic
def identity_provider_saml_app_save(
    *,
    provider: IdentityProvider,
    idp: SAMLIdPSettings | None = None,
    metadata_xml: str = "",
    metadata_url: str = "",
    entity_id: str = "",
    sso_url: str = "",
    x509cert: str = "",
) -> SocialApp:
    """Create or update the allauth SocialApp a SAML 2.0 provider signs in through:
    provider "saml", its provider_id and client_id (allauth's "organization slug", the
    part of its URLs) the provider's slug, our attribute mapping and security settings.
    `idp` as `saml_idp_settings` read it, else read here from the other keywords (its
    own); neither: the stored IdP settings are kept (a rename). An OpenID Connect app
    the provider had is replaced."""
    if idp is None:
        idp = saml_idp_settings(
            metadata_xml=metadata_xml,
            metadata_url=metadata_url,
            entity_id=entity_id,
            sso_url=sso_url,
            x509cert=x509cert,
            required=False,
        )
    old = provider.app
    app = old if old is not None and old.provider == SAML_PROVIDER else SocialApp()
    stored = (app.settings or {}) if app.pk else {}
    if idp is None and not stored.get("idp"):
        raise ValidationError({"metadata_xml": _("Give the identity provider's metadata.")})
    app.provider = SAML_PROVIDER
    app.provider_id = provider.slug
    app.client_id = provider.slug
    app.name = provider.name
    app.secret = ""
    app.settings = {
        "idp": (
            {"entity_id": idp.entity_id, "sso_url": idp.sso_url, "x509cert": idp.x509cert}
            if idp is not None
            else stored["idp"]
        ),
        # Read at save only (not allauth's "idp.metadata_url", which it would fetch at
        # sign-in): save the provider again to take a new certificate.
        "metadata_source_url": idp.metadata_url if idp else stored.get("metadata_source_url", ""),
        "attribute_mapping": SAML_ATTRIBUTE_MAPPING,
        "advanced": dict(SAML_SECURITY),
    }
    app.save()
    if provider.app_id != app.pk:
        provider.app = app
        provider.save(update_fields=["app"])
        if old is not None and old.pk != app.pk:
            old.delete()
    return app


def saml_claims(
    *, attributes: Mapping[str, Any], email: str, given_name: str = "", family_name: str = ""
) -> dict[str, Any]:
    """The claims our rules read, from a validated SAML assertion: every attribute by
    its name with its values as a list (so the role claim may be "groups" or Entra ID's
    ".../claims/groups"), and `email`, `given_name`, `family_name` as allauth mapped
    them (SAML_ATTRIBUTE_MAPPING) — the shape of OpenID Connect's claims."""
    claims: dict[str, Any] = {
        str(name): [str(value) for value in values]
        if isinstance(values, list | tuple)
        else [str(values)]
        for name, values in attributes.items()
    }
    claims.update(email=email or "", given_name=given_name or "", family_name=family_name or "")
    return claims

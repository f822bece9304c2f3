"""Reads of single sign-on for the portal's "Company sign-in" pages: the partner's own
providers and sign-in records, never another partner's."""

from __future__ import annotations

from django.db.models import QuerySet

from partners.models import IdentityProvider, Partner, SignInRecord


def company_identity_providers(*, partner: Partner) -> QuerySet[IdentityProvider]:
    """Every provider of the partner, by name, with its client and domains: all of them
    are its admins' to see and change (`partners.services.sso_setup`'s rule), whether a
    partner admin or staff made them."""
    return (
        IdentityProvider.objects.filter(partner=partner)
        .select_related("app")
        .prefetch_related("domains")
        .order_by("name", "pk")
    )


def company_identity_provider(*, partner: Partner, slug: str) -> IdentityProvider | None:
    """The partner's provider with this slug; None when the partner has none by that slug
    (another partner's is not found either)."""
    return company_identity_providers(partner=partner).filter(slug=slug).first()


def company_sign_in_records(*, partner: Partner) -> QuerySet[SignInRecord]:
    """The partner's sign-in records, newest first, with the provider of each."""
    records = SignInRecord.objects.filter(partner=partner).select_related("user", "provider")
    return records.order_by("-at", "-id")

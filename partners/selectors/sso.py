"""Reads of single sign-on for the portal's "Company sign-in" page: the partner's own
provider and sign-in records, never another partner's."""

from __future__ import annotations

from django.db.models import QuerySet

from partners.models import IdentityProvider, Partner, SignInRecord


def company_identity_provider(*, partner: Partner) -> IdentityProvider | None:
    """The partner's provider (the first, should staff have made several), with its
    client and domains."""
    return (
        IdentityProvider.objects.filter(partner=partner)
        .select_related("app")
        .prefetch_related("domains")
        .order_by("pk")
        .first()
    )


def company_sign_in_records(*, partner: Partner) -> QuerySet[SignInRecord]:
    """The partner's sign-in records, newest first."""
    records = SignInRecord.objects.filter(partner=partner).select_related("user")
    return records.order_by("-at", "-id")

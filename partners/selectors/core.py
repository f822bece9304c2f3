"""Reads on partners that are reused or scoped."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django_scopes import scopes_disabled

from assets.models import DownloadRecord
from partners.models import Membership, Partner


def membership_for_user(*, user: User | AnonymousUser) -> Membership | None:
    """The user's membership with its partner, or None (anonymous, staff, unattached)."""
    if not user.is_authenticated or user.is_staff:
        return None
    # Resolving the scope itself cannot happen inside a scope.
    with scopes_disabled():
        return (
            Membership.objects.select_related(
                "partner", "partner__tier", "partner__channel_manager"
            )
            .filter(user=user)
            .first()
        )


def partners_visible(*, partner: Partner | None) -> QuerySet[Partner]:
    """Staff (partner=None) see every partner; a partner sees only itself."""
    qs = Partner.objects.select_related("tier", "channel_manager").prefetch_related(
        "regions", "languages"
    )
    if partner is not None:
        qs = qs.filter(pk=partner.pk)
    return qs


def partner_emails(*, partner_id: int, roles: Iterable[str]) -> list[str]:
    """The email addresses of the partner's active users in these roles (for notices)."""
    with scopes_disabled():
        return list(
            Membership.objects.filter(partner_id=partner_id, role__in=roles, user__is_active=True)
            .exclude(user__email="")
            .values_list("user__email", flat=True)
        )


def partner_admin_emails(*, partner: Partner) -> list[str]:
    return partner_emails(partner_id=partner.pk, roles=[Membership.Role.ADMIN])


# --- staff pages (the admin's home and a partner's page; callers disable scopes) ---


def active_partner_count() -> int:
    return Partner.objects.filter(status=Partner.Status.ACTIVE).count()


def partner_people(*, partner: Partner) -> QuerySet[Membership]:
    """The partner's people, admins first, then by name: its members without its API
    keys' own users (a key acts as a user of its own, with a membership for its role,
    but is not a person: it is not listed on a team nor counted as a member)."""
    role_order = [Membership.Role.ADMIN, Membership.Role.MARKETER, Membership.Role.SALES]
    with scopes_disabled():
        return (
            Membership.objects.filter(partner=partner, user__api_key__isnull=True)
            .select_related("user")
            .annotate(
                role_rank=Case(
                    *(When(role=role, then=Value(rank)) for rank, role in enumerate(role_order)),
                    output_field=IntegerField(),
                )
            )
            .order_by("role_rank", "user__first_name", "user__last_name", "user__username")
        )


def downloads_since(*, since: datetime) -> int:
    """Library downloads by every partner since a moment."""
    return DownloadRecord.objects.filter(at__gte=since).count()


def recent_downloads(*, partner: Partner, limit: int = 10) -> list[DownloadRecord]:
    """A partner's latest library downloads, newest first."""
    return list(
        DownloadRecord.objects.filter(partner=partner)
        .select_related("user", "asset", "version__language")
        .order_by("-at", "-id")[:limit]
    )

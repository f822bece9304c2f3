"""Reads of deal registration: what a partner may see of its own deals, and the staff
queues (undecided registrations, pending extensions) and conflicts.

Partner reads open the partner's scope themselves and filter by it, so a deal of
another partner is not found (`Deal.DoesNotExist`, a 404 for the caller). Partner
reads never touch `DealConflict` nor non-shared events. Staff reads span partners and
say so (`scopes_disabled`).
"""

from __future__ import annotations

import uuid as uuid_module
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet
from django_scopes import scope, scopes_disabled

from campaigns.selectors import is_marketing_admin
from deals.models import Deal, DealConflict, DealEvent, DealExtension
from partners.models import Partner

__all__ = [
    "DEAL_SORTS",
    "StaffQueue",
    "deal_conflicts",
    "deal_events_for_partner",
    "deal_extensions_for_partner",
    "deal_for_partner",
    "deals_awaiting",
    "deals_for_partner",
]

# The sorts a partner's list offers: key → ordering (newest first by default).
DEAL_SORTS: dict[str, tuple[str, ...]] = {
    "-submitted_at": ("-submitted_at", "-id"),
    "submitted_at": ("submitted_at", "id"),
    "company": ("company", "id"),
    "-company": ("-company", "-id"),
    "amount": ("amount", "id"),
    "-amount": ("-amount", "-id"),
    "expected_close_date": ("expected_close_date", "id"),
    "-expected_close_date": ("-expected_close_date", "-id"),
    "expires_on": ("expires_on", "id"),
    "-expires_on": ("-expires_on", "-id"),
    "status": ("status", "-submitted_at", "-id"),
}
DEFAULT_SORT = "-submitted_at"


def deals_for_partner(
    *,
    partner: Partner,
    status: str | None = None,
    search: str = "",
    sort: str = DEFAULT_SORT,
) -> QuerySet[Deal]:
    """The partner's registrations: optionally of one status (an unknown status gives
    none), matching `search` in company, domain, country or contact, in `sort` order
    (`DEAL_SORTS`; an unknown sort is the default)."""
    with scope(partner=partner.pk):
        deals = (
            Deal.objects.filter(partner=partner)
            .select_related("launch", "registered_by")
            .prefetch_related("products")
        )
    if status:
        deals = deals.filter(status=status) if status in Deal.Status.values else deals.none()
    text = (search or "").strip()
    if text:
        deals = deals.filter(
            Q(company__icontains=text)
            | Q(domain__icontains=text)
            | Q(country__iexact=text)
            | Q(contact_name__icontains=text)
            | Q(contact_email__icontains=text)
        )
    return deals.order_by(*DEAL_SORTS.get(sort, DEAL_SORTS[DEFAULT_SORT]))


def deal_for_partner(*, partner: Partner, uuid: uuid_module.UUID | str) -> Deal:
    """One of the partner's deals by its public id; `Deal.DoesNotExist` for another
    partner's deal, an unknown id or a malformed one alike."""
    try:
        public_id = uuid if isinstance(uuid, uuid_module.UUID) else uuid_module.UUID(str(uuid))
    except ValueError:
        raise Deal.DoesNotExist from None
    with scope(partner=partner.pk):
        return (
            Deal.objects.select_related("launch", "registered_by", "partner")
            .prefetch_related("products")
            .get(partner=partner, uuid=public_id)
        )


def deal_events_for_partner(*, deal: Deal) -> QuerySet[DealEvent]:
    """What the partner sees of a deal's history: its shared events, newest first.
    Conflict flags and staff notes are never among them."""
    with scope(partner=deal.partner_id):
        return (
            DealEvent.objects.filter(deal=deal, partner_id=deal.partner_id, shared=True)
            .select_related("actor")
            .order_by("-at", "-id")
        )


def deal_extensions_for_partner(*, deal: Deal) -> QuerySet[DealExtension]:
    """The deal's extension requests, newest first."""
    with scope(partner=deal.partner_id):
        return DealExtension.objects.filter(deal=deal, partner_id=deal.partner_id).order_by(
            "-requested_at", "-id"
        )


@dataclass(frozen=True)
class StaffQueue:
    deals: QuerySet[Deal]
    extensions: QuerySet[DealExtension]


def deals_awaiting(*, staff=None) -> StaffQueue:
    """The staff queue: undecided registrations (oldest first, annotated
    `has_conflict`: flagged, or named in another registration's flag) and pending
    extension requests (oldest first). With `staff`, what that person decides: a
    Marketing admin everything (partners without a channel manager included), anyone
    else the partners they are channel manager of."""
    with scopes_disabled():  # the staff queue spans partners
        conflicts = DealConflict.objects.filter(
            Q(deal=OuterRef("pk")) | Q(other_deal=OuterRef("pk"))
        )
        deals = (
            Deal.objects.filter(status__in=Deal.UNDECIDED_STATUSES)
            .select_related("partner", "registered_by")
            .annotate(has_conflict=Exists(conflicts))
            .order_by("submitted_at", "id")
        )
        extensions = (
            DealExtension.objects.filter(status=DealExtension.Status.PENDING)
            .select_related("deal", "partner", "requested_by")
            .order_by("requested_at", "id")
        )
        if staff is not None and not is_marketing_admin(staff):
            deals = deals.filter(partner__channel_manager=staff)
            extensions = extensions.filter(partner__channel_manager=staff)
    return StaffQueue(deals=deals, extensions=extensions)


def deal_conflicts(*, deal: Deal) -> QuerySet[DealConflict]:
    """Staff only: the conflicts of `deal` (other partners' open registrations of its
    domain, a protected account) and those other registrations flagged against it,
    with the other deal and its partner read along."""
    with scopes_disabled():  # conflicts are between partners: staff pages only
        return (
            DealConflict.objects.filter(Q(deal=deal) | Q(other_deal=deal))
            .select_related("deal__partner", "other_deal__partner", "protected_account")
            .order_by("detected_at", "id")
        )

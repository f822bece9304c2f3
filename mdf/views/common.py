"""What every funds page of the portal shares: the partner and its role, the
decision trail as a partner reads it, and how a refused action is told."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mdf.models import MDFEvent
from partners.models import Membership, Partner
from partners.scoping import PortalAccessMixin

ACTING_ROLES = frozenset({Membership.Role.ADMIN, Membership.Role.MARKETER})

EVENT_LABELS = {
    "created": gettext_lazy("Created as a draft"),
    "created_on_behalf": gettext_lazy("Created as a draft on your behalf"),
    "edited": gettext_lazy("Changed"),
    "proof_removed": gettext_lazy("Proof removed"),
    "submitted": gettext_lazy("Submitted for a decision"),
    "submitted_on_behalf": gettext_lazy("Submitted on your behalf"),
    "resubmitted": gettext_lazy("Resubmitted"),
    "cancelled": gettext_lazy("Cancelled"),
    "approved_by_manager": gettext_lazy("Approved by the channel manager, passed to finance"),
    "approved": gettext_lazy("Approved"),
    "approved_partly": gettext_lazy("Partly approved"),
    "rejected": gettext_lazy("Rejected"),
    "returned": gettext_lazy("Returned for more proof"),
    "closed": gettext_lazy("Closed"),
    "expired": gettext_lazy("Claim deadline passed"),
    "lapsed": gettext_lazy("Lapsed: not resubmitted before the claim deadline"),
    "paid": gettext_lazy("Paid"),
}


def actor_label(user: Any) -> str:
    """Who did it, as a partner sees it: vendor staff are marked as the vendor's."""
    if user is None:
        return _("Automatic (deadline job)")
    name = user.get_full_name() or user.get_username()
    if user.is_staff:
        return _("Vendor: %(name)s") % {"name": name}
    return name


def timeline(events: QuerySet[MDFEvent]) -> list[dict[str, Any]]:
    return [
        {
            "at": event.at,
            "label": EVENT_LABELS.get(event.action, event.action.replace("_", " ").capitalize()),
            "who": actor_label(event.actor),
            "note": event.note_text,
            "amount": event.amount,
            "action": event.action,
        }
        for event in events.select_related("actor").order_by("at", "id")
    ]


def is_uuid(value: str) -> bool:
    try:
        UUID(str(value))
    except ValueError:
        return False
    return True


def error_text(exc: ValidationError) -> str:
    return " ".join(str(message) for message in exc.messages)


class FundsPageMixin(PortalAccessMixin):
    """Every funds page: the partner's portal access, plus what the templates need to
    show or hide actions (sales reps read only) and which tab is current."""

    funds_tab = "overview"

    @property
    def partner(self) -> Partner:
        return self.request.partner  # type: ignore[attr-defined]

    def can_act(self) -> bool:
        return self.request.membership.role in ACTING_ROLES  # type: ignore[attr-defined]

    def funds_context(self, **extra: Any) -> dict[str, Any]:
        return {"funds_tab": self.funds_tab, "can_act": self.can_act(), **extra}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)  # type: ignore[misc]
        context.update(self.funds_context())
        return context


class ActingMixin(FundsPageMixin):
    """Pages that change something: partner admins and marketers only (403 for sales)."""

    allowed_roles = ACTING_ROLES

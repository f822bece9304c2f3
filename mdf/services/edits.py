"""Edits of a draft request or claim: which fields may change, and the edit recorded
in the trail (old → new)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from mdf.models import Claim, FundRequest
from mdf.services.trail import record_event

REQUEST_EDITABLE_FIELDS = (
    "activity_type",
    "title",
    "description",
    "activity_start",
    "activity_end",
    "requested_amount",
    "expected_leads",
    "expected_pipeline",
    "launch",
)
CLAIM_EDITABLE_FIELDS = ("amount", "actual_leads", "actual_pipeline", "results_note")


def refuse_unknown_changes(changes: dict[str, object], editable: Iterable[str]) -> None:
    """A field error for each change of a field that cannot be edited."""
    unknown = sorted(set(changes) - set(editable))
    if unknown:
        raise ValidationError({name: _("This cannot be changed here.") for name in unknown})


def save_edit(
    locked: FundRequest | Claim,
    current: dict[str, object],
    cleaned: dict[str, object],
    *,
    actor: User,
    currency: str,
) -> dict[str, object]:
    """Set and save the editable fields whose cleaned value differs, and record the edit
    in the trail (old → new); return the changed fields (none: nothing is written)."""
    changed = {name: cleaned[name] for name in current if cleaned[name] != current[name]}
    if not changed:
        return changed
    for name, value in changed.items():
        setattr(locked, name, value)
    locked.save(update_fields=list(changed))
    if isinstance(locked, FundRequest):
        request, claim, amount = locked, None, locked.requested_amount
    else:
        request, claim, amount = None, locked, locked.amount
    record_event(
        partner_id=locked.partner_id,
        actor=actor,
        action="edited",
        request=request,
        claim=claim,
        old_status=locked.status,
        new_status=locked.status,
        amount=amount,
        changes=change_record(current, changed, currency),
    )
    return changed


def change_record(
    old: dict[str, object], new: dict[str, object], currency: str
) -> dict[str, object]:
    """What an edit changed, old → new, as data for the trail (`MDFEvent.changes`); the
    trail words it when read, in its reader's language (`MDFEvent.note_text`)."""

    def value(item: object) -> dict[str, str] | None:
        if item is None:
            return None
        if isinstance(item, Decimal):
            return {"money": str(item)}
        if isinstance(item, date):
            return {"date": item.isoformat()}
        if isinstance(item, str):
            return {"text": item}
        return {"name": str(item)}  # a related row (an activity type, a launch)

    return {
        "currency": currency,
        "fields": [[name, value(old[name]), value(new[name])] for name in new],
    }

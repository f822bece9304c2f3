"""Columns the staff pages of several apps show alike."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _


def done_by(moment: datetime | None, who: Any) -> str:
    """When and by whom something was done ("2026-12-05 14:10 by Carlos Channel"), in
    the staff pages' local time; "—" when it was not done."""
    if moment is None:
        return "—"
    return _("%(when)s by %(who)s") % {
        "when": timezone.localtime(moment).strftime("%Y-%m-%d %H:%M"),
        "who": who,
    }

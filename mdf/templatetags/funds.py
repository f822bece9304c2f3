"""Template helpers of the funds pages, the admin's MDF pages and the MDF emails: money
in the one format ("3,200.00 USD"), dates in the one format (the locale's DATE_FORMAT,
"Dec. 5, 2026"), an activity's dates as one period, status colours. CSV exports keep
plain numbers and ISO dates."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from mdf.money import format_money, format_number
from mdf.selectors import balances_for_partner

register = template.Library()

# Bootstrap badge classes by status: the colour follows the meaning (waiting, good,
# bad, finished), the same for requests and claims.
STATUS_BADGES = {
    "draft": "text-bg-light border",
    "submitted": "text-bg-info",
    "awaiting_finance": "text-bg-info",
    "returned": "text-bg-warning",
    "approved": "text-bg-success",
    "paid": "text-bg-success",
    "rejected": "text-bg-danger",
    "cancelled": "text-bg-secondary",
    "closed": "text-bg-secondary",
    "expired": "text-bg-secondary",
}


@register.filter
def money(amount: Decimal | None, currency: str) -> str:
    """1250 → '1,250.00 EUR' (mdf.money.format_money, as in every error message)."""
    if amount is None:
        return ""
    return format_money(amount, currency)


@register.filter
def day(value: date | datetime | None) -> str:
    """A date (or a moment's local date) as people read it everywhere: 'Dec. 5, 2026'."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    return date_format(value, "DATE_FORMAT")


@register.filter
def moment(value: datetime | None) -> str:
    """A moment with its time of day: 'Dec. 5, 2026, 4:10 p.m.' (local time)."""
    if value is None or value == "":
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return date_format(value, "DATETIME_FORMAT")


@register.simple_tag
def period(start: date | None, end: date | None) -> str:
    """An activity's dates: one date for a one-day activity ('Dec. 5, 2026'), else
    'Dec. 5, 2026 – Dec. 7, 2026'."""
    if start is None or end is None or start == end:
        return day(start or end)
    # Each date kept on one line (no-break spaces), so a narrow column wraps between them.
    start_text, end_text = (day(value).replace(" ", "\u00a0") for value in (start, end))
    return _("%(start)s – %(end)s") % {"start": start_text, "end": end_text}


@register.filter
def signed_money(amount: Decimal | None, currency: str) -> str:
    """A change: '+1,250.00 EUR', '−500.00 EUR' (a real minus sign), '0.00 EUR'."""
    if amount is None:
        return ""
    if amount > 0:
        return f"+{format_money(amount, currency)}"
    if amount < 0:
        return f"\u2212{format_money(-amount, currency)}"
    return format_money(amount, currency)


@register.filter
def event_action(action: str) -> str:
    """A trail entry's action for staff: "approved_by_manager" → "Approved by manager"."""
    words = action.replace("_", " ")
    return words[:1].upper() + words[1:]


@register.filter
def status_badge(status: str) -> str:
    return STATUS_BADGES.get(status, "text-bg-secondary")


@register.simple_tag
def available_funds(partner: Any) -> str:
    """The partner's available money per currency ('6,500.00 EUR · 1,000.00 USD'), or ''
    without allocations; for the dashboard tile (balances_for_partner, the one definition)."""
    if partner is None:
        return ""
    balances = balances_for_partner(partner=partner)
    return " · ".join(format_money(b.available, b.currency) for b in balances.values())


@register.filter
def column_label(name: str) -> str:
    """A report column's CSV name as a heading: "rate_pct" → "Rate %"."""
    words = name.replace("_pct", " %").replace("_", " ")
    return words[:1].upper() + words[1:]


@register.filter
def report_cell(value: object) -> object:
    """A report figure on the page: money grouped by thousands ("252,000.00"); counts
    and days as they are; none as a dash (the CSV keeps plain numbers)."""
    if value is None:
        return "—"
    if isinstance(value, Decimal) and value.as_tuple().exponent == -2:
        return format_number(value, 2)
    return value

"""Template helpers of the campaign pages: amounts per currency, status colours."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django import template

from mdf.money import format_money, format_number

register = template.Library()

LAUNCH_BADGES = {
    "planned": "text-bg-light border",
    "active": "text-bg-success",
    "paused": "text-bg-warning",
    "completed": "text-bg-secondary",
}


@register.filter
def launch_badge(status: str) -> str:
    return LAUNCH_BADGES.get(status, "text-bg-secondary")


@register.filter
def amounts(values: list[tuple[Decimal, str]] | None) -> str:
    """Amounts per currency, one after the other ('1,200.00 USD · 300.00 EUR'), never
    added together; '0' when there is none."""
    if not values:
        return "0"
    return " · ".join(
        format_money(amount, currency) if currency else format_number(amount, 2)
        for amount, currency in values
    )


# A plan's status: waiting (submitted), to act on (changes requested), agreed, final.
PLAN_BADGES = {
    "draft": "text-bg-light border",
    "submitted": "text-bg-info",
    "changes_requested": "text-bg-warning",
    "approved": "text-bg-success",
    "closed": "text-bg-secondary",
    "pending": "text-bg-info",
    "planned": "text-bg-light border",
    "in_progress": "text-bg-primary",
    "done": "text-bg-success",
    "cancelled": "text-bg-secondary",
}


@register.filter
def plan_badge(status: str) -> str:
    return PLAN_BADGES.get(status, "text-bg-secondary")


@register.filter
def plan_figure(value: Decimal | int | None, currency: str = "") -> str:
    """A target or an actual: money with its currency, a count without decimals when it
    has none ('1,200'), '—' when there is none."""
    if value is None or value == "":
        return "—"
    value = Decimal(value)
    if currency:
        return format_money(value, currency)
    if value == value.to_integral_value():
        return format_number(value)
    return format_number(value, 2)


@register.filter
def attainment(value: Decimal | float | None) -> str:
    """Attainment in per cent ('85 %'); '—' when it cannot be computed (a zero target)."""
    if value is None or value == "":
        return "—"
    # The selectors round to one decimal; a whole number shows without it.
    number = Decimal(value).quantize(Decimal("0.1"), ROUND_HALF_UP)
    text = format_number(number, 0 if number == number.to_integral_value() else 1)
    return f"{text} %"


@register.filter
def bar_width(value: Decimal | float | None) -> int:
    """A progress bar's width in per cent: the attainment, held between 0 and 100."""
    if value is None or value == "":
        return 0
    return max(0, min(100, int(Decimal(value))))


@register.filter
def who(user: object) -> str:
    """Who did it, as a partner reads it: vendor staff marked as the vendor's."""
    from django.utils.translation import gettext as _

    if user is None:
        return ""
    name = user.get_full_name() or user.get_username()  # type: ignore[attr-defined]
    if getattr(user, "is_staff", False):
        return _("Vendor: %(name)s") % {"name": name}
    return name

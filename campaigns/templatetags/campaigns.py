"""Template helpers of the campaign pages: amounts per currency, status colours."""

from __future__ import annotations

from decimal import Decimal

from django import template

from mdf.money import format_money

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
        format_money(amount, currency) if currency else f"{amount:,.2f}"
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

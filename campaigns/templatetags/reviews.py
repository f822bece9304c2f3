"""Template helpers of business reviews: status colours, a plan's reviews for the plan
page, and a frozen scorecard's figures."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.urls import NoReverseMatch, reverse

from campaigns import selectors
from campaigns.models import Plan, PlanTarget
from mdf.money import format_money, format_number

register = template.Library()

REVIEW_BADGES = {
    "scheduled": "text-bg-info",
    "held": "text-bg-success",
    "cancelled": "text-bg-secondary",
}
ITEM_BADGES = {
    "open": "text-bg-light border",
    "done": "text-bg-success",
    "cancelled": "text-bg-secondary",
}


@register.filter
def review_badge(status: str) -> str:
    return REVIEW_BADGES.get(status, "text-bg-secondary")


@register.filter
def item_badge(status: str) -> str:
    return ITEM_BADGES.get(status, "text-bg-secondary")


@register.simple_tag
def plan_reviews(plan: Plan) -> selectors.PlanReviews:
    """The plan's reviews and open action items (two queries), for
    campaigns/plans/_reviews.html."""
    return selectors.reviews_for_plan(plan=plan)


@register.simple_tag
def score_figure(value: Decimal | None, measure: str, currency: str = "") -> str:
    """A target or actual as the scorecard shows it: money with its currency, a rate in
    percent, a count as a whole number; "—" when there is none."""
    if value is None:
        return "—"
    if measure in PlanTarget.MONEY and currency:
        return format_money(value, currency)
    if measure == PlanTarget.Measure.MDF_UTILISATION:
        return f"{format_number(value, 1)} %"
    return format_number(value, 0 if value == value.to_integral_value() else 2)


@register.filter
def attainment(value: Decimal | None) -> str:
    return "—" if value is None else f"{format_number(value, 1)} %"


@register.simple_tag
def plan_link(plan: Plan) -> str:
    """The plan's portal page, or "" where it is not mounted (the plan pages are another
    module's; the review pages do not depend on them being there)."""
    try:
        return reverse("plans:detail", kwargs={"uuid": plan.uuid})
    except NoReverseMatch:
        return ""

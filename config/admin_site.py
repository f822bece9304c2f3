"""The staff admin's site: its home page is the staff member's desk.

The desk shows what awaits *my* decision (fund requests, claims, payments to record,
joint marketing plans to review)
with counts and SLA breaches, what falls due this week, and the programme at a
glance, each linking to its queue; Django's list of models follows below
(`templates/admin/index.html`). The figures come from selectors, which use the same
rules as the queues they link to.

Installed by `config.apps.StaffAdminConfig` (Django's documented way to replace the
default site), so every `admin.site.register` in the apps registers here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from analytics import selectors as analytics_selectors
from campaigns import selectors as campaign_selectors
from deals import selectors as deal_selectors
from mdf import selectors_staff
from mdf.models import FINANCE_PERMISSION
from mdf.money import format_money
from partners import selectors as partner_selectors
from partners.forms import StaffPasswordLoginMixin
from partners.services import sso


@dataclass
class QueueCard:
    """One queue on the desk: how many items await me, how many are past their SLA and
    how many pass it within the week."""

    title: str
    count: int
    url: str
    overdue: int = 0
    due_this_week: int = 0
    has_sla: bool = True
    notes: list[str] = field(default_factory=list)


def may_decide_requests(user: Any) -> bool:
    # The request queue's own rule (imported late: the admin modules register models).
    from mdf.admin.request_queue import may_decide_requests as rule

    return rule(user)


def my_queues(user: Any, today: date) -> list[QueueCard]:
    """The queues this user decides in, with what awaits them."""
    cards = []
    if may_decide_requests(user):
        waiting = selectors_staff.requests_waiting_for(user=user, today=today)
        cards.append(
            QueueCard(
                title=str(_("Fund requests")),
                count=waiting.count,
                overdue=waiting.overdue,
                due_this_week=waiting.due_this_week,
                url=reverse("admin:mdf_fundrequest_changelist") + "?queue=mine",
            )
        )
    if user.has_perm(FINANCE_PERMISSION):
        waiting = selectors_staff.claims_waiting_for(user=user, today=today)
        cards.append(
            QueueCard(
                title=str(_("Claims")),
                count=waiting.count,
                overdue=waiting.overdue,
                due_this_week=waiting.due_this_week,
                url=reverse("admin:mdf_claim_changelist") + "?queue=mine",
            )
        )
    if user.has_perm("campaigns.change_plan"):
        cards.append(plans_card(user, today))
    cards.extend(deals_cards(user))
    payments = selectors_staff.payments_waiting_for(user=user)
    if payments is not None:
        cards.append(
            QueueCard(
                title=str(_("Payments to record")),
                count=payments.count,
                url=reverse("admin:mdf_claim_payments"),
                has_sla=False,
                notes=[
                    str(_("%(amount)s owed") % {"amount": format_money(amount, currency)})
                    for currency, amount in sorted(payments.owed.items())
                ],
            )
        )
    return cards


def plans_card(user: Any, today: date) -> QueueCard:
    """Submitted joint marketing plans this user may review (`plans_for_review`, the
    plan admin's "awaiting my review"); plans have no decision SLA, so the card says how
    long the oldest has waited."""
    waiting = list(
        campaign_selectors.plans_for_review(user=user).values_list("submitted_at", flat=True)
    )
    notes = []
    oldest = min((moment for moment in waiting if moment is not None), default=None)
    if oldest is not None:
        days = (today - timezone.localdate(oldest)).days
        notes.append(
            str(
                ngettext(
                    "the oldest waits for %(days)d day",
                    "the oldest waits for %(days)d days",
                    days,
                )
                % {"days": days}
            )
        )
    return QueueCard(
        title=str(_("Plans awaiting review")),
        count=len(waiting),
        url=reverse("admin:campaigns_plan_changelist") + "?queue=mine",
        has_sla=False,
        notes=notes,
    )


def deals_cards(user: Any) -> list[QueueCard]:
    """Deal registrations awaiting this user's decision (`deals_awaiting`, the deal
    admin's "awaiting my decision") and the leads no partner holds (`leads_with_staff`)."""
    cards = []
    if user.has_perm("deals.change_deal"):
        queue = deal_selectors.deals_awaiting(staff=user)
        extensions = queue.extensions.count()
        cards.append(
            QueueCard(
                title=str(_("Deals to decide")),
                count=queue.deals.count(),
                url=reverse("admin:deals_deal_changelist") + "?queue=mine",
                has_sla=False,
                notes=[
                    str(
                        ngettext(
                            "%(count)d extension request waits",
                            "%(count)d extension requests wait",
                            extensions,
                        )
                        % {"count": extensions}
                    )
                ]
                if extensions
                else [],
            )
        )
    if user.has_perm("deals.change_lead"):
        cards.append(
            QueueCard(
                title=str(_("Leads with staff")),
                count=deal_selectors.leads_with_staff().count(),
                url=reverse("admin:deals_lead_changelist") + "?with_staff=yes",
                has_sla=False,
            )
        )
    return cards


def deadlines(user: Any, today: date) -> list[dict[str, Any]]:
    if not user.has_perm("mdf.view_fundpool"):
        return []
    labels = {"request": _("Request deadline"), "claim": _("Claim deadline")}
    return [
        {
            "label": labels[deadline.kind],
            "pool": deadline.pool.name,
            "day": deadline.day,
            "days_left": (deadline.day - today).days,
            "url": reverse("admin:mdf_fundpool_change", args=[deadline.pool.pk]),
        }
        for deadline in selectors_staff.deadlines_this_week(today=today)
    ]


def programme(user: Any, today: date) -> list[dict[str, Any]]:
    """The programme at a glance: figures this user may open."""
    figures: list[dict[str, Any]] = []
    if user.has_perm("partners.view_partner"):
        figures.append(
            {
                "label": _("Active partners"),
                "values": [str(partner_selectors.active_partner_count())],
                "url": reverse("admin:partners_partner_changelist") + "?status__exact=active",
            }
        )
    if user.has_perm("mdf.view_fundpool"):
        funds = selectors_staff.funds_this_period(today=today)
        pools_url = reverse("admin:mdf_fundpool_changelist")
        for label, bucket in (
            (_("Funds allocated this period"), "allocated"),
            (_("Committed"), "committed"),
            (_("Spent"), "spent"),
        ):
            figures.append(
                {
                    "label": label,
                    "values": [
                        format_money(getattr(balance, bucket), currency)
                        for currency, balance in funds.items()
                    ]
                    or ["—"],
                    "url": pools_url,
                }
            )
    if user.has_perm("analytics.view_dailymetric"):
        figures.append(
            {
                # Opens the leaderboard, kits, MDF ROI and top assets.
                "label": _("Leads this month"),
                "values": [
                    str(analytics_selectors.programme_leads_since(since=today.replace(day=1)))
                ],
                "url": reverse("admin:performance_leaderboard"),
            }
        )
    if user.has_perm("assets.view_downloadrecord"):
        month_start = timezone.localtime().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        figures.append(
            {
                "label": _("Downloads this month"),
                "values": [str(partner_selectors.downloads_since(since=month_start))],
                "url": reverse("admin:assets_downloadrecord_changelist")
                + f"?at__year={month_start.year}&at__month={month_start.month}",
            }
        )
    return figures


def onboarding(user: Any) -> dict[str, Any] | None:
    """Partners onboarding and those stalled (no progress, overdue steps), linked to the
    staff pages of partners/admin/onboarding.py."""
    if not user.has_perm("partners.view_onboardingcompletion"):
        return None
    rows = partner_selectors.onboarding_overview()
    return {
        "count": len(rows),
        "stalled": sum(1 for row in rows if row.stalled),
        "progress_url": reverse("admin:partners_onboarding_progress"),
        "stalled_url": reverse("admin:partners_onboarding_stalled"),
    }


def desk_context(request: HttpRequest) -> dict[str, Any]:
    user: Any = request.user
    today = timezone.localdate()
    queues = my_queues(user, today)
    due = deadlines(user, today)
    waiting_total = sum(card.count for card in queues)
    return {
        "queues": queues,
        "nothing_to_decide": bool(queues) and waiting_total == 0,
        "decides_nothing": not queues,
        "deadlines": due,
        "due_this_week": sum(card.due_this_week for card in queues),
        "programme": programme(user, today),
        "onboarding": onboarding(user),
        "summary": ngettext(
            "%(count)d item waits for you.", "%(count)d items wait for you.", waiting_total
        )
        % {"count": waiting_total},
    }


class StaffAuthenticationForm(StaffPasswordLoginMixin, AdminAuthenticationForm):
    """The admin's password login; refuses staff when SSO_STAFF_PASSWORD_LOGIN is off."""


class StaffAdminSite(admin.AdminSite):
    site_header = _("PartnerHub: partner program administration")
    site_title = _("PartnerHub admin")
    index_title = _("Your desk")
    # The dash the portal and the admin's own columns show for "nothing yet".
    empty_value_display = "—"
    login_form = StaffAuthenticationForm

    def login(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # The staff identity provider's button (when one is configured), and whether
        # staff may still use a password (docs/sso.md).
        context = {
            "sso_staff_login_url": sso.staff_provider_login_url(),
            "staff_password_login": settings.SSO_STAFF_PASSWORD_LOGIN,
            **(extra_context or {}),
        }
        return super().login(request, context)

    def get_urls(self) -> list[Any]:
        # The staff analytics (/admin/performance/...) and voice of the partner
        # (/admin/voice/...) pages, ahead of the model admins.
        from analytics import staff_views
        from partners import staff_views as voice_views

        return [*staff_views.urls(self), *voice_views.urls(self), *super().get_urls()]

    def index(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        return super().index(request, {"desk": desk_context(request), **(extra_context or {})})

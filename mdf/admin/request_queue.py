"""The fund request queue, for whoever decides requests: channel managers (their
partners' requests), marketing admins (any request) and finance approvers (requests
above a pool's threshold). Lists what awaits my decision with its SLA, and the
decision page that calls `request_decide`. Partners create requests in the portal."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from mdf import selectors, services
from mdf.admin.common import (
    FINANCE,
    ReadOnlyAdmin,
    StaffPageMixin,
    button,
    money_column,
    money_record,
    show_errors,
    sla_badge,
)
from mdf.admin.queues import (
    OWN_SUBMISSION,
    AwaitingMyDecisionFilter,
    DecisionForm,
    EventInline,
    decided_money_column,
)
from mdf.models import FundRequest
from mdf.money import format_money, fund_share

RS = FundRequest.Status


def may_decide_requests(user: Any) -> bool:
    return user.is_staff and (
        user.has_perm("mdf.change_fundrequest")
        or user.has_perm(services.ANY_REQUEST_PERMISSION)
        or user.has_perm(FINANCE)
    )


def request_blocker(fund_request: FundRequest, user: Any) -> str | None:
    """Why this user cannot decide this request now (None: they can)."""
    if services.can_decide_request(fund_request, user):
        return None
    if user.pk in (fund_request.created_by_id, fund_request.submitted_by_id):
        return str(OWN_SUBMISSION)
    if fund_request.status == RS.SUBMITTED:
        return str(_("This request awaits the partner's channel manager."))
    if fund_request.status == RS.AWAITING_FINANCE:
        return str(_("This request awaits a finance approver."))
    return str(_("This request is not awaiting a decision."))


def request_sla(fund_request: FundRequest) -> str:
    """The request's SLA badge while it waits for a manager or finance, counted from
    when it started waiting for that decision."""
    return sla_badge(
        selectors.request_waiting_since(fund_request),
        fund_request.allocation.pool.decision_sla_days,
    )


def request_outcome(decided: FundRequest) -> str:
    currency = decided.allocation.pool.currency
    if decided.status == RS.AWAITING_FINANCE:
        return str(_("Approved by you; it now awaits a finance approver (above the threshold)."))
    if decided.status == RS.APPROVED:
        return str(
            _("Request approved: %(amount)s committed.")
            % {"amount": format_money(decided.commitment, currency)}
        )
    return str(_("Request rejected."))


class RequestsAwaitingMe(AwaitingMyDecisionFilter):
    def decides(self, user: Any) -> bool:
        return may_decide_requests(user)

    def awaiting(self, request: HttpRequest) -> QuerySet:
        user: Any = request.user
        return selectors.requests_awaiting(user=user)


class RequestEventInline(EventInline):
    fk_name = "request"


class RequestDecisionForm(DecisionForm):
    CHOICES = [
        ("approve", _("Approve in full")),
        ("partly", _("Approve partly")),
        ("reject", _("Reject")),
    ]


def _request_currency(fund_request: FundRequest) -> str:
    return fund_request.allocation.pool.currency


# Read-only: partners request in the portal, and decisions go through the decision
# page and `request_decide`.
@admin.register(FundRequest)
class FundRequestAdmin(StaffPageMixin, ReadOnlyAdmin):
    # What a decider scans first (state, age, money) before the rest: at 1280 px, with the
    # menu and the filter open, only the first five or six columns show.
    list_display = [
        "title",
        "status",
        "sla",
        money_column("requested_amount", _("requested"), _request_currency),
        "partner",
        decided_money_column(
            "approved_amount", _("approved"), _request_currency, FundRequest.UNDECIDED
        ),
        "pool_name",
        "activity_type",
        "submitted_at",
    ]
    list_filter = [
        RequestsAwaitingMe,
        "status",
        "allocation__pool",
        ("partner", admin.RelatedOnlyFieldListFilter),
        "activity_type",
    ]
    list_select_related = ["partner", "allocation__pool", "activity_type"]
    search_fields = ["title", "partner__name"]
    inlines = [RequestEventInline]
    readonly_fields = money_record(
        FundRequest,
        [
            "partner",
            "allocation",
            "activity_type",
            "title",
            "description",
            "activity_start",
            "activity_end",
            "requested_amount",
            "expected_leads",
            "expected_pipeline",
            "launch",
            "status",
            decided_money_column(
                "approved_amount",
                FundRequest._meta.get_field("approved_amount").verbose_name,
                _request_currency,
                FundRequest.UNDECIDED,
            ),
            decided_money_column(
                "commitment",
                FundRequest._meta.get_field("commitment").verbose_name,
                _request_currency,
                FundRequest.UNDECIDED,
            ),
            "created_by",
            "submitted_by",
            "on_behalf",
            "submitted_at",
            "manager_decided_by",
            "manager_decided_at",
            "manager_note",
            "finance_decided_by",
            "finance_decided_at",
            "finance_note",
            "decided_at",
        ],
        money=("requested_amount", "expected_pipeline"),
        currency=_request_currency,
    )
    fields = readonly_fields
    change_form_template = "admin/mdf/decidable_change_form.html"

    @admin.display(description=_("pool"), ordering="allocation__pool__name")
    def pool_name(self, fund_request: FundRequest) -> str:
        return fund_request.allocation.pool.name

    @admin.display(description=_("SLA"))
    def sla(self, fund_request: FundRequest) -> str:
        return request_sla(fund_request)

    def get_list_display(self, request: HttpRequest) -> list[Any]:
        user: Any = request.user

        @admin.display(description="", empty_value="")  # no button: nothing, not "-"
        def decide(fund_request: FundRequest) -> str:
            if not services.can_decide_request(fund_request, user):
                return ""
            return button(
                reverse("admin:mdf_fundrequest_decide", args=[fund_request.pk]), _("Decide")
            )

        # The action next to what it acts on, not past the columns a screen can show.
        first, *rest = self.list_display
        return [first, decide, *rest]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        obj = self.get_object(request, unquote(object_id))
        extra = {}
        user: Any = request.user
        if obj is not None and services.can_decide_request(obj, user):
            extra["decide_url"] = reverse("admin:mdf_fundrequest_decide", args=[obj.pk])
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    def get_urls(self) -> list:
        return [
            path(
                "<path:object_id>/decide/",
                self.admin_site.admin_view(self.decide_view),
                name="mdf_fundrequest_decide",
            ),
            *super().get_urls(),
        ]

    def decide_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        fund_request = self.viewable_object(request, object_id)
        user: Any = request.user
        data = request.POST if request.method == "POST" else None
        if data is not None and not may_decide_requests(user):
            raise PermissionDenied
        blocker = request_blocker(fund_request, user)
        form = RequestDecisionForm(data)
        if data is not None and form.is_valid():
            if blocker:
                form.add_error(None, blocker)
            else:
                try:
                    decided = services.request_decide(
                        fund_request=fund_request,
                        actor=user,
                        approve=form.cleaned_data["decision"] != "reject",
                        approved_amount=form.amount(),
                        note=form.cleaned_data["note"],
                    )
                except ValidationError as exc:
                    show_errors(form, exc, ["note", "approved_amount"])
                else:
                    messages.success(request, request_outcome(decided))
                    return HttpResponseRedirect(reverse("admin:mdf_fundrequest_changelist"))
        pool = fund_request.allocation.pool
        allocation = fund_request.allocation
        return self.page(
            request,
            "request_decide.html",
            _("Decide: %(title)s") % {"title": fund_request.title},
            object=fund_request,
            pool=pool,
            form=form,
            blocker=blocker,
            share=format_money(
                fund_share(fund_request.requested_amount, pool.reimbursement_percentage),
                pool.currency,
            ),
            available=format_money(allocation.available, pool.currency),
            allocation=allocation,
            history=selectors.request_history(fund_request=fund_request),
            sla=request_sla(fund_request),
        )

"""Portal pages of deal registration (/portal/deals/): the partner's registrations (search,
filter, sort, CSV), registering one, a registration's page (its shared history, and the
partner's moves: answer, edit, stage, close, extension).

Deals are partner-owned: every view gets them from `PartnerScopedObjectMixin` (by UUID),
so another partner's deal answers 404 like a missing one. Every partner role reads;
partner admins and sales reps act (every action route refuses marketers with 403,
whichever deal it names). The rules (what may change in which status, the conflict
check, exclusivity) are the services'; the views parse, call and render. A partner
never reads anything about conflicts: only the shared history (`DealEvent.shared`)
is shown, and a registration under review says "Under review" whatever is behind it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import DetailView, ListView

from campaigns import selectors as campaign_selectors
from config.csv_export import csv_response
from deals import services
from deals.forms import (
    AnswerForm,
    CloseLostForm,
    CloseWonForm,
    DealForm,
    ExtensionForm,
    StageForm,
)
from deals.models import Deal, DealEvent, DealExtension, Product
from partners.models import Membership, Partner
from partners.scoping import PartnerScopedObjectMixin, PortalAccessMixin
from partners.selectors.recruitment import country_name

ACTING_ROLES = frozenset({Membership.Role.ADMIN, Membership.Role.SALES})
DS = Deal.Status
DEALS_PER_PAGE = 20

DEAL_SORTS = {
    "registered": ("-submitted_at", gettext_lazy("Newest registrations")),
    "registered_asc": ("submitted_at", gettext_lazy("Oldest registrations")),
    "close": ("expected_close_date", gettext_lazy("Closing soonest")),
    "close_desc": ("-expected_close_date", gettext_lazy("Closing latest")),
    "amount_desc": ("-amount", gettext_lazy("Highest amount")),
    "amount": ("amount", gettext_lazy("Lowest amount")),
}

# What the partner reads in its history; staff-only actions are never shared, and the
# partner-facing words never depend on anything it must not learn.
EVENT_LABELS = {
    DealEvent.Action.REGISTERED: gettext_lazy("Registered: under review"),
    DealEvent.Action.MORE_INFO: gettext_lazy("More information requested"),
    DealEvent.Action.ANSWERED: gettext_lazy("Information added: under review again"),
    DealEvent.Action.APPROVED: gettext_lazy("Approved"),
    DealEvent.Action.REJECTED: gettext_lazy("Rejected"),
    DealEvent.Action.EXTENSION_REQUESTED: gettext_lazy("Extension requested"),
    DealEvent.Action.EXTENSION_APPROVED: gettext_lazy("Extension approved"),
    DealEvent.Action.EXTENSION_REJECTED: gettext_lazy("Extension rejected"),
    DealEvent.Action.STAGE_CHANGED: gettext_lazy("Stage changed"),
    DealEvent.Action.CHANGED: gettext_lazy("Changed"),
    DealEvent.Action.REMINDED: gettext_lazy("Expiry reminder sent"),
    DealEvent.Action.EXPIRED: gettext_lazy("Expired"),
    DealEvent.Action.WON: gettext_lazy("Won"),
    DealEvent.Action.LOST: gettext_lazy("Lost"),
}
# Shared events with these actions are still never shown (a service that marked one
# shared by mistake must not leak a conflict to the partner).
NEVER_SHOWN = (DealEvent.Action.CONFLICT_FLAGGED, DealEvent.Action.CONFLICT_CLEARED)


def error_text(exc: ValidationError) -> str:
    return " ".join(str(message) for message in exc.messages)


def actor_label(user: Any) -> str:
    """Who did it, as a partner sees it: vendor staff are marked as the vendor's."""
    if user is None:
        return _("Automatic (daily job)")
    name = user.get_full_name() or user.get_username()
    if user.is_staff:
        return _("Vendor: %(name)s") % {"name": name}
    return name


def days_left(expires_on: date | None, today: date) -> int | None:
    return None if expires_on is None else (expires_on - today).days


def deal_form(partner: Partner, *args: Any, **kwargs: Any) -> DealForm:
    """The registration form with the vendor's offered products and the partner's own
    launches (the only ones it may name)."""
    return DealForm(
        *args,
        products=Product.objects.filter(active=True).order_by("name"),
        launches=campaign_selectors.launches_for_partner(partner=partner),
        **kwargs,
    )


def deal_input(form: DealForm) -> Any:
    return services.DealInput(**form.deal_fields())


class DealsPageMixin(PortalAccessMixin):
    """Every deals page: portal access, and whether the user may act (marketers read)."""

    request: HttpRequest

    @property
    def partner(self) -> Partner:
        return self.request.partner  # type: ignore[attr-defined]

    def can_act(self) -> bool:
        return self.request.membership.role in ACTING_ROLES  # type: ignore[attr-defined]


class DealObjectMixin(DealsPageMixin, PartnerScopedObjectMixin):
    """A page of one of the partner's deals (by UUID)."""

    model = Deal

    def narrow_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("launch__kit", "registered_by")

    def deal(self) -> Deal:
        if not hasattr(self, "_deal"):
            deal = self.get_object()
            assert isinstance(deal, Deal)
            self._deal = deal
        return self._deal

    def back_to_deal(self, anchor: str = "") -> HttpResponse:
        url = reverse("deals:detail", kwargs={"uuid": self.deal().uuid})
        return redirect(f"{url}#{anchor}" if anchor else url)


class ActingDealMixin(DealObjectMixin):
    """An action on a deal: partner admins and sales reps only."""

    allowed_roles = ACTING_ROLES


# --- the list and its export ----------------------------------------------------------------


class ForgivingPagesMixin:
    """A page number out of range or not a number shows the nearest page (the last, or
    the first), as `Paginator.get_page` does, rather than a 404."""

    request: HttpRequest

    def paginate_queryset(self, queryset: QuerySet, page_size: int) -> tuple[Any, Any, Any, bool]:
        paginator = self.get_paginator(queryset, page_size)  # type: ignore[attr-defined]
        page = paginator.get_page(self.request.GET.get("page"))
        return paginator, page, page.object_list, page.has_other_pages()


class DealFilters:
    """The list's search, status filter and sort, read once from the query string and
    shared by the page and its CSV export (the export is the filtered list)."""

    def __init__(self, params: QueryDict) -> None:
        self.query = params.get("q", "").strip()[:100]
        status = params.get("status", "")
        self.status = status if status in DS.values else ""
        sort = params.get("sort", "")
        self.sort = sort if sort in DEAL_SORTS else "registered"

    @property
    def filtered(self) -> bool:
        return bool(self.query or self.status)

    def apply(self, queryset: QuerySet) -> QuerySet:
        if self.status:
            queryset = queryset.filter(status=self.status)
        if self.query:
            queryset = queryset.filter(
                Q(company__icontains=self.query) | Q(domain__icontains=self.query)
            )
        return queryset.order_by(DEAL_SORTS[self.sort][0], "-id")


class DealListView(ForgivingPagesMixin, DealsPageMixin, PartnerScopedObjectMixin, ListView):
    model = Deal
    template_name = "deals/portal/deal_list.html"
    context_object_name = "deals"
    paginate_by = DEALS_PER_PAGE

    def narrow_queryset(self, queryset: QuerySet) -> QuerySet:
        return DealFilters(self.request.GET).apply(queryset)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        filters = DealFilters(self.request.GET)
        today = timezone.localdate()
        deals = list(context["deals"])
        for deal in deals:
            deal.days_left = days_left(deal.expires_on, today)
        context.update(
            deals=deals,
            can_act=self.can_act(),
            status_choices=DS.choices,
            sort_choices=[(key, label) for key, (_order, label) in DEAL_SORTS.items()],
            current_status=filters.status,
            current_sort=filters.sort,
            query=filters.query,
            filtered=filters.filtered,
            export_query=self.request.GET.urlencode(),
        )
        return context


class DealExportView(DealsPageMixin, PartnerScopedObjectMixin, View):
    """The filtered list as CSV (search, status and sort as on the page; every page).

    Built in memory inside the request's partner scope (the response streams later)."""

    model = Deal

    def narrow_queryset(self, queryset: QuerySet) -> QuerySet:
        return (
            DealFilters(self.request.GET)
            .apply(queryset)
            .select_related("launch", "registered_by")
            .prefetch_related("products")
        )

    def get(self, request: HttpRequest) -> HttpResponse:
        header = [
            _("Registration ID"),
            _("Customer company"),
            _("Web domain"),
            _("Country"),
            _("Products"),
            _("Status"),
            _("Stage"),
            _("Estimated amount"),
            _("Won amount"),
            _("Currency"),
            _("Expected close date"),
            _("Registered at"),
            _("Registered by"),
            _("Protected until"),
            _("Launch"),
        ]
        rows = [self.row(deal) for deal in self.get_queryset()]
        return csv_response("deal-registrations", header, rows)

    @staticmethod
    def row(deal: Deal) -> list[Any]:
        return [
            str(deal.uuid),
            deal.company,
            deal.domain,
            deal.country,
            "; ".join(product.name for product in deal.products.all()),
            deal.get_status_display(),
            deal.get_stage_display(),
            f"{deal.amount:.2f}",
            f"{deal.won_amount:.2f}" if deal.won_amount is not None else "",
            deal.currency,
            deal.expected_close_date.isoformat(),
            timezone.localtime(deal.submitted_at).isoformat(timespec="seconds"),
            deal.registered_by.get_full_name() or deal.registered_by.get_username(),
            deal.expires_on.isoformat() if deal.expires_on else "",
            deal.launch.code if deal.launch else "",
        ]


# --- register ---------------------------------------------------------------------------------


class DealCreateView(DealsPageMixin, View):
    allowed_roles = ACTING_ROLES
    template_name = "deals/portal/deal_form.html"

    def render_form(self, form: DealForm, status: int = 200) -> HttpResponse:
        return render(self.request, self.template_name, {"form": form}, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render_form(deal_form(self.partner))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = deal_form(self.partner, request.POST)
        if form.is_valid():
            try:
                deal = services.deal_register(
                    partner=self.partner, user=request.user, data=deal_input(form)
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(
                    request,
                    _("Your deal is registered and under review. We email you the decision."),
                )
                return redirect("deals:detail", uuid=deal.uuid)
        return self.render_form(form, status=400)


# --- a deal's page -----------------------------------------------------------------------------


class DealDetailView(DealObjectMixin, DetailView):
    template_name = "deals/portal/deal_detail.html"
    context_object_name = "deal"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(deal_context(self.object, can_act=self.can_act()))
        return context


def shared_history(deal: Deal) -> list[dict[str, Any]]:
    events = (
        DealEvent.objects.filter(deal=deal, partner=deal.partner, shared=True)
        .exclude(action__in=NEVER_SHOWN)
        .select_related("actor")
        .order_by("at", "id")
    )
    return [
        {
            "at": event.at,
            "label": EVENT_LABELS.get(event.action, event.get_action_display()),
            "who": actor_label(event.actor),
            "action": event.action,
            "old": event.old_value,
            "new": event.new_value,
            "note": event.detail_text,
        }
        for event in events
    ]


def stage_label(value: str) -> str:
    return str(Deal.Stage(value).label) if value in Deal.Stage.values else value


def deal_context(deal: Deal, *, can_act: bool) -> dict[str, Any]:
    """What a deal's page shows, and which of the partner's moves are open now."""
    today = timezone.localdate()
    extensions = list(DealExtension.objects.filter(deal=deal, partner=deal.partner))
    pending_extension = next(
        (e for e in extensions if e.status == DealExtension.Status.PENDING), None
    )
    approved = deal.status == DS.APPROVED
    history = shared_history(deal)
    for entry in history:
        if entry["action"] == DealEvent.Action.STAGE_CHANGED:
            entry["old"], entry["new"] = stage_label(entry["old"]), stage_label(entry["new"])
    return {
        "deal": deal,
        "can_act": can_act,
        "products": list(deal.products.all()),
        "country": country_name(deal.country),
        "days_left": days_left(deal.expires_on, today) if approved else None,
        "history": history,
        "extensions": extensions,
        "pending_extension": pending_extension,
        "can_edit": can_act and deal.status in Deal.UNDECIDED_STATUSES,
        "can_answer": can_act and deal.status == DS.MORE_INFO,
        "can_move": can_act and approved,
        "can_extend": can_act and approved and pending_extension is None,
        "answer_form": AnswerForm(),
        "stage_form": StageForm(initial={"stage": deal.stage}),
        "extension_form": ExtensionForm(),
    }


# --- the partner's moves -----------------------------------------------------------------------


class DealEditView(ActingDealMixin, View):
    """Change the registration while it is under review (or more information is asked)."""

    template_name = "deals/portal/deal_form.html"

    def render_form(self, form: DealForm, status: int = 200) -> HttpResponse:
        deal = self.deal()
        context = {
            "form": form,
            "deal": deal,
            "editing": True,
            "can_edit": deal.status in Deal.UNDECIDED_STATUSES,
        }
        return render(self.request, self.template_name, context, status=status)

    def get(self, request: HttpRequest, uuid: Any) -> HttpResponse:
        return self.render_form(deal_form(self.partner, initial=DealForm.initial_from(self.deal())))

    def post(self, request: HttpRequest, uuid: Any) -> HttpResponse:
        form = deal_form(self.partner, request.POST)
        if form.is_valid():
            try:
                services.deal_update(deal=self.deal(), user=request.user, **form.deal_fields())
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("The registration is saved."))
                return self.back_to_deal()
        return self.render_form(form, status=400)


class DealFormActionView(ActingDealMixin, View):
    """One form and one service call: GET shows the form on its own page (the deal's page
    has it too), POST calls the service; errors come back at their fields."""

    form_class: type = AnswerForm
    template_name = "deals/portal/deal_action.html"
    title = ""
    intro = ""
    submit_label = ""
    danger = False
    anchor = ""

    def call(self, form: Any) -> str:  # pragma: no cover - every subclass says
        raise NotImplementedError

    def make_form(self, *args: Any, **kwargs: Any) -> Any:
        return self.form_class(*args, **kwargs)

    def render_form(self, form: Any, status: int = 200) -> HttpResponse:
        context = {
            "deal": self.deal(),
            "form": form,
            "title": self.title,
            "intro": self.intro,
            "submit_label": self.submit_label,
            "danger": self.danger,
            "action": self.request.path,
        }
        return render(self.request, self.template_name, context, status=status)

    def get(self, request: HttpRequest, uuid: Any) -> HttpResponse:
        return self.render_form(self.make_form())

    def post(self, request: HttpRequest, uuid: Any) -> HttpResponse:
        form = self.make_form(request.POST)
        if form.is_valid():
            try:
                message = self.call(form)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, message)
                return self.back_to_deal(self.anchor)
        return self.render_form(form, status=400)


class DealAnswerView(DealFormActionView):
    form_class = AnswerForm
    title = gettext_lazy("Answer the request for more information")
    submit_label = gettext_lazy("Send the answer")

    def call(self, form: AnswerForm) -> str:
        services.deal_answer(
            deal=self.deal(), user=self.request.user, notes=form.cleaned_data["notes"]
        )
        return _("Thank you. Your registration is under review again.")


class DealStageView(DealFormActionView):
    form_class = StageForm
    title = gettext_lazy("Update the stage")
    submit_label = gettext_lazy("Save the stage")

    def make_form(self, *args: Any, **kwargs: Any) -> StageForm:
        kwargs.setdefault("initial", {"stage": self.deal().stage})
        return StageForm(*args, **kwargs)

    def call(self, form: StageForm) -> str:
        deal = services.deal_set_stage(
            deal=self.deal(), user=self.request.user, stage=form.cleaned_data["stage"]
        )
        return _("The deal is now at the stage “%(stage)s”.") % {"stage": deal.get_stage_display()}


class DealExtensionView(DealFormActionView):
    form_class = ExtensionForm
    title = gettext_lazy("Request an extension")
    intro = gettext_lazy(
        "Your channel manager decides; an approved extension adds time to the protection."
    )
    submit_label = gettext_lazy("Request the extension")
    anchor = "extensions"

    def call(self, form: ExtensionForm) -> str:
        services.extension_request(
            deal=self.deal(), user=self.request.user, reason=form.cleaned_data["reason"]
        )
        return _("Your extension request is sent. We email you the decision.")


class DealCloseWonView(DealFormActionView):
    """Close the deal as won: the page is the confirmation (closing cannot be undone)."""

    form_class = CloseWonForm
    title = gettext_lazy("Close the deal as won")
    intro = gettext_lazy(
        "Closing the deal ends its registration: it counts as won in your results and "
        "cannot be reopened."
    )
    submit_label = gettext_lazy("Close as won")

    def make_form(self, *args: Any, **kwargs: Any) -> CloseWonForm:
        kwargs.setdefault("initial", {"amount": self.deal().amount})
        return CloseWonForm(*args, **kwargs)

    def call(self, form: CloseWonForm) -> str:
        services.deal_close_won(
            deal=self.deal(), user=self.request.user, amount=form.cleaned_data["amount"]
        )
        return _("Congratulations! The deal is closed as won.")


class DealCloseLostView(DealFormActionView):
    """Close the deal as lost: the page is the confirmation."""

    form_class = CloseLostForm
    title = gettext_lazy("Close the deal as lost")
    intro = gettext_lazy(
        "Closing the deal ends its registration and its protection; it cannot be reopened."
    )
    submit_label = gettext_lazy("Close as lost")
    danger = True

    def call(self, form: CloseLostForm) -> str:
        services.deal_close_lost(
            deal=self.deal(), user=self.request.user, reason=form.cleaned_data["reason"]
        )
        return _("The deal is closed as lost.")

"""Portal pages of the leads the vendor offers the partner (/portal/deals/leads/): the
offers waiting for an answer (with their "answer by" time), the accepted ones being
worked, and an offer's page: accept, decline (reason and note), work it (progress,
next step, due date), convert it into a deal registration in one step.

Offers are partner-owned (`LeadOffer`, by UUID, from `PartnerScopedObjectMixin`): another
partner's offer answers 404 like a missing one. The lead itself is the vendor's; the
partner reads it through its own offer, and its contact details only while the offer
is waiting for an answer or accepted. Partner admins and sales reps use these pages
(marketers get 403). The rules (the SLA, races, routing on) are the services'.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View
from django.views.generic import DetailView, ListView

from deals import services
from deals.forms import DeclineForm, WorkForm
from deals.models import LeadOffer
from deals.views.registration import (
    ACTING_ROLES,
    DealsPageMixin,
    ForgivingPagesMixin,
    deal_form,
    deal_input,
    error_text,
)
from partners.scoping import PartnerScopedObjectMixin
from partners.selectors.recruitment import country_name

OS = LeadOffer.Status
LEADS_PER_PAGE = 20

# The list's filter: what a partner looks for, not the offer's raw statuses.
LEAD_FILTERS = {
    "open": ((OS.PENDING, OS.ACCEPTED), gettext_lazy("Waiting or accepted")),
    "pending": ((OS.PENDING,), gettext_lazy("Waiting for your answer")),
    "accepted": ((OS.ACCEPTED,), gettext_lazy("Accepted")),
    "past": ((OS.DECLINED, OS.EXPIRED, OS.WITHDRAWN), gettext_lazy("No longer yours")),
}
LEAD_SORTS = {
    "due": (("due_at",), gettext_lazy("Answer by, soonest first")),
    "newest": (("-offered_at",), gettext_lazy("Newest offers")),
    "oldest": (("offered_at",), gettext_lazy("Oldest offers")),
}


def time_left(due_at: datetime, now: datetime) -> str:
    """ "1 day, 4 hours left", "3 hours left", "less than an hour left", "overdue"."""
    remaining = due_at - now
    if remaining <= timedelta(0):
        return _("overdue")
    days, seconds = remaining.days, remaining.seconds
    hours = seconds // 3600
    if days:
        return ngettext(
            "%(days)d day, %(hours)d h left", "%(days)d days, %(hours)d h left", days
        ) % {
            "days": days,
            "hours": hours,
        }
    if hours:
        return ngettext("%(hours)d hour left", "%(hours)d hours left", hours) % {"hours": hours}
    return _("less than an hour left")


class LeadsPageMixin(DealsPageMixin):
    """Every leads page: partner admins and sales reps."""

    allowed_roles = ACTING_ROLES


class OfferObjectMixin(LeadsPageMixin, PartnerScopedObjectMixin):
    """A page of one of the partner's lead offers (by the offer's UUID)."""

    model = LeadOffer

    def narrow_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("lead", "deal")

    def offer(self) -> LeadOffer:
        if not hasattr(self, "_offer"):
            offer = self.get_object()
            assert isinstance(offer, LeadOffer)
            self._offer = offer
        return self._offer

    def back_to_offer(self, anchor: str = "") -> HttpResponse:
        url = reverse("deals:lead_detail", kwargs={"uuid": self.offer().uuid})
        return redirect(f"{url}#{anchor}" if anchor else url)


class LeadListView(ForgivingPagesMixin, LeadsPageMixin, PartnerScopedObjectMixin, ListView):
    model = LeadOffer
    template_name = "deals/portal/lead_list.html"
    context_object_name = "offers"
    paginate_by = LEADS_PER_PAGE

    def choices(self) -> tuple[str, str, str]:
        params = self.request.GET
        show = params.get("show", "")
        show = show if show in LEAD_FILTERS else "open"
        sort = params.get("sort", "")
        sort = sort if sort in LEAD_SORTS else "due"
        return show, sort, params.get("q", "").strip()[:100]

    def narrow_queryset(self, queryset: QuerySet) -> QuerySet:
        show, sort, query = self.choices()
        queryset = queryset.filter(status__in=LEAD_FILTERS[show][0]).select_related("lead", "deal")
        if query:
            queryset = queryset.filter(
                Q(lead__company__icontains=query) | Q(lead__domain__icontains=query)
            )
        return queryset.order_by(*LEAD_SORTS[sort][0], "-id")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        show, sort, query = self.choices()
        now = timezone.now()
        offers = list(context["offers"])
        for offer in offers:
            offer.time_left = time_left(offer.due_at, now) if offer.status == OS.PENDING else ""
        context.update(
            offers=offers,
            show_choices=[(key, label) for key, (_s, label) in LEAD_FILTERS.items()],
            sort_choices=[(key, label) for key, (_o, label) in LEAD_SORTS.items()],
            current_show=show,
            current_sort=sort,
            query=query,
            filtered=bool(query) or show != "open",
            waiting=self.get_queryset().filter(status=OS.PENDING).count(),
        )
        return context


class LeadDetailView(OfferObjectMixin, DetailView):
    template_name = "deals/portal/lead_detail.html"
    context_object_name = "offer"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(offer_context(self.object))
        return context


def offer_context(offer: LeadOffer) -> dict[str, Any]:
    live = offer.status in (OS.PENDING, OS.ACCEPTED)
    accepted = offer.status == OS.ACCEPTED
    return {
        "offer": offer,
        "lead": offer.lead,
        "country": country_name(offer.lead.country) if offer.lead.country else "",
        "live": live,
        "time_left": time_left(offer.due_at, timezone.now()) if offer.status == OS.PENDING else "",
        "can_answer": offer.status == OS.PENDING,
        "can_work": accepted,
        "can_convert": accepted and offer.deal_id is None,
        "decline_form": DeclineForm(),
        "work_form": WorkForm(
            initial={
                "work_status": offer.work_status,
                "next_step": offer.next_step,
                "next_step_due": offer.next_step_due,
            }
        ),
    }


class LeadAcceptView(OfferObjectMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, uuid: Any) -> HttpResponse:
        try:
            services.lead_accept(offer=self.offer(), user=request.user)
        except ValidationError as exc:
            messages.error(request, _("Not accepted: %(why)s") % {"why": error_text(exc)})
        else:
            messages.success(request, _("The lead is yours. Contact them soon."))
        return self.back_to_offer()


class LeadDeclineView(OfferObjectMixin, View):
    """Decline (GET: the form, which is the confirmation; POST: decline)."""

    template_name = "deals/portal/lead_decline.html"

    def render_form(self, form: DeclineForm, status: int = 200) -> HttpResponse:
        offer = self.offer()
        context = {"offer": offer, "lead": offer.lead, "form": form, **_answerable(offer)}
        return render(self.request, self.template_name, context, status=status)

    def get(self, request: HttpRequest, uuid: Any) -> HttpResponse:
        return self.render_form(DeclineForm())

    def post(self, request: HttpRequest, uuid: Any) -> HttpResponse:
        form = DeclineForm(request.POST)
        if form.is_valid():
            try:
                services.lead_decline(
                    offer=self.offer(),
                    user=request.user,
                    reason=form.cleaned_data["reason"],
                    note=form.cleaned_data["note"],
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("The lead is declined; it goes to another partner."))
                return redirect("deals:lead_list")
        return self.render_form(form, status=400)


def _answerable(offer: LeadOffer) -> dict[str, Any]:
    return {"can_answer": offer.status == OS.PENDING}


class LeadWorkView(OfferObjectMixin, View):
    """Record the progress of an accepted lead. The form sits on the offer's page; this
    page shows it again with the errors at their fields."""

    template_name = "deals/portal/lead_work.html"

    def render_form(self, form: WorkForm, status: int = 200) -> HttpResponse:
        offer = self.offer()
        context = {"offer": offer, "lead": offer.lead, "form": form}
        return render(self.request, self.template_name, context, status=status)

    def get(self, request: HttpRequest, uuid: Any) -> HttpResponse:
        offer = self.offer()
        return self.render_form(
            WorkForm(
                initial={
                    "work_status": offer.work_status,
                    "next_step": offer.next_step,
                    "next_step_due": offer.next_step_due,
                }
            )
        )

    def post(self, request: HttpRequest, uuid: Any) -> HttpResponse:
        form = WorkForm(request.POST)
        if form.is_valid():
            try:
                services.lead_work(offer=self.offer(), user=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("The progress is saved."))
                return self.back_to_offer("work")
        return self.render_form(form, status=400)


class LeadConvertView(OfferObjectMixin, View):
    """Convert an accepted lead into a deal registration: the registration form,
    prefilled from the lead; the same checks as any registration."""

    template_name = "deals/portal/deal_form.html"

    def render_form(self, form: Any, status: int = 200) -> HttpResponse:
        offer = self.offer()
        context = {
            "form": form,
            "offer": offer,
            "converting": True,
            "can_convert": offer.status == OS.ACCEPTED and offer.deal_id is None,
        }
        return render(self.request, self.template_name, context, status=status)

    def get(self, request: HttpRequest, uuid: Any) -> HttpResponse:
        from deals.forms import DealForm

        initial = DealForm.initial_from_offer(self.offer())
        return self.render_form(deal_form(self.partner, initial=initial))

    def post(self, request: HttpRequest, uuid: Any) -> HttpResponse:
        form = deal_form(self.partner, request.POST)
        if form.is_valid():
            try:
                deal = services.lead_convert(
                    offer=self.offer(), user=request.user, data=deal_input(form)
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(
                    request,
                    _(
                        "The lead is registered as a deal and under review. "
                        "We email you the decision."
                    ),
                )
                return redirect("deals:detail", uuid=deal.uuid)
        return self.render_form(form, status=400)

"""Staff pages of lead distribution: every lead (filters: status, region,
specialisation, with staff), the add form, a lead's page with its current offer, its
offers and its routing history, and the actions: offer to a partner by hand, route by
the rules, withdraw.

Every write goes through `deals.services` (`lead_create`, `lead_offer_to`,
`lead_route`, `lead_withdraw`), which record the routing history and the actor; the
pages only parse, call and render. Channel managers and marketing admins
(`deals.add_lead`, `deals.change_lead`) act; analysts read. The staff middleware has
scopes disabled, visibly, for the admin.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from deals import selectors, services
from deals.admin.registration import badge, show_errors, staff_page
from deals.models import Lead, LeadOffer
from mdf.money import format_money
from partners.models import Partner

LS = Lead.Status
ACT_ON_LEADS = "deals.change_lead"
WITH_STAFF = (LS.NEW, LS.RETURNED)
HELD = (LS.OFFERED, LS.ACCEPTED)
STATUS_COLOURS = {
    LS.NEW: "#8a6d12",
    LS.OFFERED: "#1d5f8a",
    LS.ACCEPTED: "#1f7a4d",
    LS.RETURNED: "#a12622",
    LS.CONVERTED: "#1f6b3a",
    LS.CLOSED: "#495057",
}


def may_act(user: Any) -> bool:
    return bool(user.is_staff and user.has_perm(ACT_ON_LEADS))


class WithStaffFilter(admin.SimpleListFilter):
    """Leads no partner holds: new ones and those back with staff (`leads_with_staff`,
    the desk's count)."""

    title = _("with staff")
    parameter_name = "with_staff"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("With staff")), ("no", _("With a partner or done"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(pk__in=selectors.leads_with_staff().values("pk"))
        if self.value() == "no":
            return queryset.exclude(pk__in=selectors.leads_with_staff().values("pk"))
        return queryset


LEAD_FIELDS = [
    "company",
    "domain",
    "country",
    "region",
    "specialisation",
    "contact_name",
    "contact_email",
    "contact_phone",
    "description",
    "amount",
    "currency",
]


class LeadAddForm(forms.Form):
    """What staff enter about a new lead, with the model's fields; `lead_create` checks
    and saves it (a plain form: the model's constraints are the service's to report,
    at the field)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(forms.fields_for_model(Lead, fields=LEAD_FIELDS))


class OfferForm(forms.Form):
    partner = forms.ModelChoiceField(
        label=_("Partner"),
        queryset=Partner.objects.none(),
        help_text=_("An active partner that was not offered this lead before."),
    )

    def __init__(self, *args: Any, lead: Lead, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offered = LeadOffer.objects.filter(lead=lead).values("partner")
        field: Any = self.fields["partner"]
        field.queryset = (
            Partner.objects.filter(status=Partner.Status.ACTIVE)
            .exclude(pk__in=offered)
            .order_by("name")
        )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 70}),
        help_text=_("Required. Kept in the routing history; the partner loses the lead."),
    )


class ConfirmForm(forms.Form):
    """Nothing to enter: the button confirms."""


# Each action on a lead: when it is offered, its page title and button, and its message.
ACTIONS: dict[str, dict[str, Any]] = {
    "offer": {
        "statuses": WITH_STAFF,
        "title": _("Offer this lead to a partner"),
        "button": _("Offer to partner"),
    },
    "route": {
        "statuses": WITH_STAFF,
        "title": _("Route this lead by the rules?"),
        "button": _("Route by the rules"),
    },
    "withdraw": {
        "statuses": HELD,
        "title": _("Withdraw this lead from its partner?"),
        "button": _("Withdraw"),
    },
}


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    """Every lead: the add form, and each lead's page (read-only content, the current
    offer, offers and routing history, actions)."""

    list_display = [
        "company",
        "status_shown",
        "region",
        "specialisation",
        "holder",
        "answer_by",
        "created_at",
    ]
    list_filter = [WithStaffFilter, "status", "region", "specialisation"]
    search_fields = ["company", "domain", "contact_name", "contact_email", "external_id"]
    list_select_related = ["region", "specialisation", "current_offer__partner"]
    date_hierarchy = "created_at"
    change_form_template = "admin/deals/lead/change_form.html"
    actions = ["route_selected"]
    fields = [
        "company",
        "status_shown",
        "domain",
        "country",
        "region",
        "specialisation",
        "contact_name",
        "contact_email",
        "contact_phone",
        "description",
        "amount_shown",
        "external_id",
        "created_by",
        "created_at",
    ]
    readonly_fields = fields

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a lead changes through its actions, never by editing

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .select_related("region", "specialisation", "created_by", "current_offer__partner")
        )

    # --- columns ----------------------------------------------------------------------------

    @admin.display(description=_("status"), ordering="status")
    def status_shown(self, lead: Lead) -> str:
        return badge(STATUS_COLOURS.get(lead.status, "#495057"), lead.get_status_display())

    @admin.display(description=_("partner"))
    def holder(self, lead: Lead) -> str:
        offer = lead.current_offer
        if offer is None or lead.status not in HELD:
            return "—"
        return offer.partner.name

    @admin.display(description=_("answer by"))
    def answer_by(self, lead: Lead) -> Any:
        offer = lead.current_offer
        if offer is None or offer.status != LeadOffer.Status.PENDING:
            return "—"
        return offer.due_at

    @admin.display(description=_("estimated amount"))
    def amount_shown(self, lead: Lead) -> str:
        if lead.amount is None:
            return "—"
        return format_money(lead.amount, lead.currency)

    # --- bulk action ----------------------------------------------------------------------

    @admin.action(description=_("Route the selected leads by the rules"), permissions=["act"])
    def route_selected(self, request: HttpRequest, queryset: QuerySet[Lead]) -> None:
        offered = back = skipped = 0
        for lead in queryset.filter(status__in=WITH_STAFF):
            try:
                offer = services.lead_route(lead=lead, actor=request.user)
            except ValidationError:
                skipped += 1
                continue
            if offer is None:
                back += 1
            else:
                offered += 1
        skipped += queryset.exclude(status__in=WITH_STAFF).count()
        messages.info(
            request,
            _(
                "%(offered)d lead(s) offered, %(back)d with no partner left (back with staff), "
                "%(skipped)d not with staff (left as they were)."
            )
            % {"offered": offered, "back": back, "skipped": skipped},
        )

    def has_act_permission(self, request: HttpRequest) -> bool:
        return may_act(request.user)

    # --- the add form -----------------------------------------------------------------------

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        user: Any = request.user
        form = LeadAddForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            values = {name: form.cleaned_data[name] for name in LEAD_FIELDS}
            data = services.LeadInput(**values)
            try:
                lead, _created = services.lead_create(data=data, actor=user)
            except ValidationError as exc:
                show_errors(form, exc)
            else:
                messages.success(
                    request, _("Lead added. Offer it to a partner or route it by the rules.")
                )
                return HttpResponseRedirect(reverse("admin:deals_lead_change", args=[lead.pk]))
        return staff_page(
            self,
            request,
            "lead/form.html",
            _("Add lead"),
            form=form,
            button=_("Add lead"),
            cancel_url=reverse("admin:deals_lead_changelist"),
        )

    # --- the lead's page --------------------------------------------------------------------

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        lead = self.get_object(request, unquote(object_id))
        extra: dict[str, Any] = {}
        if lead is not None:
            extra = self.lead_context(request, lead)
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    def lead_context(self, request: HttpRequest, lead: Lead) -> dict[str, Any]:
        user: Any = request.user
        offers = list(
            LeadOffer.objects.filter(lead=lead).select_related("partner", "rule", "responded_by")
        )
        current = next((offer for offer in offers if offer.pk == lead.current_offer_id), None)
        routing = list(lead.routing.select_related("partner", "rule", "actor"))
        actions = [
            (reverse("admin:deals_lead_act", args=[lead.pk, name]), spec["button"])
            for name, spec in ACTIONS.items()
            if may_act(user) and lead.status in spec["statuses"]
        ]
        return {
            "lead": lead,
            "offers": offers,
            "current_offer": current if lead.status in HELD else None,
            "routing": routing,
            "lead_actions": actions,
        }

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<path:object_id>/act/<str:action>/",
                self.admin_site.admin_view(self.act_view),
                name="deals_lead_act",
            ),
            *super().get_urls(),
        ]

    def act_view(self, request: HttpRequest, object_id: str, action: str) -> HttpResponse:
        lead = self.get_object(request, unquote(object_id))
        spec = ACTIONS.get(action)
        if lead is None or spec is None:
            raise Http404
        user: Any = request.user
        if not may_act(user):
            raise PermissionDenied
        data = request.POST if request.method == "POST" else None
        form: forms.Form
        if action == "offer":
            form = OfferForm(data, lead=lead)
        elif action == "withdraw":
            form = WithdrawForm(data)
        else:
            form = ConfirmForm(data)
        change_url = reverse("admin:deals_lead_change", args=[lead.pk])
        if data is not None and form.is_valid():
            try:
                done = self.run_action(action, lead, user, form)
            except ValidationError as exc:
                show_errors(form, exc)
            else:
                messages.success(request, done)
                return HttpResponseRedirect(change_url)
        return staff_page(
            self,
            request,
            "lead/form.html",
            spec["title"],
            lead=lead,
            action=action,
            form=form,
            button=spec["button"],
            cancel_url=change_url,
            object_url=change_url,
            object_label=lead.company,
            available=lead.status in spec["statuses"],
        )

    def run_action(self, action: str, lead: Lead, user: Any, form: forms.Form) -> str:
        """Call the action's service; what staff are told after it."""
        if action == "offer":
            offer = services.lead_offer_to(
                lead=lead, partner=form.cleaned_data["partner"], actor=user
            )
            return str(_("Lead offered to %(partner)s.") % {"partner": offer.partner.name})
        if action == "withdraw":
            services.lead_withdraw(lead=lead, actor=user, reason=form.cleaned_data["reason"])
            return str(_("Lead withdrawn; it is back with staff."))
        routed = services.lead_route(lead=lead, actor=user)
        if routed is None:
            return str(_("No partner matches the rules: the lead is back with staff."))
        return str(
            _("Lead offered to %(partner)s by the rules.") % {"partner": routed.partner.name}
        )

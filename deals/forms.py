"""Portal forms of deals and leads. They parse and check the shape of the input
(numbers, dates, choices among the partner's own launches and the vendor's products);
the rules are the services' (docs/deals.md) and come back as field-keyed
ValidationErrors, shown at their fields (`ServiceErrorsMixin`)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from campaigns.models import Launch
from deals.models import AMOUNT_DIGITS, Deal, LeadOffer, Product
from partners.forms import PortalWidgetsMixin, ServiceErrorsMixin
from partners.selectors.recruitment import country_choices

MONEY = {"max_digits": AMOUNT_DIGITS, "decimal_places": 2}


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class LaunchChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj} · {obj.kit.name}" if getattr(obj, "kit", None) else str(obj)


class DealForm(PortalWidgetsMixin, ServiceErrorsMixin, forms.Form):
    """Register a deal (or change one while it is under review). The field names are
    `DealInput`'s; `deal_input()` builds it."""

    company = forms.CharField(label=_("Customer company"), max_length=200)
    domain = forms.CharField(
        label=_("Customer web domain"),
        max_length=253,
        help_text=_("The customer's web domain, e.g. example.com."),
    )
    country = forms.ChoiceField(label=_("Customer country"))
    products = forms.ModelMultipleChoiceField(
        label=_("Products"),
        queryset=Product.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one product.")},
    )
    amount = forms.DecimalField(
        label=_("Estimated amount"),
        min_value=0,
        **MONEY,
        help_text=_("What the customer is expected to spend; 0 or more."),
    )
    currency = forms.CharField(
        label=_("Currency"),
        max_length=3,
        initial="USD",
        help_text=_("A three-letter code such as USD or EUR."),
    )
    expected_close_date = forms.DateField(label=_("Expected close date"), widget=DateInput())
    stage = forms.ChoiceField(label=_("Stage"), choices=Deal.Stage.choices)
    launch = LaunchChoiceField(
        label=_("Sourced by campaign launch"),
        queryset=Launch.objects.none(),
        required=False,
        empty_label=_("None"),
        help_text=_("If one of your campaign launches brought this customer in."),
    )
    contact_name = forms.CharField(label=_("Customer contact"), max_length=120, required=False)
    contact_email = forms.EmailField(label=_("Contact email"), required=False)
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What the customer needs and how you are working the deal."),
    )

    def __init__(
        self,
        *args: Any,
        products: QuerySet[Product],
        launches: QuerySet[Launch],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["products"].queryset = products  # type: ignore[attr-defined]
        self.fields["launch"].queryset = launches  # type: ignore[attr-defined]
        country = self.fields["country"]
        assert isinstance(country, forms.ChoiceField)
        country.choices = [("", _("Choose a country")), *country_choices()]
        # One checkbox per product: the group is labelled by its legend, not a <select>.
        self.fields["products"].widget.attrs["class"] = "form-check-input"

    def clean_currency(self) -> str:
        return self.cleaned_data["currency"].strip().upper()

    def clean_domain(self) -> str:
        return self.cleaned_data["domain"].strip()

    def deal_fields(self) -> dict[str, Any]:
        """The cleaned data as the services take it: products and launch by their
        public identifiers (slugs, tracking code)."""
        data = dict(self.cleaned_data)
        data["products"] = [product.slug for product in data.get("products") or []]
        launch = data.get("launch")
        data["launch"] = launch.code if launch is not None else ""
        return data

    @staticmethod
    def initial_from(deal: Deal) -> dict[str, Any]:
        return {
            "company": deal.company,
            "domain": deal.domain,
            "country": deal.country,
            "products": list(deal.products.all()),
            "amount": deal.amount,
            "currency": deal.currency,
            "expected_close_date": deal.expected_close_date,
            "stage": deal.stage,
            "launch": deal.launch_id,
            "contact_name": deal.contact_name,
            "contact_email": deal.contact_email,
            "notes": deal.notes,
        }

    @staticmethod
    def initial_from_offer(offer: LeadOffer) -> dict[str, Any]:
        """A registration prefilled from an accepted lead (the partner completes it)."""
        lead = offer.lead
        return {
            "company": lead.company,
            "domain": lead.domain,
            "country": lead.country,
            "amount": lead.amount if lead.amount is not None else None,
            "currency": lead.currency or "USD",
            "contact_name": lead.contact_name,
            "contact_email": lead.contact_email,
            "notes": lead.description,
            "stage": Deal.Stage.QUALIFICATION,
        }


class AnswerForm(PortalWidgetsMixin, ServiceErrorsMixin, forms.Form):
    notes = forms.CharField(
        label=_("Your answer"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The information your channel manager asked for."),
    )


class StageForm(PortalWidgetsMixin, ServiceErrorsMixin, forms.Form):
    stage = forms.ChoiceField(label=_("Stage"), choices=Deal.Stage.choices)


class CloseWonForm(PortalWidgetsMixin, ServiceErrorsMixin, forms.Form):
    amount = forms.DecimalField(
        label=_("Won amount"), min_value=0, **MONEY, help_text=_("What the customer bought.")
    )


class CloseLostForm(PortalWidgetsMixin, ServiceErrorsMixin, forms.Form):
    reason = forms.CharField(
        label=_("Why was it lost?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ExtensionForm(PortalWidgetsMixin, ServiceErrorsMixin, forms.Form):
    reason = forms.CharField(
        label=_("Why do you need more time?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


# --- leads -----------------------------------------------------------------------------------


class DeclineForm(PortalWidgetsMixin, ServiceErrorsMixin, forms.Form):
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=[("", _("Choose a reason")), *LeadOffer.DeclineReason.choices],
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Anything the vendor should know."),
    )


class WorkForm(PortalWidgetsMixin, ServiceErrorsMixin, forms.Form):
    work_status = forms.ChoiceField(label=_("Progress"), choices=LeadOffer.WorkStatus.choices)
    next_step = forms.CharField(label=_("Next step"), max_length=200, required=False)
    next_step_due = forms.DateField(label=_("Next step due"), required=False, widget=DateInput())

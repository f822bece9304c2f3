"""Portal forms of the funds pages. They parse and check the shape of the input;
the rules (deadlines, what is available or claimable) are the services' and come
back as field-keyed ValidationErrors (`ServiceErrorsMixin`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from assets.validation import KINDS, PROOF_KINDS
from campaigns.models import Launch
from mdf.models import ZERO, ActivityType, Allocation, Claim, FundRequest, ProofKind
from mdf.money import CENT, amount_example, amount_input_value, amount_parse, format_money
from partners.forms import PortalWidgetsMixin, ServiceErrorsMixin

# The largest amount a money column (max_digits=14, decimal_places=2) holds.
MAX_AMOUNT = Decimal("999999999999.99")
MAX_COUNT = 2_000_000_000  # PositiveIntegerField's range, rounded down


class MoneyField(forms.CharField):
    """An amount in cents, as the reader's language writes it: '1,250.50' or '1250' in
    English, '1.250,50' or '1250,50' in German (`mdf.money.amount_parse`: strict, a
    misplaced separator is an error, never read as another amount). Never a float;
    errors say what to type, with an example in the reader's language.

    Text rather than a number input, so '1,250.00' is accepted and the browser does
    not round or silently drop what it cannot parse.
    """

    def __init__(self, *, allow_zero: bool = False, **kwargs: Any) -> None:
        self.allow_zero = allow_zero
        kwargs.setdefault(
            "widget",
            forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "maxlength": 32}),
        )
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        # A stored amount goes back into the input as the reader writes it.
        if isinstance(value, Decimal):
            return amount_input_value(value)
        return super().prepare_value(value)

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        invalid = ValidationError(
            _("Enter an amount like %(example)s.") % {"example": amount_example()},
            code="invalid",
        )
        if len(text) > 32:
            raise invalid
        try:
            amount = amount_parse(text)
        except ValueError:
            raise invalid from None
        if not amount.is_finite():
            raise invalid
        if amount < 0 or (amount == 0 and not self.allow_zero):
            message = (
                _("The amount cannot be negative.")
                if self.allow_zero
                else _("Enter an amount greater than zero (at least 0.01).")
            )
            raise ValidationError(message, code="min_value")
        if amount > MAX_AMOUNT:
            # Checked before quantizing: 1e5000 cannot be quantized to cents.
            raise ValidationError(
                _("Enter at most %(max)s.") % {"max": amount_example(MAX_AMOUNT)}, code="max_value"
            )
        if amount != amount.quantize(CENT):
            raise ValidationError(
                _("Use at most two decimals (cents), e.g. %(example)s.")
                % {"example": amount_example()},
                code="precision",
            )
        return amount.quantize(CENT)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class AllocationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Allocation) -> str:  # type: ignore[override]
        return str(
            _("%(pool)s (%(available)s available)")
            % {"pool": obj.pool.name, "available": format_money(obj.available, obj.pool.currency)}
        )


class LaunchChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Launch) -> str:  # type: ignore[override]
        return f"{obj} ({obj.code})"


class FundRequestForm(PortalWidgetsMixin, ServiceErrorsMixin, forms.Form):
    """A fund request: the field names are the service's keyword arguments, so the
    service's field-keyed errors land on the right field."""

    allocation = AllocationChoiceField(
        label=_("Fund"),
        queryset=Allocation.objects.none(),
        empty_label=None,
        help_text=_("Which of your allocations pays for it."),
    )
    activity_type = forms.ModelChoiceField(
        label=_("Activity type"),
        queryset=ActivityType.objects.none(),  # the view passes the types offered
        empty_label=_("Choose a type"),
        help_text=_("It decides which proof you upload when you claim."),
    )
    title = forms.CharField(label=_("Activity title"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What you will do, for whom, and how you will follow up the leads."),
    )
    activity_start = forms.DateField(label=_("Starts on"), widget=DateInput())
    activity_end = forms.DateField(label=_("Ends on"), widget=DateInput())
    requested_amount = MoneyField(
        label=_("Total activity cost"),
        help_text=_("What the activity costs in total; the fund pays its share of it."),
    )
    expected_leads = forms.IntegerField(
        label=_("Expected leads"), min_value=0, max_value=MAX_COUNT, required=False
    )
    expected_pipeline = MoneyField(
        label=_("Expected pipeline"),
        allow_zero=True,
        required=False,
        help_text=_("The value of the opportunities you expect."),
    )

    launch = LaunchChoiceField(
        label=_("Campaign launch"),
        queryset=Launch.objects.none(),  # the view passes the partner's own launches
        required=False,
        empty_label=_("None"),
        help_text=_("The launch this money funds: its results count as this request's."),
    )

    def __init__(
        self,
        *args: Any,
        allocations: Any = None,
        activity_types: Any = None,
        launches: Any = None,
        editing: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        launch_field = self.fields["launch"]
        assert isinstance(launch_field, forms.ModelChoiceField)
        if launches is not None:
            launch_field.queryset = launches
        if activity_types is not None:
            types = self.fields["activity_type"]
            assert isinstance(types, forms.ModelChoiceField)
            types.queryset = activity_types
        if editing:
            # A draft keeps its fund (`services.request_update` does not move it).
            del self.fields["allocation"]
        else:
            field = self.fields["allocation"]
            assert isinstance(field, forms.ModelChoiceField)
            # Only the partner's own allocations (a selector's queryset) can be chosen.
            field.queryset = allocations
        self.fields["title"].widget.attrs["autocomplete"] = "off"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("activity_start"), data.get("activity_end")
        if start and end and end < start:
            self.add_error("activity_end", _("The activity cannot end before it starts."))
        return data

    @staticmethod
    def initial_from(fund_request: FundRequest) -> dict[str, Any]:
        """A new request's form filled in from an earlier one (dates left out)."""
        return {
            "allocation": fund_request.allocation_id,
            "activity_type": fund_request.activity_type_id,
            "title": fund_request.title,
            "description": fund_request.description,
            "requested_amount": fund_request.requested_amount,
            "expected_leads": fund_request.expected_leads,
            "expected_pipeline": fund_request.expected_pipeline or "",
            "launch": fund_request.launch_id,
        }

    @staticmethod
    def initial_for_edit(fund_request: FundRequest) -> dict[str, Any]:
        """The edit form of a draft: everything it has, dates included."""
        return {
            **FundRequestForm.initial_from(fund_request),
            "activity_start": fund_request.activity_start,
            "activity_end": fund_request.activity_end,
        }

    def changes(self) -> dict[str, Any]:
        """The cleaned fields as `services.request_update`'s keyword arguments."""
        data = self.cleaned_data
        return {
            "activity_type": data["activity_type"],
            "title": data["title"],
            "description": data["description"],
            "activity_start": data["activity_start"],
            "activity_end": data["activity_end"],
            "requested_amount": data["requested_amount"],
            "expected_leads": data["expected_leads"] or 0,
            "expected_pipeline": data["expected_pipeline"] or ZERO,
            "launch": data.get("launch"),
        }


class ClaimForm(PortalWidgetsMixin, ServiceErrorsMixin, forms.Form):
    amount = MoneyField(label=_("Claimed cost"))
    actual_leads = forms.IntegerField(
        label=_("Leads achieved"), min_value=0, max_value=MAX_COUNT, required=False
    )
    actual_pipeline = MoneyField(label=_("Pipeline achieved"), allow_zero=True, required=False)
    results_note = forms.CharField(
        label=_("Results"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What happened: attendance, reach, notable opportunities."),
    )

    def __init__(self, *args: Any, claimable: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["amount"].help_text = _(
            "What the activity really cost (claimable: %(claimable)s). The fund "
            "reimburses its share of the approved amount."
        ) % {"claimable": claimable}

    @staticmethod
    def initial_from(claim: Claim) -> dict[str, Any]:
        return {
            "amount": claim.amount,
            "actual_leads": claim.actual_leads,
            "actual_pipeline": claim.actual_pipeline or "",
            "results_note": claim.results_note,
        }

    def changes(self) -> dict[str, Any]:
        """The cleaned fields as `services.claim_update`'s keyword arguments."""
        data = self.cleaned_data
        return {
            "amount": data["amount"],
            "actual_leads": data["actual_leads"] or 0,
            "actual_pipeline": data["actual_pipeline"] or ZERO,
            "results_note": data["results_note"],
        }


def _accepted_types() -> tuple[str, str]:
    names = [KINDS[name] for name in sorted(PROOF_KINDS)]
    accept = ",".join(
        sorted({f".{kind.extension}" for kind in names} | {kind.content_type for kind in names})
    )
    return accept, ", ".join(kind.name.upper() for kind in names)


class ProofUploadForm(PortalWidgetsMixin, ServiceErrorsMixin, forms.Form):
    """One proof file of one kind; a claim page shows one such form per required kind
    (prefixed by the kind, so each has its own ids and errors)."""

    file = forms.FileField(label=_("File"))

    def __init__(self, *args: Any, kind: ProofKind, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", f"proof-{kind.slug}")
        super().__init__(*args, **kwargs)
        self.kind = kind
        accept, described = _accepted_types()
        field = self.fields["file"]
        field.widget.attrs["accept"] = accept
        field.label = _("File for “%(kind)s”") % {"kind": kind.name}
        field.help_text = _("%(types)s, up to %(size)s.") % {
            "types": described,
            "size": filesizeformat(settings.PROOF_MAX_BYTES),
        }


class CloseRequestForm(PortalWidgetsMixin, forms.Form):
    note = forms.CharField(
        label=_("Why are you closing it?"),
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

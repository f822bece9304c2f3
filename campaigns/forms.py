"""Portal forms of campaigns. They parse and check the shape of the input; the rules
are the services' and come back as field-keyed ValidationErrors."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.models import (
    CampaignKit,
    Channel,
    Launch,
    PlanActivity,
    PlanPeriod,
    PlanTarget,
)
from mdf.models import ActivityType, FundRequest
from partners.forms import PortalWidgetsMixin, ServiceErrorsMixin


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class LaunchForm(PortalWidgetsMixin, ServiceErrorsMixin, forms.Form):
    """Launch a kit: the field names are `services.launch_create`'s keyword arguments."""

    channel = forms.ChoiceField(label=_("Channel"), help_text=_("Where you will run it."))
    start_date = forms.DateField(label=_("Starts on"), widget=DateInput())
    end_date = forms.DateField(label=_("Ends on"), widget=DateInput())
    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        required=False,
        help_text=_("Your own name for this run, e.g. “Spring newsletter”."),
    )
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, kit: CampaignKit, **kwargs: Any) -> None:
        today = timezone.localdate()
        kwargs.setdefault(
            "initial",
            {
                "start_date": max(today, kit.start_date),
                "end_date": max(today, kit.end_date, kit.start_date + timedelta(days=0)),
                "channel": kit.channels[0] if len(kit.channels) == 1 else "",
            },
        )
        super().__init__(*args, **kwargs)
        channel = self.fields["channel"]
        assert isinstance(channel, forms.ChoiceField)
        channel.choices = [("", _("Choose a channel"))] + [
            (value, Channel(value).label) for value in kit.channels
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("The launch cannot end before it starts."))
        return data


class LaunchStatusForm(forms.Form):
    status = forms.ChoiceField(choices=Launch.Status.choices)


# --- Joint marketing plans -------------------------------------------------------------
#
# The field names are the plan services' keyword arguments (campaigns/services/plans.py);
# the forms check the shape (numbers, dates, choices among the partner's own objects) so
# an error shows at its field, and the services enforce the rules.

MONEY_FIELD = {"max_digits": 14, "decimal_places": 2}


class PlanForm(PortalWidgetsMixin, ServiceErrorsMixin, forms.Form):
    """Start a plan (with `periods`) or change its title and objectives (without)."""

    period = forms.ModelChoiceField(
        label=_("Period"),
        queryset=PlanPeriod.objects.none(),
        empty_label=_("Choose a period"),
        help_text=_("One plan per period. Only the periods open for planning are listed."),
    )
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        help_text=_("e.g. “2027 growth plan: mid-market security”."),
    )
    objectives = forms.CharField(
        label=_("Objectives"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What you and the vendor want to achieve together, in a few sentences."),
    )

    def __init__(self, *args: Any, periods: QuerySet[PlanPeriod] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if periods is None:
            del self.fields["period"]
        else:
            period = self.fields["period"]
            assert isinstance(period, forms.ModelChoiceField)
            period.queryset = periods


class PlanTargetForm(PortalWidgetsMixin, ServiceErrorsMixin, forms.Form):
    """A target: a measure, one value per quarter of the plan's period (`value_1`…), a
    weight. `values()` gives the list `services.target_add` takes."""

    measure = forms.ChoiceField(label=_("Measure"), choices=PlanTarget.Measure.choices)
    name = forms.CharField(
        label=_("Name"),
        max_length=120,
        required=False,
        help_text=_("Required for a custom measure, e.g. “Certified sales reps”."),
    )
    currency = forms.CharField(
        label=_("Currency"),
        max_length=3,
        required=False,
        help_text=_("For pipeline and revenue: a three-letter code such as USD or EUR."),
    )
    weight = forms.DecimalField(
        label=_("Weight"),
        max_digits=6,
        decimal_places=2,
        initial=1,
        help_text=_("How much this target counts in the weighted total; more than 0."),
    )

    def __init__(self, *args: Any, quarters: list[tuple[date, date]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.quarter_count = len(quarters)
        for number, (start, end) in enumerate(quarters, start=1):
            self.fields[f"value_{number}"] = forms.DecimalField(
                label=_("Target, quarter %(number)s") % {"number": number},
                min_value=0,
                help_text=_("%(start)s – %(end)s") % {"start": start, "end": end},
                widget=forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
                **MONEY_FIELD,
            )
            # Added after PortalWidgetsMixin styled the declared fields.
            self.fields[f"value_{number}"].widget.attrs["class"] = "form-control"

    @property
    def value_fields(self) -> list[forms.BoundField]:
        return [self[f"value_{number}"] for number in range(1, self.quarter_count + 1)]

    def values(self) -> list[Decimal]:
        return [self.cleaned_data[f"value_{n}"] for n in range(1, self.quarter_count + 1)]

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "measure": data["measure"],
            "values": self.values(),
            "weight": data["weight"],
            "name": data["name"],
            "currency": data["currency"].upper(),
        }

    def clean_weight(self) -> Decimal:
        weight = self.cleaned_data["weight"]
        if weight is not None and weight <= 0:
            raise forms.ValidationError(_("The weight must be more than 0."))
        return weight

    def add_service_errors(self, exc: ValidationError) -> None:
        # The service names the quarterly values "values" (one list): shown at the first.
        if hasattr(exc, "error_dict") and "values" in exc.error_dict:
            for error in exc.error_dict.pop("values"):
                self.add_error("value_1", error)
        super().add_service_errors(exc)

    @classmethod
    def initial_from(cls, target: PlanTarget) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "measure": target.measure,
            "name": target.name,
            "currency": target.currency,
            "weight": target.weight,
        }
        for quarter in target.quarters.all():
            initial[f"value_{quarter.quarter}"] = quarter.value
        return initial


class CustomActualForm(PortalWidgetsMixin, ServiceErrorsMixin, forms.Form):
    """The actual of a custom target for one quarter, entered by hand."""

    quarter = forms.TypedChoiceField(label=_("Quarter"), coerce=int)
    actual = forms.DecimalField(
        label=_("Actual"),
        min_value=0,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
        **MONEY_FIELD,
    )

    def __init__(self, *args: Any, quarters: list[tuple[date, date]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        quarter = self.fields["quarter"]
        assert isinstance(quarter, forms.TypedChoiceField)
        quarter.choices = [
            (number, _("Quarter %(number)s (%(start)s – %(end)s)")
             % {"number": number, "start": start, "end": end})
            for number, (start, end) in enumerate(quarters, start=1)
        ]  # fmt: skip


class PlanActivityForm(PortalWidgetsMixin, ServiceErrorsMixin, forms.Form):
    """An activity of a plan. The kit, launch and fund request lists hold only what the
    partner may link (kits in its audience, its own launches and fund requests)."""

    title = forms.CharField(label=_("Title"), max_length=200)
    activity_type = forms.ModelChoiceField(
        label=_("Type"), queryset=ActivityType.objects.none(), empty_label=_("Choose a type")
    )
    owner_side = forms.ChoiceField(
        label=_("Who runs it"),
        choices=PlanActivity.OwnerSide.choices,
        initial=PlanActivity.OwnerSide.PARTNER,
    )
    start_date = forms.DateField(label=_("Starts on"), widget=DateInput())
    end_date = forms.DateField(label=_("Ends on"), widget=DateInput())
    budget = forms.DecimalField(
        label=_("Budget"),
        min_value=0,
        initial=0,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
        **MONEY_FIELD,
    )
    currency = forms.CharField(
        label=_("Currency"),
        max_length=3,
        initial="USD",
        help_text=_("A three-letter code such as USD or EUR."),
    )
    kit = forms.ModelChoiceField(
        label=_("Campaign kit"),
        queryset=CampaignKit.objects.none(),
        required=False,
        empty_label=_("None"),
    )
    launch = forms.ModelChoiceField(
        label=_("Launch"),
        queryset=Launch.objects.none(),
        required=False,
        empty_label=_("None"),
        help_text=_("The launch that runs it: its results show on the plan."),
    )
    fund_request = forms.ModelChoiceField(
        label=_("Fund request"),
        queryset=FundRequest.objects.none(),
        required=False,
        empty_label=_("None"),
        help_text=_("The MDF request that pays for it."),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=PlanActivity.Status.choices,
        initial=PlanActivity.Status.PLANNED,
    )

    def __init__(
        self,
        *args: Any,
        activity_types: QuerySet[ActivityType],
        kits: QuerySet[CampaignKit],
        launches: QuerySet[Launch],
        fund_requests: QuerySet[FundRequest],
        period: PlanPeriod,
        editing: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            # An activity's status moves on the plan's page (execution, not a plan change).
            del self.fields["status"]
        for name, queryset in (
            ("activity_type", activity_types),
            ("kit", kits),
            ("launch", launches),
            ("fund_request", fund_requests),
        ):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = queryset
        self.fields["launch"].label_from_instance = lambda launch: f"{launch} ({launch.code})"  # type: ignore[attr-defined]
        for name in ("start_date", "end_date"):
            self.fields[name].widget.attrs.update(
                min=period.start.isoformat(), max=period.end.isoformat()
            )
        self.fields["start_date"].help_text = _("Between %(start)s and %(end)s.") % {
            "start": period.start,
            "end": period.end,
        }

    def clean_currency(self) -> str:
        return self.cleaned_data["currency"].upper()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("The activity cannot end before it starts."))
        return data

    @classmethod
    def initial_from(cls, activity: PlanActivity) -> dict[str, Any]:
        return {
            "title": activity.title,
            "activity_type": activity.activity_type_id,
            "owner_side": activity.owner_side,
            "start_date": activity.start_date,
            "end_date": activity.end_date,
            "budget": activity.budget,
            "currency": activity.currency,
            "kit": activity.kit_id,
            "launch": activity.launch_id,
            "fund_request": activity.fund_request_id,
            "status": activity.status,
        }


class ActivityStatusForm(forms.Form):
    status = forms.ChoiceField(choices=PlanActivity.Status.choices)


class PlanCommentForm(PortalWidgetsMixin, ServiceErrorsMixin, forms.Form):
    body = forms.CharField(
        label=_("Comment"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    activity = forms.UUIDField(required=False, widget=forms.HiddenInput())

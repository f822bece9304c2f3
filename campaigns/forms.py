"""Portal forms of campaigns. They parse and check the shape of the input; the rules
are the services' and come back as field-keyed ValidationErrors."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.models import CampaignKit, Channel, Launch
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

"""Forms of recruitment: the public application, accepting an invitation, asking for a
new one, and the team page's invite and role forms. They parse; the services in
`partners.services.recruitment` decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from partners.forms import PortalWidgetsMixin, ServiceErrorsMixin
from partners.models import Language, Membership, Partner, PartnerApplication, Region
from partners.selectors.recruitment import country_choices

# The honeypot: a field people never see (hidden by CSS, skipped by keyboard and screen
# readers) that form-filling robots fill. Named like a real field so they do.
HONEYPOT_FIELD = "fax_number"


class ApplicationForm(PortalWidgetsMixin, ServiceErrorsMixin, forms.Form):
    company = forms.CharField(label=_("Company name"), max_length=200)
    website = forms.URLField(
        label=_("Website"),
        max_length=300,
        assume_scheme="https",
        help_text=_("For example https://www.example.com"),
    )
    country = forms.ChoiceField(label=_("Country of your head office"))
    regions = forms.ModelMultipleChoiceField(
        label=_("Regions you sell in"),
        queryset=Region.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    partner_type = forms.ChoiceField(label=_("Partner type"), choices=Partner.Type.choices)
    size = forms.ChoiceField(label=_("Company size"), choices=PartnerApplication.Size.choices)
    specialties = forms.CharField(
        label=_("Specialties"),
        max_length=500,
        required=False,
        help_text=_("The industries, products or services you are known for."),
    )
    languages = forms.ModelMultipleChoiceField(
        label=_("Languages you market in"),
        queryset=Language.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    contact_name = forms.CharField(label=_("Your name"), max_length=200)
    contact_email = forms.EmailField(
        label=_("Your work email"),
        help_text=_("We send the answer here, and the invitation to the portal."),
    )
    contact_phone = forms.CharField(label=_("Your phone"), max_length=40, required=False)
    sales_motion = forms.ChoiceField(
        label=_("How you sell"), choices=PartnerApplication.SalesMotion.choices
    )
    message = forms.CharField(
        label=_("Anything else we should know"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    fax_number = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", _("Choose a country")), *country_choices()]
        for name in ("regions", "languages"):
            # Checkbox lists take the checkbox class per input, not the select's.
            self.fields[name].widget.attrs["class"] = "form-check-input"
        self.fields["contact_email"].widget.attrs["autocomplete"] = "email"
        self.fields["contact_name"].widget.attrs["autocomplete"] = "name"
        self.fields["contact_phone"].widget.attrs["autocomplete"] = "tel"
        self.fields["company"].widget.attrs["autocomplete"] = "organization"
        self.fields["website"].widget.attrs["autocomplete"] = "url"

    @property
    def is_robot(self) -> bool:
        return bool((self.data.get(HONEYPOT_FIELD) or "").strip())

    def visible_application_fields(self) -> list[Any]:
        return [field for field in self if field.name != HONEYPOT_FIELD]


class InvitationAcceptForm(PortalWidgetsMixin, ServiceErrorsMixin, forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    password = forms.CharField(
        label=_("Choose a password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters, not only digits, not a common password."),
    )
    password_again = forms.CharField(
        label=_("The password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("password") and data.get("password_again") != data.get("password"):
            self.add_error("password_again", _("The two passwords differ."))
        return data


class InvitationRequestForm(PortalWidgetsMixin, ServiceErrorsMixin, forms.Form):
    email = forms.EmailField(
        label=_("Your email address"),
        help_text=_("The address the invitation was sent to."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    token = forms.CharField(required=False, widget=forms.HiddenInput)


class InviteForm(PortalWidgetsMixin, ServiceErrorsMixin, forms.Form):
    email = forms.EmailField(label=_("Email address"))
    role = forms.ChoiceField(
        label=_("Role"),
        choices=Membership.Role.choices,
        initial=Membership.Role.MARKETER,
        help_text=_(
            "Partner admins manage the team, the profile and API keys; marketers run "
            "campaigns and funds; sales reps see results and deals."
        ),
    )


class RoleForm(PortalWidgetsMixin, ServiceErrorsMixin, forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices)


class ReasonForm(PortalWidgetsMixin, ServiceErrorsMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=500,
        help_text=_("Kept in your company's audit trail."),
    )

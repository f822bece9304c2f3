"""The forms of the portal's "Company sign-in" page (partners.views.sso): they parse;
the rules are `partners.services.sso_setup`'s."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from partners.forms import PortalWidgetsMixin, ServiceErrorsMixin
from partners.models import IdentityProvider, Membership

# The protocols a partner admin may choose, each with its own group of fields.
PORTAL_PROTOCOLS = IdentityProvider.Protocol.choices

# The SAML 2.0 fields the service reads (`sso.saml_idp_settings`): the portal takes the
# IdP's metadata, by URL or pasted, as Okta, Entra ID and Google Workspace give it.
SAML_FIELDS = ("metadata_url", "metadata_xml")


class CompanySignInForm(PortalWidgetsMixin, ServiceErrorsMixin, forms.Form):
    """The provider's settings. The client fields are grouped by protocol (the template's
    fieldset per protocol), so a second protocol adds its own group."""

    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What your people see on the button, e.g. “Acme Okta”."),
    )
    protocol = forms.ChoiceField(label=_("Protocol"), choices=PORTAL_PROTOCOLS)
    server_url = forms.URLField(
        label=_("Issuer URL"),
        assume_scheme="https",
        help_text=_(
            "Your provider's issuer, e.g. https://acme.okta.com; we check that its "
            "/.well-known/openid-configuration answers."
        ),
    )
    client_id = forms.CharField(label=_("Client ID"), max_length=191)
    secret = forms.CharField(
        label=_("Client secret"),
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    metadata_url = forms.URLField(
        label=_("IdP metadata URL"),
        required=False,
        assume_scheme="https",
        help_text=_(
            "Read when you save. Save again after the identity provider changes its certificate."
        ),
    )
    metadata_xml = forms.CharField(
        label=_("IdP metadata (XML)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Or paste the metadata file's content instead of its URL."),
    )
    role_claim = forms.CharField(
        label=_("Role claim"),
        max_length=100,
        initial="groups",
        help_text=_("The claim of the ID token that lists a person's groups or roles."),
    )
    default_role = forms.ChoiceField(
        label=_("Default role"),
        required=False,
        choices=[("", _("None: refuse people whose groups map to no role"))]
        + list(Membership.Role.choices),
        help_text=_("The role of a person none of whose groups map to a role."),
    )
    is_active = forms.BooleanField(label=_("Active: people can sign in through it"), required=False)
    domains = forms.CharField(
        label=_("Email domains"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "One per line, e.g. acme.com. Our staff approve each domain before anyone "
            "signs in through it."
        ),
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            # Domains are added and removed one by one on the page; the switch has its
            # own confirmed buttons.
            del self.fields["domains"]
            del self.fields["is_active"]
            self.fields["secret"].help_text = _("Leave empty to keep the stored secret.")
            self.fields["metadata_xml"].help_text = _(
                "Or paste the metadata file's content. Both empty: the stored identity "
                "provider is kept."
            )
        else:
            self.fields["secret"].required = True
            self.fields["is_active"].initial = True
        if self.data.get("protocol") == IdentityProvider.Protocol.SAML:
            # The OpenID Connect client is not asked for; whether the SAML IdP's
            # settings are complete and sound is the service's check.
            for name in ("server_url", "client_id", "secret"):
                self.fields[name].required = False

    def saml(self) -> dict[str, str]:
        """The SAML 2.0 IdP fields for the service; none when OpenID Connect is chosen."""
        if self.cleaned_data.get("protocol") != IdentityProvider.Protocol.SAML:
            return {}
        return {name: self.cleaned_data.get(name) or "" for name in SAML_FIELDS}

    def domain_list(self) -> list[str]:
        text = self.cleaned_data.get("domains") or ""
        return [line.strip() for line in text.replace(",", "\n").splitlines() if line.strip()]


class RoleRowForm(PortalWidgetsMixin, forms.Form):
    """One row of the role map: a claim value and the partner role it gives."""

    value = forms.CharField(label=_("Claim value"), max_length=200, required=False)
    role = forms.ChoiceField(
        label=_("Role"),
        required=False,
        choices=[("", "—"), *Membership.Role.choices],
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("value") and not data.get("role"):
            self.add_error("role", _("Choose the role this value gives."))
        if data.get("role") and not data.get("value"):
            self.add_error("value", _("Enter the claim value, e.g. a group name."))
        return data


class BaseRoleRowFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        seen: set[str] = set()
        for form in self.forms:
            value = (getattr(form, "cleaned_data", None) or {}).get("value")
            if value and value in seen:
                form.add_error("value", _("This value is mapped twice."))
            seen.add(value or "")

    def role_map(self) -> dict[str, str]:
        return {
            form.cleaned_data["value"]: form.cleaned_data["role"]
            for form in self.forms
            if (form.cleaned_data or {}).get("value")
        }


RoleRowFormSet = forms.formset_factory(RoleRowForm, formset=BaseRoleRowFormSet, extra=2)


def role_rows_initial(role_map: dict[str, str]) -> list[dict[str, str]]:
    return [{"value": value, "role": role} for value, role in (role_map or {}).items()]


class DomainAddForm(PortalWidgetsMixin, ServiceErrorsMixin, forms.Form):
    domain = forms.CharField(
        label=_("Email domain"),
        max_length=253,
        help_text=_("e.g. acme.com; our staff approve it before anyone signs in through it."),
    )


class DomainMoveForm(PortalWidgetsMixin, ServiceErrorsMixin, forms.Form):
    """Which other provider of the company a domain moves to."""

    provider = forms.ChoiceField(label=_("Move it to"))

    def __init__(self, *args: Any, providers: list[IdentityProvider], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = [(other.slug, other.name) for other in providers]

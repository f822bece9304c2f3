"""Single sign-on in the admin (docs/sso.md): identity providers with their email
domains and, in the same form, the OpenID Connect client (client id, secret, issuer)
or the SAML 2.0 identity provider (metadata, or entity ID, sign-in URL and
certificate) of the allauth SocialApp they sign in through, with the addresses a
customer registers at their SAML IdP; the read-only record of SSO sign-ins.

The checks and the saves are `partners.services.sso_setup`'s: the form's clean runs the
set-up check (so its errors show on the fields) and the save takes its answer, so the
issuer URL or metadata URL is fetched once per save."""

from __future__ import annotations

import copy
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from partners.admin.core import ReadOnlyAdmin
from partners.models import IdentityProvider, IdentityProviderDomain, SignInRecord
from partners.services import sso, sso_setup

# The SAML 2.0 IdP fields, as `sso.saml_idp_settings` reads them.
SAML_FIELDS = ("metadata_xml", "metadata_url", "entity_id", "sso_url", "x509cert")


class IdentityProviderDomainForm(forms.ModelForm):
    class Meta:
        model = IdentityProviderDomain
        fields = ["domain"]

    def clean_domain(self) -> str:
        # The service's rules (malformed, public mail, another provider's), one spelling.
        provider = self.instance.provider if self.instance.provider_id else None
        try:
            return sso_setup.email_domain_check(
                domain=self.cleaned_data["domain"], provider=provider
            )
        except ValidationError as error:
            raise ValidationError(error.message_dict["domain"]) from None


class IdentityProviderDomainInline(admin.TabularInline):
    model = IdentityProviderDomain
    form = IdentityProviderDomainForm
    extra = 1
    fields = ["domain", "approval_state", "requested_by", "approved_by", "approved_at"]
    readonly_fields = ["approval_state", "requested_by", "approved_by", "approved_at"]

    @admin.display(description=_("approval"))
    def approval_state(self, obj: IdentityProviderDomain) -> str:
        if not obj.pk:
            return ""
        return str(_("approved") if obj.is_approved else _("pending"))


class IdentityProviderForm(forms.ModelForm):
    client_id = forms.CharField(label=_("Client ID"), max_length=191, required=False)
    secret = forms.CharField(
        label=_("Client secret"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to keep the stored secret."),
    )
    server_url = forms.URLField(
        label=_("Issuer URL"),
        required=False,
        assume_scheme="https",
        help_text=_(
            "The provider's issuer; its /.well-known/openid-configuration must answer. "
            "Empty for the staff provider configured by SSO_STAFF_* settings."
        ),
    )

    metadata_xml = forms.CharField(
        label=_("IdP metadata (XML)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "Paste the identity provider's SAML metadata; or give its URL, or the three "
            "fields below. Empty: the stored settings are kept."
        ),
    )
    metadata_url = forms.URLField(
        label=_("IdP metadata URL"),
        required=False,
        assume_scheme="https",
        help_text=_(
            "Read when you save. Save again after the identity provider changes its certificate."
        ),
    )
    entity_id = forms.CharField(label=_("IdP entity ID"), max_length=1024, required=False)
    sso_url = forms.URLField(
        label=_("IdP single sign-on URL"),
        required=False,
        assume_scheme="https",
        help_text=_("Its HTTP-Redirect binding."),
    )
    x509cert = forms.CharField(
        label=_("IdP signing certificate"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("PEM (-----BEGIN CERTIFICATE----- …) or its base64 text."),
    )

    class Meta:
        model = IdentityProvider
        fields = [
            "name",
            "slug",
            "partner",
            "protocol",
            "role_claim",
            "role_map",
            "default_role",
            "is_active",
        ]

    # The staff member saving (IdentityProviderAdmin.get_form): the set-up check is theirs.
    actor: User | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        app = self.instance.app if self.instance.pk else None
        if app is not None and app.provider == sso.OIDC_PROVIDER:
            self.fields["client_id"].initial = app.client_id
            self.fields["server_url"].initial = (app.settings or {}).get("server_url", "")
        if app is not None and app.provider == sso.SAML_PROVIDER:
            stored = app.settings or {}
            idp = stored.get("idp") or {}
            self.fields["metadata_url"].initial = stored.get("metadata_source_url", "")
            self.fields["entity_id"].initial = idp.get("entity_id", "")
            self.fields["sso_url"].initial = idp.get("sso_url", "")
        # The set-up check's answer, handed to the save: what it fetched is not fetched
        # again (sso_setup.identity_provider_save's `checked`).
        self.checked: sso_setup.ProviderCheck | None = None

    def client_input(self) -> dict[str, Any]:
        """The client fields as the service takes them (clean and save ask the same)."""
        data = self.cleaned_data
        return {
            "client_id": data.get("client_id") or "",
            "secret": data.get("secret") or "",
            "server_url": data.get("server_url") or "",
            "saml": {name: data.get(name) or "" for name in SAML_FIELDS},
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # The provider as it will be saved (the form puts the values on its instance
        # only after clean), so the check is made of what the save gets.
        candidate = copy.copy(self.instance)
        for name in self._meta.fields or ():
            if name in data:
                setattr(candidate, name, data[name])
        assert self.actor is not None, "IdentityProviderAdmin.get_form names the actor"
        try:
            self.checked = sso_setup.identity_provider_setup_check(
                provider=candidate, actor=self.actor, **self.client_input()
            )
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                for message in messages:
                    self.add_error(field if field in self.fields else None, message)
        return data


@admin.register(IdentityProvider)
class IdentityProviderAdmin(admin.ModelAdmin):
    form = IdentityProviderForm
    inlines = [IdentityProviderDomainInline]
    list_display = ["name", "slug", "partner", "protocol", "is_active", "domain_list"]
    list_filter = ["is_active", "protocol"]
    search_fields = ["name", "slug", "partner__name", "domains__domain"]
    autocomplete_fields = ["partner"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "partner", "protocol", "is_active"]}),
        (_("OpenID Connect client"), {"fields": ["server_url", "client_id", "secret"]}),
        (
            _("SAML 2.0 identity provider"),
            {
                "fields": [
                    "saml_service_provider",
                    "metadata_xml",
                    "metadata_url",
                    "entity_id",
                    "sso_url",
                    "x509cert",
                ]
            },
        ),
        (_("Roles from claims"), {"fields": ["role_claim", "role_map", "default_role"]}),
    ]

    readonly_fields = ["saml_service_provider"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("partner").prefetch_related("domains")

    @admin.display(description=_("Register at the identity provider"))
    def saml_service_provider(self, obj: IdentityProvider) -> str:
        """What the customer's IT enters at their IdP: our SP's entity ID, ACS URL and
        metadata URL for this provider (on SITE_URL, the address people use)."""
        if not obj.pk:
            return str(_("Shown once the provider is saved with its slug."))
        urls = sso.saml_service_provider_urls(slug=obj.slug, base_url=settings.SITE_URL)
        return format_html(
            '{}: <code>{}</code><br>{}: <code>{}</code><br>{}: <a href="{}">{}</a>',
            _("Entity ID (audience)"),
            urls.entity_id,
            _("Assertion consumer service (ACS, HTTP-POST)"),
            urls.acs_url,
            _("Service provider metadata"),
            urls.metadata_url,
            urls.metadata_url,
        )

    @admin.display(description=_("email domains"))
    def domain_list(self, obj: IdentityProvider) -> str:
        return ", ".join(
            domain.domain if domain.is_approved else f"{domain.domain} ({_('pending')})"
            for domain in obj.domains.all()
        )

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        # A class per request: the form's check runs as the staff member saving.
        return type(form.__name__, (form,), {"actor": request.user})

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # Saved in save_related, where the domains are known: the provider, its client
        # and its domains are one call of the service (as the portal's page makes it).
        pass

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        domains_add: list[str] = []
        domains_remove: list[str] = []
        for formset in formsets:
            # The service saves the domains, not the formset: nothing for the admin's
            # change message to list (the partner's audit trail has the detail).
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            if formset.model is not IdentityProviderDomain:
                continue
            for domain_form in formset.forms:
                # The stored value: validation has already put the new one on the instance.
                initial = domain_form.initial.get("domain", "") if domain_form.instance.pk else ""
                if initial and (domain_form in formset.deleted_forms or domain_form.has_changed()):
                    domains_remove.append(initial)
                if domain_form in formset.deleted_forms or not domain_form.has_changed():
                    continue
                if domain_form.cleaned_data.get("domain"):
                    domains_add.append(domain_form.cleaned_data["domain"])
        sso_setup.identity_provider_save(
            provider=form.instance,
            actor=request.user,  # type: ignore[arg-type]
            domains_add=domains_add,
            domains_remove=domains_remove,
            # Checked (and fetched) in the form's clean, on this input.
            checked=form.checked,
            **form.client_input(),
        )
        form.save_m2m()


class DomainApprovalFilter(admin.SimpleListFilter):
    title = _("approval")
    parameter_name = "approval"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("pending", _("pending")), ("approved", _("approved"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "pending":
            return queryset.filter(approved_at__isnull=True)
        if self.value() == "approved":
            return queryset.filter(approved_at__isnull=False)
        return queryset


DOMAIN_COLUMNS = (
    "domain",
    "provider",
    "partner",
    "approval_state",
    "requested_by",
    "requested_at",
    "approved_by",
    "approved_at",
)


@admin.register(IdentityProviderDomain)
class IdentityProviderDomainAdmin(admin.ModelAdmin):
    """The email domains of every provider, to approve (or reject) what partner admins
    claim in the portal. Domains are added on their provider's page; here staff decide."""

    list_display = DOMAIN_COLUMNS
    list_filter = [DomainApprovalFilter]
    search_fields = ["domain", "provider__name", "provider__partner__name"]
    list_select_related = ["provider__partner", "requested_by", "approved_by"]
    readonly_fields = DOMAIN_COLUMNS
    fields = DOMAIN_COLUMNS
    actions = ["approve", "reject"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Removed through the service (rejected here, or on the provider's page), so the
        # partner's audit trail records it; Django's own delete would not.
        return False

    @admin.display(description=_("partner"))
    def partner(self, obj: IdentityProviderDomain) -> Any:
        return obj.provider.partner or "—"

    @admin.display(description=_("approval"), boolean=False)
    def approval_state(self, obj: IdentityProviderDomain) -> str:
        return str(_("approved") if obj.is_approved else _("pending"))

    @admin.action(description=_("Approve the selected domains"), permissions=["change"])
    def approve(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = sso_setup.identity_provider_domains_decide(
            domains=queryset,
            approve=True,
            actor=request.user,  # type: ignore[arg-type]
        )
        self.message_user(request, _("%(count)d domains approved.") % {"count": count})

    @admin.action(
        description=_("Reject (remove) the selected pending domains"), permissions=["change"]
    )
    def reject(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = sso_setup.identity_provider_domains_decide(
            domains=queryset,
            approve=False,
            actor=request.user,  # type: ignore[arg-type]
        )
        self.message_user(request, _("%(count)d domains rejected.") % {"count": count})


@admin.register(SignInRecord)
class SignInRecordAdmin(ReadOnlyAdmin):
    """Read only: the record is written by the sign-in rules and never edited."""

    list_display = ["at", "event", "email", "provider_slug", "partner", "user", "detail_text"]
    list_filter = ["event", "provider_slug", ("partner", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["email"]
    date_hierarchy = "at"
    list_select_related = ["partner", "user"]
    readonly_fields = [
        "at",
        "event",
        "email",
        "provider_slug",
        "provider",
        "partner",
        "user",
        "detail_text",
    ]
    fields = readonly_fields

    @admin.display(description=_("detail"))
    def detail_text(self, obj: SignInRecord) -> str:
        return obj.detail_text

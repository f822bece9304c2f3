"""Single sign-on in the admin (docs/sso.md): identity providers with their email
domains and, in the same form, the OpenID Connect client (client id, secret, issuer)
or the SAML 2.0 identity provider (metadata, or entity ID, sign-in URL and
certificate) of the allauth SocialApp they sign in through, with the addresses a
customer registers at their SAML IdP; the read-only record of SSO sign-ins.

The checks and the SocialApp write are `partners.services.sso`'s."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from partners.admin.core import ReadOnlyAdmin
from partners.models import IdentityProvider, IdentityProviderDomain, SignInRecord
from partners.services import sso


class IdentityProviderDomainForm(forms.ModelForm):
    class Meta:
        model = IdentityProviderDomain
        fields = ["domain"]

    def clean_domain(self) -> str:
        # One spelling before the unique check, as the model saves it.
        domain = self.cleaned_data["domain"].strip().lower().lstrip("@")
        if "." not in domain or "@" in domain or " " in domain:
            raise ValidationError(_("Enter a domain such as example.com."))
        return domain


class IdentityProviderDomainInline(admin.TabularInline):
    model = IdentityProviderDomain
    form = IdentityProviderDomainForm
    extra = 1


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
        self.saml_idp: sso.SAMLIdPSettings | None = None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        protocol = data.get("protocol") or ""
        app = self.instance.app if self.instance.pk else None
        wanted = sso.SAML_PROVIDER if protocol == IdentityProvider.Protocol.SAML else None
        try:
            self.saml_idp = sso.identity_provider_check(
                partner=data.get("partner"),
                role_map=data.get("role_map") or {},
                default_role=data.get("default_role") or "",
                slug=data.get("slug") or "",
                protocol=protocol,
                client_id=data.get("client_id") or "",
                server_url=data.get("server_url") or "",
                secret=data.get("secret") or "",
                # A stored app of the protocol chosen (a SAML provider had an OIDC one).
                has_app=app is not None and app.provider == (wanted or sso.OIDC_PROVIDER),
                metadata_xml=data.get("metadata_xml") or "",
                metadata_url=data.get("metadata_url") or "",
                entity_id=data.get("entity_id") or "",
                sso_url=data.get("sso_url") or "",
                x509cert=data.get("x509cert") or "",
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
        return ", ".join(domain.domain for domain in obj.domains.all())

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        data = form.cleaned_data
        if obj.protocol == IdentityProvider.Protocol.SAML:
            # The IdP's settings as the form's check read them (a metadata URL is
            # fetched once); none given: the stored ones, under the new slug or name.
            sso.identity_provider_saml_app_save(provider=obj, idp=form.saml_idp)
        elif data.get("server_url") and data.get("client_id"):
            sso.identity_provider_app_save(
                provider=obj,
                client_id=data["client_id"],
                secret=data.get("secret") or "",
                server_url=data["server_url"],
            )


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

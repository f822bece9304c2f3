"""Single sign-on in the admin (docs/sso.md): identity providers with their email
domains and, in the same form, the OpenID Connect client (client id, secret, issuer)
of the allauth SocialApp they sign in through; the read-only record of SSO sign-ins.

The checks and the SocialApp write are `partners.services.sso`'s."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
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
        if app is not None:
            self.fields["client_id"].initial = app.client_id
            self.fields["server_url"].initial = (app.settings or {}).get("server_url", "")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            sso.identity_provider_check(
                partner=data.get("partner"),
                role_map=data.get("role_map") or {},
                default_role=data.get("default_role") or "",
                slug=data.get("slug") or "",
                protocol=data.get("protocol") or "",
                client_id=data.get("client_id") or "",
                server_url=data.get("server_url") or "",
                secret=data.get("secret") or "",
                has_app=bool(self.instance.pk and self.instance.app_id),
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
        (_("Roles from claims"), {"fields": ["role_claim", "role_map", "default_role"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("partner").prefetch_related("domains")

    @admin.display(description=_("email domains"))
    def domain_list(self, obj: IdentityProvider) -> str:
        return ", ".join(domain.domain for domain in obj.domains.all())

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        data = form.cleaned_data
        if data.get("server_url") and data.get("client_id"):
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

"""The portal's "Company sign-in" page: a partner admin sets up the company's own
identity provider (docs/sso.md, "Partners set up their own sign-in"). Partner admins
only; everything read and changed is the partner's own. The rules are
`partners.services.sso_setup`'s."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from partners.models import IdentityProvider, IdentityProviderDomain
from partners.scoping import PortalAccessMixin
from partners.selectors.sso import company_identity_provider, company_sign_in_records
from partners.services import sso, sso_setup
from partners.sso_forms import (
    BaseRoleRowFormSet,
    CompanySignInForm,
    DomainAddForm,
    RoleRowFormSet,
    role_rows_initial,
)
from partners.views.core import ADMIN_ONLY

RECORDS_PER_PAGE = 20


class CompanySignInMixin(PortalAccessMixin):
    allowed_roles = ADMIN_ONLY

    def provider(self) -> IdentityProvider | None:
        return company_identity_provider(partner=self.request.partner)  # type: ignore[attr-defined]

    def provider_or_404(self) -> IdentityProvider:
        provider = self.provider()
        if provider is None:
            raise Http404
        return provider


class CompanySignInView(CompanySignInMixin, View):
    """The company's provider (or the empty state), its form, its domains and the
    company's recent sign-ins."""

    template_name = "portal/company_sign_in.html"

    def initial(self, provider: IdentityProvider) -> dict[str, Any]:
        app = provider.app
        app_settings = (app.settings or {}) if app else {}
        oidc = app is not None and app.provider == sso.OIDC_PROVIDER
        return {
            "name": provider.name,
            "protocol": provider.protocol,
            "server_url": app_settings.get("server_url", "") if oidc else "",
            "client_id": app.client_id if oidc else "",
            "metadata_url": app_settings.get("metadata_source_url", "") if not oidc else "",
            "role_claim": provider.role_claim,
            "default_role": provider.default_role,
        }

    def get(self, request: HttpRequest) -> HttpResponse:
        provider = self.provider()
        if provider is None:
            form = CompanySignInForm()
            rows = RoleRowFormSet(prefix="roles")
        else:
            form = CompanySignInForm(initial=self.initial(provider), editing=True)
            rows = RoleRowFormSet(prefix="roles", initial=role_rows_initial(provider.role_map))
        return self.render(provider, form, rows)

    def post(self, request: HttpRequest) -> HttpResponse:
        provider = self.provider()
        editing = provider is not None
        form = CompanySignInForm(request.POST, editing=editing)
        rows = cast(BaseRoleRowFormSet, RoleRowFormSet(request.POST, prefix="roles"))
        if form.is_valid() and rows.is_valid():
            data = form.cleaned_data
            target = provider or IdentityProvider(partner=request.partner)  # type: ignore[attr-defined]
            target.name = data["name"]
            target.protocol = data["protocol"]
            target.role_claim = data["role_claim"]
            target.role_map = rows.role_map()
            target.default_role = data["default_role"]
            if not editing:
                target.is_active = data["is_active"]
            try:
                sso_setup.identity_provider_save(
                    provider=target,
                    actor=request.user,  # type: ignore[arg-type]
                    client_id=data["client_id"],
                    secret=data.get("secret") or "",
                    server_url=data["server_url"],
                    saml=form.saml(),
                    domains_add=[] if editing else form.domain_list(),
                )
            except ValidationError as exc:
                # What was assigned above is not saved: show the stored provider.
                provider = self.provider() if editing else None
                if hasattr(exc, "error_dict") and "domain" in exc.error_dict:
                    exc.error_dict["domains"] = exc.error_dict.pop("domain")
                if hasattr(exc, "error_dict") and "role_map" in exc.error_dict:
                    rows_errors = exc.error_dict.pop("role_map")
                    for error in rows_errors:
                        form.add_error(None, error)
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Your company sign-in was saved."))
                return redirect("portal:company_sign_in")
        return self.render(provider, form, rows, status=400)

    def render(
        self,
        provider: IdentityProvider | None,
        form: CompanySignInForm,
        rows: Any,
        status: int = 200,
        domain_form: DomainAddForm | None = None,
    ) -> HttpResponse:
        request = self.request
        partner = request.partner  # type: ignore[attr-defined]
        slug = provider.slug if provider else sso_setup.partner_provider_slug(partner=partner)
        records = Paginator(company_sign_in_records(partner=partner), RECORDS_PER_PAGE).get_page(
            request.GET.get("page")
        )
        return render(
            request,
            "portal/company_sign_in.html",
            {
                "partner": partner,
                "provider": provider,
                "domains": list(provider.domains.all()) if provider else [],
                "form": form,
                "rows": rows,
                "domain_form": domain_form or DomainAddForm(),
                "callback_url": request.build_absolute_uri(
                    reverse("openid_connect_callback", kwargs={"provider_id": slug})
                ),
                # What the company's IT registers at a SAML 2.0 IdP, on the address the
                # browser reached (as the OpenID Connect callback above).
                "saml_urls": sso.saml_service_provider_urls(
                    slug=slug, base_url=request.build_absolute_uri("/")
                ),
                "records": records,
            },
            status=status,
        )


class CompanySignInDomainAddView(CompanySignInView):
    """Claim an email domain for the company's provider (pending staff approval)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return redirect("portal:company_sign_in")

    def post(self, request: HttpRequest) -> HttpResponse:
        provider = self.provider_or_404()
        domain_form = DomainAddForm(request.POST)
        if domain_form.is_valid():
            try:
                domain = sso_setup.identity_provider_domain_add(
                    provider=provider,
                    domain=domain_form.cleaned_data["domain"],
                    actor=request.user,  # type: ignore[arg-type]
                )
            except ValidationError as exc:
                domain_form.add_service_errors(exc)
            else:
                messages.success(
                    request,
                    _("%(domain)s was added; our staff approve it before anyone signs in with it.")
                    % {"domain": domain.domain},
                )
                return redirect("portal:company_sign_in")
        form = CompanySignInForm(initial=self.initial(provider), editing=True)
        rows = RoleRowFormSet(prefix="roles", initial=role_rows_initial(provider.role_map))
        return self.render(provider, form, rows, status=400, domain_form=domain_form)


class CompanySignInDomainRemoveView(CompanySignInMixin, View):
    """Confirm (GET) and remove (POST) one of the company provider's domains."""

    def domain(self, name: str) -> IdentityProviderDomain:
        provider = self.provider_or_404()
        found = provider.domains.filter(domain=name).first()
        if found is None:
            raise Http404
        return found

    def get(self, request: HttpRequest, domain: str) -> HttpResponse:
        return render(
            request,
            "portal/company_sign_in_confirm.html",
            {"action": "remove_domain", "domain": self.domain(domain)},
        )

    def post(self, request: HttpRequest, domain: str) -> HttpResponse:
        found = self.domain(domain)
        sso_setup.identity_provider_domain_remove(domain=found, actor=request.user)  # type: ignore[arg-type]
        messages.success(request, _("%(domain)s was removed.") % {"domain": found.domain})
        return redirect("portal:company_sign_in")


class CompanySignInActionView(CompanySignInMixin, View):
    """Confirm (GET) and do (POST): switch the company sign-in on or off, or delete it."""

    action = "deactivate"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(
            request,
            "portal/company_sign_in_confirm.html",
            {"action": self.action, "provider": self.provider_or_404()},
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        provider = self.provider_or_404()
        actor = request.user
        if self.action == "delete":
            sso_setup.identity_provider_delete(provider=provider, actor=actor)  # type: ignore[arg-type]
            messages.success(request, _("Your company sign-in was deleted."))
        else:
            active = self.action == "activate"
            sso_setup.identity_provider_set_active(provider=provider, active=active, actor=actor)  # type: ignore[arg-type]
            messages.success(
                request,
                _("Your company sign-in is on.") if active else _("Your company sign-in is off."),
            )
        return redirect("portal:company_sign_in")

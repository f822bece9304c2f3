"""The portal's "Company sign-in" pages: a partner admin sets up the company's own
identity providers (docs/sso.md, "Partners set up their own sign-in"). The overview lists
every provider of the company (a company may have two, e.g. while it moves to another
identity provider), each opens on its own page. Partner admins only; everything read
and changed is the partner's own (another partner's provider is not found). The rules
are `partners.services.sso_setup`'s."""

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

from partners.models import IdentityProvider, IdentityProviderDomain, Partner
from partners.scoping import PortalAccessMixin
from partners.selectors.sso import (
    company_identity_provider,
    company_identity_providers,
    company_sign_in_records,
)
from partners.services import sso, sso_setup
from partners.sso_forms import (
    BaseRoleRowFormSet,
    CompanySignInForm,
    DomainAddForm,
    DomainMoveForm,
    RoleRowFormSet,
    role_rows_initial,
)
from partners.views.core import ADMIN_ONLY

RECORDS_PER_PAGE = 20


class CompanySignInMixin(PortalAccessMixin):
    allowed_roles = ADMIN_ONLY

    @property
    def partner(self) -> Partner:
        return self.request.partner  # type: ignore[attr-defined]

    def provider_or_404(self, slug: str) -> IdentityProvider:
        provider = company_identity_provider(partner=self.partner, slug=slug)
        if provider is None:
            raise Http404
        return provider

    def registration(self, slug: str) -> dict[str, Any]:
        """What the company's IT registers at its identity provider for this slug, on the
        address the browser reached: the OpenID Connect redirect URI and the SAML 2.0
        service provider's addresses."""
        request = self.request
        return {
            "callback_url": request.build_absolute_uri(
                reverse("openid_connect_callback", kwargs={"provider_id": slug})
            ),
            "saml_urls": sso.saml_service_provider_urls(
                slug=slug, base_url=request.build_absolute_uri("/")
            ),
        }


def provider_initial(provider: IdentityProvider) -> dict[str, Any]:
    """The settings form's values of a stored provider (never its secret)."""
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


def provider_save(
    request: HttpRequest, provider: IdentityProvider | None
) -> tuple[IdentityProvider | None, CompanySignInForm, Any]:
    """Parse the settings form and save through the service. Answers the provider saved
    (None when the input was refused) with the bound form and role rows, their errors
    on them."""
    editing = provider is not None
    form = CompanySignInForm(request.POST, editing=editing)
    rows = cast(BaseRoleRowFormSet, RoleRowFormSet(request.POST, prefix="roles"))
    if not (form.is_valid() and rows.is_valid()):
        return None, form, rows
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
        saved = sso_setup.identity_provider_save(
            provider=target,
            actor=request.user,  # type: ignore[arg-type]
            client_id=data["client_id"],
            secret=data.get("secret") or "",
            server_url=data["server_url"],
            saml=form.saml(),
            domains_add=[] if editing else form.domain_list(),
        )
    except ValidationError as exc:
        if hasattr(exc, "error_dict") and "domain" in exc.error_dict:
            exc.error_dict["domains"] = exc.error_dict.pop("domain")
        if hasattr(exc, "error_dict") and "role_map" in exc.error_dict:
            for error in exc.error_dict.pop("role_map"):
                form.add_error(None, error)
        form.add_service_errors(exc)
        return None, form, rows
    return saved, form, rows


class CompanySignInView(CompanySignInMixin, View):
    """Every provider of the company (name, protocol, on or off, domains and their
    approval), each opening on its own page, and the company's recent sign-ins. Without
    a provider: what single sign-on is and the form to set the first one up."""

    def get(self, request: HttpRequest) -> HttpResponse:
        providers = list(company_identity_providers(partner=self.partner))
        records = Paginator(
            company_sign_in_records(partner=self.partner), RECORDS_PER_PAGE
        ).get_page(request.GET.get("page"))
        context: dict[str, Any] = {"providers": providers, "records": records}
        if not providers:
            context.update(
                form=CompanySignInForm(),
                rows=RoleRowFormSet(prefix="roles"),
                **self.registration(sso_setup.partner_provider_slug(partner=self.partner)),
            )
        return render(request, "portal/company_sign_in.html", context)


class CompanySignInAddView(CompanySignInMixin, View):
    """Set up another provider of the company (the first one too: the overview's form
    posts here)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render(CompanySignInForm(), RoleRowFormSet(prefix="roles"))

    def post(self, request: HttpRequest) -> HttpResponse:
        saved, form, rows = provider_save(request, None)
        if saved is None:
            return self.render(form, rows, status=400)
        messages.success(
            request, _("The company sign-in “%(name)s” was saved.") % {"name": saved.name}
        )
        return redirect("portal:company_sign_in_provider", slug=saved.slug)

    def render(self, form: CompanySignInForm, rows: Any, status: int = 200) -> HttpResponse:
        slug = sso_setup.partner_provider_slug(partner=self.partner)
        return render(
            self.request,
            "portal/company_sign_in_provider.html",
            {
                "provider": None,
                "has_providers": company_identity_providers(partner=self.partner).exists(),
                "form": form,
                "rows": rows,
                **self.registration(slug),
            },
            status=status,
        )


class CompanySignInProviderView(CompanySignInMixin, View):
    """One provider of the company: what to register at the identity provider, its
    settings, its domains, the switch and delete."""

    def get(self, request: HttpRequest, slug: str) -> HttpResponse:
        provider = self.provider_or_404(slug)
        return self.render(provider)

    def post(self, request: HttpRequest, slug: str) -> HttpResponse:
        provider = self.provider_or_404(slug)
        saved, form, rows = provider_save(request, provider)
        if saved is None:
            # What the form assigned is not saved: show the stored provider.
            return self.render(self.provider_or_404(slug), form, rows, status=400)
        messages.success(
            request, _("The company sign-in “%(name)s” was saved.") % {"name": saved.name}
        )
        return redirect("portal:company_sign_in_provider", slug=saved.slug)

    def render(
        self,
        provider: IdentityProvider,
        form: CompanySignInForm | None = None,
        rows: Any = None,
        status: int = 200,
        domain_form: DomainAddForm | None = None,
    ) -> HttpResponse:
        siblings = [
            other
            for other in company_identity_providers(partner=self.partner)
            if other.pk != provider.pk
        ]
        return render(
            self.request,
            "portal/company_sign_in_provider.html",
            {
                "provider": provider,
                "domains": list(provider.domains.all()),
                "can_move": bool(siblings),
                "form": form or CompanySignInForm(initial=provider_initial(provider), editing=True),
                "rows": rows
                or RoleRowFormSet(prefix="roles", initial=role_rows_initial(provider.role_map)),
                "domain_form": domain_form or DomainAddForm(),
                **self.registration(provider.slug),
            },
            status=status,
        )


class CompanySignInDomainAddView(CompanySignInProviderView):
    """Claim an email domain for one of the company's providers (pending staff
    approval)."""

    def get(self, request: HttpRequest, slug: str) -> HttpResponse:
        provider = self.provider_or_404(slug)
        return redirect("portal:company_sign_in_provider", slug=provider.slug)

    def post(self, request: HttpRequest, slug: str) -> HttpResponse:
        provider = self.provider_or_404(slug)
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
                return redirect("portal:company_sign_in_provider", slug=slug)
        return self.render(provider, status=400, domain_form=domain_form)


class CompanySignInDomainMixin(CompanySignInMixin):
    def domain_or_404(self, slug: str, name: str) -> IdentityProviderDomain:
        provider = self.provider_or_404(slug)
        found = provider.domains.filter(domain=name).select_related("provider").first()
        if found is None:
            raise Http404
        return found


class CompanySignInDomainRemoveView(CompanySignInDomainMixin, View):
    """Confirm (GET) and remove (POST) one of a provider's domains."""

    def get(self, request: HttpRequest, slug: str, domain: str) -> HttpResponse:
        found = self.domain_or_404(slug, domain)
        return render(
            request,
            "portal/company_sign_in_confirm.html",
            {"action": "remove_domain", "domain": found, "provider": found.provider},
        )

    def post(self, request: HttpRequest, slug: str, domain: str) -> HttpResponse:
        found = self.domain_or_404(slug, domain)
        sso_setup.identity_provider_domain_remove(domain=found, actor=request.user)  # type: ignore[arg-type]
        messages.success(request, _("%(domain)s was removed.") % {"domain": found.domain})
        return redirect("portal:company_sign_in_provider", slug=slug)


class CompanySignInDomainMoveView(CompanySignInDomainMixin, View):
    """Confirm (GET) and move (POST) one of a provider's domains to another provider of
    the company, with its approval: how a company switches its people over to a new
    identity provider."""

    def form(self, domain: IdentityProviderDomain, data: Any = None) -> DomainMoveForm:
        others = [
            provider
            for provider in company_identity_providers(partner=self.partner)
            if provider.pk != domain.provider_id
        ]
        if not others:
            raise Http404
        return DomainMoveForm(data, providers=others)

    def get(self, request: HttpRequest, slug: str, domain: str) -> HttpResponse:
        found = self.domain_or_404(slug, domain)
        return self.render(found, self.form(found))

    def post(self, request: HttpRequest, slug: str, domain: str) -> HttpResponse:
        found = self.domain_or_404(slug, domain)
        form = self.form(found, request.POST)
        if not form.is_valid():
            return self.render(found, form, status=400)
        target = self.provider_or_404(form.cleaned_data["provider"])
        try:
            sso_setup.identity_provider_domain_move(
                domain=found,
                provider=target,
                actor=request.user,  # type: ignore[arg-type]
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
            return self.render(found, form, status=400)
        messages.success(
            request,
            _("People at %(domain)s now sign in through “%(name)s”.")
            % {"domain": found.domain, "name": target.name},
        )
        return redirect("portal:company_sign_in_provider", slug=target.slug)

    def render(
        self, domain: IdentityProviderDomain, form: DomainMoveForm, status: int = 200
    ) -> HttpResponse:
        return render(
            self.request,
            "portal/company_sign_in_confirm.html",
            {"action": "move_domain", "domain": domain, "provider": domain.provider, "form": form},
            status=status,
        )


class CompanySignInActionView(CompanySignInMixin, View):
    """Confirm (GET) and do (POST): switch one of the company's providers on or off, or
    delete it."""

    action = "deactivate"

    def get(self, request: HttpRequest, slug: str) -> HttpResponse:
        return render(
            request,
            "portal/company_sign_in_confirm.html",
            {"action": self.action, "provider": self.provider_or_404(slug)},
        )

    def post(self, request: HttpRequest, slug: str) -> HttpResponse:
        provider = self.provider_or_404(slug)
        actor = request.user
        name = {"name": provider.name}
        if self.action == "delete":
            sso_setup.identity_provider_delete(provider=provider, actor=actor)  # type: ignore[arg-type]
            messages.success(request, _("The company sign-in “%(name)s” was deleted.") % name)
            return redirect("portal:company_sign_in")
        active = self.action == "activate"
        sso_setup.identity_provider_set_active(provider=provider, active=active, actor=actor)  # type: ignore[arg-type]
        messages.success(
            request,
            (
                _("The company sign-in “%(name)s” is on.")
                if active
                else _("The company sign-in “%(name)s” is off.")
            )
            % name,
        )
        return redirect("portal:company_sign_in_provider", slug=provider.slug)

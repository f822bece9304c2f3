"""Portal shell: login, dashboard, company profile, API keys, error pages."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.csrf import requires_csrf_token
from django.views.generic import ListView, TemplateView
from django_scopes import scopes_disabled

from analytics.dashboard import home_tiles
from assets.validation import JPEG, PNG, WEBP
from partners.forms import (
    APIKeyCreateForm,
    CobrandingForm,
    PortalAuthenticationForm,
    PortalPasswordChangeForm,
    PortalPasswordResetForm,
    PortalSetPasswordForm,
)
from partners.models import Membership, Partner, PartnerAPIKey
from partners.scoping import PartnerScopedObjectMixin, PortalAccessMixin
from partners.services import api_key_create, api_key_revoke, partner_update_cobranding
from partners.views.onboarding import onboarding_card

ADMIN_ONLY = frozenset({Membership.Role.ADMIN})


class ProductNameMixin:
    """Django's login and logout views set `site_name` to the request's host name;
    the portal's pages show the product's name (settings.SITE_NAME) instead."""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)  # type: ignore[misc]
        context["site_name"] = settings.SITE_NAME
        return context


class LoginView(ProductNameMixin, auth_views.LoginView):
    template_name = "portal/login.html"
    authentication_form = PortalAuthenticationForm
    redirect_authenticated_user = True


class LogoutView(ProductNameMixin, auth_views.LogoutView):
    """POST logs out (CSRF-protected, as Django's view). GET changes nothing: a signed-in
    user who follows an old link or types the URL gets a "Log out" button that POSTs,
    anyone else the logged-out page."""

    template_name = "portal/logged_out.html"
    confirm_template_name = "portal/logout_confirm.html"
    http_method_names = ["get", "post", "options"]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return super().get(request, *args, **kwargs)
        context = self.get_context_data(next=self.get_redirect_url())
        return self.response_class(request, [self.confirm_template_name], context)

    def get_default_redirect_url(self) -> str:
        # Show the "you are logged out" page rather than LOGOUT_REDIRECT_URL (the
        # login form); a safe `next` parameter still wins.
        return self.request.path


class PasswordChangeView(PortalAccessMixin, auth_views.PasswordChangeView):
    agreement_required = False  # a user may always change their own password
    template_name = "portal/password_change.html"
    form_class = PortalPasswordChangeForm
    success_url = reverse_lazy("portal:dashboard")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, _("Your password was changed."))
        return response


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "portal/password_reset.html"
    form_class = PortalPasswordResetForm
    email_template_name = "portal/email/password_reset_body.txt"
    subject_template_name = "portal/email/password_reset_subject.txt"
    success_url = reverse_lazy("portal:password_reset_done")

    @property
    def extra_email_context(self) -> dict[str, str]:  # type: ignore[override]
        # The product's name, not the request's host name (Django's default without sites).
        return {"site_name": settings.SITE_NAME}


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "portal/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "portal/password_reset_confirm.html"
    form_class = PortalSetPasswordForm
    success_url = reverse_lazy("portal:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "portal/password_reset_complete.html"


class DashboardView(PortalAccessMixin, TemplateView):
    template_name = "portal/dashboard.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        partner: Partner = self.request.partner  # type: ignore[attr-defined]
        context["partner"] = partner
        context["membership"] = self.request.membership  # type: ignore[attr-defined]
        context["profile_missing"] = [
            label
            for label, value in (
                (_("logo"), partner.logo),
                (_("phone"), partner.contact_phone),
                (_("email"), partner.contact_email),
                (_("address"), partner.address),
            )
            if not value
        ]
        context.update(home_tiles(partner))
        context.update(onboarding_card(partner))
        return context


class CompanyProfileView(PortalAccessMixin, View):
    """The partner's co-branding profile: everyone reads it, partner admins edit it."""

    template_name = "portal/profile.html"

    def get_form(self, data: Any = None, files: Any = None) -> CobrandingForm:
        return CobrandingForm(data=data, files=files, instance=self.request.partner)  # type: ignore[attr-defined]

    def can_edit(self) -> bool:
        return self.request.membership.role == Membership.Role.ADMIN  # type: ignore[attr-defined]

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render(self.get_form())

    def post(self, request: HttpRequest) -> HttpResponse:
        if not self.can_edit():
            return render(request, "403.html", status=403)
        form = self.get_form(request.POST, request.FILES)
        if form.is_valid():
            try:
                partner_update_cobranding(
                    partner=request.partner,  # type: ignore[attr-defined]
                    actor=request.user,
                    logo=form.cleaned_data.get("logo_upload"),
                    remove_logo=form.cleaned_data.get("remove_logo", False),
                    **{name: form.cleaned_data[name] for name in CobrandingForm.Meta.fields},
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Your company profile was saved."))
                return redirect("portal:profile")
        return self.render(form, status=400)

    def render(self, form: CobrandingForm, status: int = 200) -> HttpResponse:
        return render(
            self.request,
            self.template_name,
            {"form": form, "partner": self.request.partner, "can_edit": self.can_edit()},  # type: ignore[attr-defined]
            status=status,
        )


LOGO_CONTENT_TYPES = {kind.extension: kind.content_type for kind in (PNG, JPEG, WEBP)}


def partner_logo(request: HttpRequest, partner_uuid: UUID) -> HttpResponse:
    """A partner's logo, for its own users and for staff; anyone else gets 404.

    Logos are not public files: a competitor must not enumerate who is a partner.
    """
    if not request.user.is_authenticated:
        raise Http404
    own = getattr(request, "partner", None)
    if own is not None and str(own.uuid) == str(partner_uuid):
        partner = own
    elif request.user.is_staff:
        with scopes_disabled():
            partner = Partner.objects.filter(uuid=partner_uuid).first()
    else:
        partner = None
    if partner is None or not partner.logo:
        raise Http404
    extension = partner.logo.name.rsplit(".", 1)[-1].lower()
    response = FileResponse(
        partner.logo.open("rb"),
        content_type=LOGO_CONTENT_TYPES.get(extension, "application/octet-stream"),
    )
    response["Content-Disposition"] = f'inline; filename="logo.{extension}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=300"
    return response


class APIKeyListView(PortalAccessMixin, PartnerScopedObjectMixin, ListView):
    """The partner's API keys; partner admins create and revoke them."""

    allowed_roles = ADMIN_ONLY
    model = PartnerAPIKey
    template_name = "portal/api_keys.html"
    context_object_name = "api_keys"
    paginate_by = 25

    def narrow_queryset(self, queryset: Any) -> Any:
        return queryset.select_related("created_by", "revoked_by", "user__membership").order_by(
            "revoked", "-created"
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault("form", APIKeyCreateForm())
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        form = APIKeyCreateForm(request.POST)
        if form.is_valid():
            try:
                created = api_key_create(
                    name=form.cleaned_data["name"],
                    partner=request.partner,  # type: ignore[attr-defined]
                    created_by=request.user,
                    role=form.cleaned_data["role"] or None,
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                self.object_list = self.get_queryset()
                context = self.get_context_data(
                    new_key=created.raw_key, new_api_key=created.api_key
                )
                return render(request, self.template_name, context, status=201)
        self.object_list = self.get_queryset()
        return render(request, self.template_name, self.get_context_data(form=form), status=400)


class APIKeyRevokeView(PortalAccessMixin, PartnerScopedObjectMixin, View):
    """Confirm (GET) and revoke (POST) one of the partner's keys, by its public id."""

    allowed_roles = ADMIN_ONLY
    model = PartnerAPIKey
    lookup_field = "public_id"
    lookup_url_kwarg = "public_id"
    template_name = "portal/api_key_revoke.html"

    def get(self, request: HttpRequest, public_id: str) -> HttpResponse:
        return render(request, self.template_name, {"api_key": self.get_object()})

    def post(self, request: HttpRequest, public_id: str) -> HttpResponse:
        api_key = api_key_revoke(api_key=self.get_object(), actor=request.user)
        messages.success(request, _("The key “%(name)s” was revoked.") % {"name": api_key.name})
        return redirect("portal:api_keys")


# --- Error pages in the portal's look -------------------------------------------


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "400.html", status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    # Render without the request context: whatever broke may be in it.
    from django.template import loader

    return HttpResponse(loader.get_template("500.html").render({}), status=500)

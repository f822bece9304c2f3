"""Portal shell: login, dashboard, company profile, API keys, error pages."""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.csrf import requires_csrf_token
from django.views.generic import ListView, TemplateView
from django_scopes import scopes_disabled

from analytics.dashboard import home_tiles
from assets import selectors as asset_selectors
from assets.validation import JPEG, PNG, WEBP
from campaigns import selectors as campaign_selectors
from campaigns.models import CampaignKit
from partners import selectors, services
from partners.forms import (
    APIKeyCreateForm,
    CobrandingForm,
    PortalAuthenticationForm,
    PortalPasswordChangeForm,
    PortalPasswordResetForm,
    PortalSetPasswordForm,
    RatingForm,
    SSODiscoveryForm,
    SurveyAnswerForm,
)
from partners.middleware import LANGUAGE_SESSION_KEY
from partners.models import Membership, Partner, PartnerAPIKey, SurveyRound
from partners.scoping import PartnerScopedObjectMixin, PortalAccessMixin, ProtectedQuerysetMeta
from partners.selectors import lacking_text, tier_assessment_latest
from partners.services import api_key_create, api_key_revoke, partner_update_cobranding
from partners.services import sso as sso_services
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

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault("sso_form", SSODiscoveryForm())
        context["staff_password_login_off"] = not settings.SSO_STAFF_PASSWORD_LOGIN
        return context


class LoginSSOView(LoginView):
    """POST an email: home-realm discovery. The identity provider that owns its domain
    answers with a page whose button starts the sign-in there (a POST to allauth's
    login address); no provider: the login page again, saying to use the password,
    with the address in the username field. GET shows the login page."""

    http_method_names = ["get", "post", "options"]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return redirect("portal:login")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = SSODiscoveryForm(request.POST)
        next_url = self.get_redirect_url()
        if not form.is_valid():
            context = self.get_context_data(form=self.get_form_class()(request), sso_form=form)
            return self.render_to_response(context)
        provider = sso_services.provider_for_email(email=form.cleaned_data["email"])
        if provider is None:
            login_form = self.get_form_class()(
                request, initial={"username": form.cleaned_data["email"]}
            )
            context = self.get_context_data(
                form=login_form,
                sso_form=form,
                sso_notice=_("No company sign-in for this address; use your password."),
            )
            return self.render_to_response(context)
        return render(
            request,
            "portal/login_sso.html",
            {
                "provider": provider,
                "sso_login_url": sso_services.provider_login_url(slug=provider.slug),
                "next": next_url,
                "site_name": settings.SITE_NAME,
            },
        )


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


class LanguageView(View):
    """POST a language: the pages (and, for a signed-in person, their emails) follow it.

    Anyone may choose (the login page's switcher): the choice is kept in the language
    cookie. A signed-in person's choice is also recorded for them
    (`services.user_language_choose`), so it follows them to another browser.
    """

    http_method_names = ["post", "options"]

    def post(self, request: HttpRequest) -> HttpResponse:
        language = request.POST.get("language", "")
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            target = reverse("portal:dashboard")
        try:
            if request.user.is_authenticated:
                language = services.user_language_choose(user=request.user, language=language)
                request.session[LANGUAGE_SESSION_KEY] = language
            else:
                language = services.chosen_language(language)
        except ValueError as error:
            messages.error(request, str(error))
            return redirect(target)
        response = redirect(target)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
        return response


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
        context["tier_assessment"] = assessment = tier_assessment_latest(partner)
        context["tier_lacking"] = lacking_text(assessment) if assessment else ""
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


# --- The voice of the partner: ratings of shared content, surveys ------------------------


class RatedItemMixin(ProtectedQuerysetMeta):
    """The item a rating is about: an asset or a kit the request's partner may see
    (the library's and the campaigns' own selectors); any other answers 404."""

    _owns_scoped_accessors = True
    item_kind: ClassVar[str]  # "asset" or "kit"
    request: HttpRequest
    kwargs: dict[str, Any]

    def narrow_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset

    def get_queryset(self) -> QuerySet:
        partner = self.request.partner  # type: ignore[attr-defined]
        if self.item_kind == "asset":
            return self.narrow_queryset(asset_selectors.assets_available(partner=partner))
        return self.narrow_queryset(campaign_selectors.kits_available(partner=partner))

    def get_object(self, queryset: QuerySet | None = None) -> Model:
        lookup = "uuid" if self.item_kind == "asset" else "slug"
        try:
            item = self.get_queryset().filter(**{lookup: str(self.kwargs.get(lookup))}).first()
        except (ValidationError, ValueError, TypeError) as exc:
            raise Http404 from exc
        if item is None:  # missing, unpublished, or not for this partner
            raise Http404
        return item


def item_url(item: Any) -> str:
    if isinstance(item, CampaignKit):
        return reverse("campaigns:kit_detail", kwargs={"slug": item.slug})
    return reverse("library:detail", kwargs={"uuid": item.uuid})


def rating_action(item: Any) -> str:
    if isinstance(item, CampaignKit):
        return reverse("portal:rate_kit", kwargs={"slug": item.slug})
    return reverse("portal:rate_asset", kwargs={"uuid": item.uuid})


def rating_panel(request: HttpRequest, *, item: Any) -> dict[str, Any]:
    """The rating card of an asset's or a kit's page (`partners/_rating.html`): the
    company's average, the user's own rating and the form to give or change it."""
    kind = {"kit": item} if isinstance(item, CampaignKit) else {"asset": item}
    summary = selectors.rating_summary(
        partner=request.partner,  # type: ignore[attr-defined]
        user=request.user,  # type: ignore[arg-type]
        **kind,
    )
    initial = {"rating": summary.own.rating, "comment": summary.own.comment} if summary.own else {}
    return {
        "rating": summary,
        "rating_form": RatingForm(initial=initial),
        "rating_action": rating_action(item),
    }


class RateView(PortalAccessMixin, RatedItemMixin, View):
    """Give or change one's rating of an item (POST from the item's page; GET shows the
    form on its own page, where errors are shown too)."""

    template_name = "partners/rating_form.html"

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        item = self.get_object()
        return self.render(item, rating_panel(request, item=item)["rating_form"])

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        item = self.get_object()
        form = RatingForm(request.POST)
        if form.is_valid():
            try:
                _rating, created = services.rating_save(
                    actor=request.user,  # type: ignore[arg-type]
                    partner=request.partner,  # type: ignore[attr-defined]
                    rating=form.cleaned_data["rating"],
                    comment=form.cleaned_data["comment"],
                    **{self.item_kind: item},
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(
                    request,
                    _("Thank you for your rating.") if created else _("Your rating is updated."),
                )
                return redirect(item_url(item) + "#rating")
        return self.render(item, form, status=400)

    def render(self, item: Any, form: RatingForm, status: int = 200) -> HttpResponse:
        context = {
            "item": item,
            "item_url": item_url(item),
            "is_kit": isinstance(item, CampaignKit),
            "rating_form": form,
            "rating_action": rating_action(item),
        }
        return render(self.request, self.template_name, context, status=status)


class RateAssetView(RateView):
    item_kind = "asset"


class RateKitView(RateView):
    item_kind = "kit"


class SurveyListView(PortalAccessMixin, TemplateView):
    """The survey rounds open now, and whether I have answered each."""

    template_name = "partners/survey_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["rounds"] = selectors.survey_rounds_for(
            user=self.request.user,  # type: ignore[arg-type]
            today=timezone.localdate(),
        )
        context["asked"] = self.request.membership.role in services.SURVEY_ROLES  # type: ignore[attr-defined]
        return context


class SurveyAnswerView(PortalAccessMixin, View):
    """Answer a survey round, once. Rounds are the same for every partner (the survey
    is the program's); one not opened yet answers 404, a closed one says so."""

    allowed_roles = services.SURVEY_ROLES
    template_name = "partners/survey_answer.html"

    def get_round(self) -> SurveyRound:
        try:
            found = (
                SurveyRound.objects.select_related("survey")
                .filter(opens_on__lte=timezone.localdate(), uuid=self.kwargs.get("uuid"))
                .first()
            )
        except (ValidationError, ValueError) as exc:
            raise Http404 from exc
        if found is None:
            raise Http404
        return found

    def get(self, request: HttpRequest, uuid: str) -> HttpResponse:
        survey_round = self.get_round()
        return self.render(survey_round, SurveyAnswerForm(survey=survey_round.survey))

    def post(self, request: HttpRequest, uuid: str) -> HttpResponse:
        survey_round = self.get_round()
        form = SurveyAnswerForm(request.POST, survey=survey_round.survey)
        if form.is_valid():
            try:
                services.survey_response_submit(
                    survey_round=survey_round,
                    actor=request.user,  # type: ignore[arg-type]
                    score=form.cleaned_data["score"],
                    answers=form.answers(),
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Thank you: your answers are in."))
                return redirect("portal:survey_list")
        return self.render(survey_round, form, status=400)

    def render(
        self, survey_round: SurveyRound, form: SurveyAnswerForm, status: int = 200
    ) -> HttpResponse:
        context = {
            "round": survey_round,
            "survey": survey_round.survey,
            "form": form,
            "is_open": services.survey_round_is_open(survey_round),
            "response": selectors.survey_response_of(
                user=self.request.user,  # type: ignore[arg-type]
                survey_round=survey_round,
            ),
        }
        return render(self.request, self.template_name, context, status=status)

"""Pages of recruitment: the public application form (/apply/), accepting an invitation
(/invitations/<token>/) and asking for a new one, and the portal's team page, where
partner admins invite, resend, revoke, change roles and deactivate members."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from analytics.clicks import client_ip
from partners.models import Invitation, Membership
from partners.recruitment_forms import (
    ApplicationForm,
    InvitationAcceptForm,
    InvitationRequestForm,
    InviteForm,
    ReasonForm,
    RoleForm,
)
from partners.scoping import PartnerScopedObjectMixin, PortalAccessMixin
from partners.selectors import partner_people
from partners.selectors.recruitment import invitation_state, team_invitations
from partners.services.languages import invitee_language
from partners.services.recruitment import (
    InvitationInvalid,
    application_rate_check,
    application_submit,
    invitation_accept,
    invitation_by_token,
    invitation_create,
    invitation_request_new,
    invitation_resend,
    invitation_revoke,
    team_member_change_role,
    team_member_deactivate,
    team_member_reactivate,
)
from partners.views.core import ADMIN_ONLY

PUBLIC_CONTEXT = {"public_page": True}


def _public(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200):
    return render(
        request,
        template,
        {"site_name": settings.SITE_NAME, **PUBLIC_CONTEXT, **context},
        status=status,
    )


@contextmanager
def invitee_reading(request: HttpRequest, invitation: Invitation) -> Iterator[str]:
    """The invitation's page, its errors and the welcome after joining in the language
    the invitee reads (`partners.services.invitee_language`: the switcher's choice, else
    their company's, as their invitation email)."""
    language = invitee_language(
        partner=invitation.partner, chosen=request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    )
    with translation.override(language):
        yield language


def content_language(response: HttpResponse, language: str) -> HttpResponse:
    # LocaleMiddleware only sets the header when the view has not.
    response["Content-Language"] = language
    return response


# --- the public application form -----------------------------------------------------------


class ApplyView(View):
    """The application form; anyone may send it. A filled honeypot gets the same thanks
    page as a person, and nothing is stored."""

    template_name = "recruitment/apply.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return _public(request, self.template_name, {"form": ApplicationForm()})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ApplicationForm(request.POST)
        ip = client_ip(request)
        if form.is_robot:
            with suppress(ValidationError):
                application_rate_check(ip=ip)  # robots spend the same allowance
            return redirect("apply_done")
        if form.is_valid():
            try:
                application_submit(data=form.cleaned_data, ip=ip)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                return redirect("apply_done")
        return _public(request, self.template_name, {"form": form}, status=400)


def apply_done(request: HttpRequest) -> HttpResponse:
    return _public(request, "recruitment/apply_done.html", {})


# --- invitations -------------------------------------------------------------------------


@method_decorator(never_cache, name="dispatch")
@method_decorator(sensitive_post_parameters("password", "password_again"), name="dispatch")
class InvitationAcceptView(View):
    """Set a password and join the team; an unusable token gets a page saying why, with
    a form to ask for a new invitation."""

    template_name = "recruitment/invitation_accept.html"

    def invalid(self, request: HttpRequest, token: str, exc: InvitationInvalid) -> HttpResponse:
        form = InvitationRequestForm(initial={"token": token})
        return _public(
            request,
            "recruitment/invitation_invalid.html",
            {"reason": exc.reason, "message": exc.messages[0], "form": form},
            status=410 if exc.reason != "unknown" else 404,
        )

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        try:
            invitation = invitation_by_token(token)
        except InvitationInvalid as exc:
            return self.invalid(request, token, exc)
        with invitee_reading(request, invitation) as language:
            return content_language(
                self.render(request, invitation, InvitationAcceptForm()), language
            )

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        try:
            invitation = invitation_by_token(token)
        except InvitationInvalid as exc:
            return self.invalid(request, token, exc)
        with invitee_reading(request, invitation) as language:
            return content_language(self.accept(request, token, invitation), language)

    def accept(self, request: HttpRequest, token: str, invitation: Invitation) -> HttpResponse:
        form = InvitationAcceptForm(request.POST)
        if form.is_valid():
            try:
                user = invitation_accept(
                    token=token,
                    password=form.cleaned_data["password"],
                    first_name=form.cleaned_data["first_name"],
                    last_name=form.cleaned_data["last_name"],
                )
            except InvitationInvalid as exc:
                return self.invalid(request, token, exc)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(
                    request,
                    _("Welcome to %(partner)s's partner portal.") % {"partner": invitation.partner},
                )
                return redirect("portal:dashboard")
        return self.render(request, invitation, form, status=400)

    def render(
        self, request: HttpRequest, invitation: Invitation, form: Any, status: int = 200
    ) -> HttpResponse:
        inviter = invitation.invited_by
        return _public(
            request,
            self.template_name,
            {
                "invitation": invitation,
                "inviter": inviter.get_full_name() or inviter.get_username(),
                "form": form,
            },
            status=status,
        )


class InvitationRequestView(View):
    """Ask for a new invitation. The same answer whatever the address: nobody learns
    from it whether an address was invited."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return _public(
            request,
            "recruitment/invitation_invalid.html",
            {"reason": "", "message": "", "form": InvitationRequestForm()},
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        form = InvitationRequestForm(request.POST)
        if form.is_valid():
            try:
                invitation_request_new(
                    token=form.cleaned_data["token"],
                    email=form.cleaned_data["email"],
                    ip=client_ip(request),
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                return _public(request, "recruitment/invitation_request_sent.html", {})
        return _public(
            request,
            "recruitment/invitation_invalid.html",
            {"reason": "", "message": "", "form": form},
            status=400,
        )


# --- the team page --------------------------------------------------------------------------


class TeamView(PortalAccessMixin, View):
    """The partner's people and pending invitations: every member reads it, partner
    admins invite (POST) and act on each row."""

    template_name = "portal/team.html"

    def is_admin(self) -> bool:
        return self.request.membership.role == Membership.Role.ADMIN  # type: ignore[attr-defined]

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render(InviteForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        if not self.is_admin():
            return render(request, "403.html", status=403)
        form = InviteForm(request.POST)
        if form.is_valid():
            try:
                invitation = invitation_create(
                    partner=request.partner,  # type: ignore[attr-defined]
                    email=form.cleaned_data["email"],
                    role=form.cleaned_data["role"],
                    actor=request.user,  # type: ignore[arg-type]
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(
                    request,
                    _("Invitation sent to %(email)s; it is valid for 7 days.")
                    % {"email": invitation.email},
                )
                return redirect("portal:team")
        return self.render(form, status=400)

    def render(self, form: InviteForm, status: int = 200) -> HttpResponse:
        partner = self.request.partner  # type: ignore[attr-defined]
        invitations = [
            (invitation, invitation_state(invitation))
            for invitation in team_invitations(partner=partner)
        ]
        return render(
            self.request,
            self.template_name,
            {
                "partner": partner,
                "people": partner_people(partner=partner),
                "invitations": invitations,
                "form": form,
                "is_admin": self.is_admin(),
            },
            status=status,
        )


class InvitationActionView(PortalAccessMixin, PartnerScopedObjectMixin, View):
    """Resend or revoke one of the partner's invitations (partner admins)."""

    allowed_roles = ADMIN_ONLY
    model = Invitation
    action = "revoke"

    def narrow_queryset(self, queryset: Any) -> Any:
        return queryset.filter(accepted_at__isnull=True).select_related("partner")

    def get(self, request: HttpRequest, uuid: str) -> HttpResponse:
        invitation = self.get_object()
        return render(
            request,
            "portal/team_invitation_confirm.html",
            {"invitation": invitation, "action": self.action},
        )

    def post(self, request: HttpRequest, uuid: str) -> HttpResponse:
        invitation: Any = self.get_object()
        try:
            if self.action == "resend":
                invitation_resend(invitation=invitation, actor=request.user)  # type: ignore[arg-type]
                messages.success(
                    request, _("Invitation sent again to %(email)s.") % {"email": invitation.email}
                )
            else:
                invitation_revoke(invitation=invitation, actor=request.user)  # type: ignore[arg-type]
                messages.success(
                    request,
                    _("The invitation of %(email)s was revoked.") % {"email": invitation.email},
                )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("portal:team")


class MemberActionView(PortalAccessMixin, PartnerScopedObjectMixin, View):
    """Change a member's role, deactivate or reactivate them (partner admins): a page
    with the form (GET), the decision (POST)."""

    allowed_roles = ADMIN_ONLY
    model = Membership
    action = "role"

    def narrow_queryset(self, queryset: Any) -> Any:
        # People only: an API key's own user is managed on the API keys page.
        return queryset.filter(user__api_key__isnull=True).select_related("user", "partner")

    def form(self, data: Any = None) -> Any:
        if self.action == "role":
            membership: Any = self.object
            return RoleForm(data, initial={"role": membership.role})
        return ReasonForm(data)

    def get(self, request: HttpRequest, uuid: str) -> HttpResponse:
        self.object = self.get_object()
        return self.render(self.form())

    def post(self, request: HttpRequest, uuid: str) -> HttpResponse:
        self.object = self.get_object()
        membership: Any = self.object
        form = self.form(request.POST)
        if form.is_valid():
            name = membership.user.get_full_name() or membership.user.get_username()
            try:
                if self.action == "role":
                    team_member_change_role(
                        membership=membership,
                        role=form.cleaned_data["role"],
                        actor=request.user,  # type: ignore[arg-type]
                    )
                    done = _("%(name)s's role was changed.")
                elif self.action == "deactivate":
                    team_member_deactivate(
                        membership=membership,
                        actor=request.user,  # type: ignore[arg-type]
                        reason=form.cleaned_data["reason"],
                    )
                    done = _("%(name)s was deactivated and can no longer log in.")
                else:
                    team_member_reactivate(
                        membership=membership,
                        actor=request.user,  # type: ignore[arg-type]
                        reason=form.cleaned_data["reason"],
                    )
                    done = _("%(name)s can log in again.")
            except ValidationError as exc:
                if hasattr(exc, "error_dict") and "membership" in exc.error_dict:
                    form.add_error(None, exc.error_dict["membership"])
                else:
                    form.add_service_errors(exc)
            else:
                messages.success(request, done % {"name": name})
                return redirect("portal:team")
        return self.render(form, status=400)

    def render(self, form: Any, status: int = 200) -> HttpResponse:
        return render(
            self.request,
            "portal/team_member_action.html",
            {"member": self.object, "form": form, "action": self.action},
            status=status,
        )

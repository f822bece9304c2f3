"""Portal pages of onboarding: the program agreement (read and, for partner admins,
accept) and the partner's checklist with its progress and what to do next."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from analytics.clicks import client_ip
from partners.models import Membership, OnboardingStep, Partner
from partners.scoping import PortalAccessMixin
from partners.selectors import (
    StepState,
    agreement_acceptances,
    agreement_current,
    onboarding_progress,
)
from partners.services import agreement_accept

Kind = OnboardingStep.Kind

# Where the partner does each kind of step (the portal route, and its arguments from the
# step). Routes of sections that are not mounted yet simply give no link.
STEP_ROUTES: dict[str, str] = {
    Kind.ACCEPT_AGREEMENT: "portal:agreement",
    Kind.COMPANY_PROFILE: "portal:profile",
    Kind.UPLOAD_LOGO: "portal:profile",
    Kind.INVITE_TEAMMATE: "portal:team",
    Kind.DOWNLOAD_ASSET: "library:detail",
    Kind.LAUNCH_CAMPAIGN: "campaigns:list",
    Kind.COMPLETE_TRACK: "portal:track_detail",
}


def step_url(step: OnboardingStep) -> str | None:
    """The portal page where the partner does this step, or None (custom steps)."""
    route = STEP_ROUTES.get(step.kind)
    if route is None:
        return None
    args: list[Any] = []
    if step.kind == Kind.DOWNLOAD_ASSET and step.asset is not None:
        args = [step.asset.uuid]
    if step.kind == Kind.COMPLETE_TRACK and step.track is not None:
        args = [getattr(step.track, "slug", step.track.pk)]
    try:
        return reverse(route, args=args)
    except NoReverseMatch:
        try:
            return reverse(route)
        except NoReverseMatch:
            return None


def checklist_rows(states: list[StepState]) -> list[dict[str, Any]]:
    return [{"state": state, "url": step_url(state.step)} for state in states]


def onboarding_card(partner: Partner) -> dict[str, Any]:
    """The dashboard's onboarding card, while the partner is onboarding."""
    if partner.status != Partner.Status.ONBOARDING:
        return {}
    progress = onboarding_progress(partner=partner)
    next_step = progress.next_step
    return {
        "onboarding": progress,
        "onboarding_next_url": step_url(next_step.step) if next_step else None,
    }


class AgreementView(PortalAccessMixin, View):
    """The current program agreement: everyone reads it, a partner admin accepts it."""

    agreement_required = False  # this is where the gate sends partner admins
    template_name = "portal/agreement.html"

    def is_admin(self) -> bool:
        return self.request.membership.role == Membership.Role.ADMIN  # type: ignore[attr-defined]

    def next_url(self) -> str:
        target = self.request.POST.get("next") or self.request.GET.get("next") or ""
        if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={self.request.get_host()}, require_https=False
        ):
            return target
        return reverse("portal:onboarding")

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render()

    def post(self, request: HttpRequest) -> HttpResponse:
        if not self.is_admin():
            return render(request, "403.html", status=403)
        partner: Partner = request.partner  # type: ignore[attr-defined]
        try:
            acceptance = agreement_accept(partner=partner, user=request.user, ip=client_ip(request))  # type: ignore[arg-type]
        except ValidationError as exc:
            return self.render(errors=exc.messages, status=400)
        messages.success(
            request,
            _("You accepted version %(version)s of the program agreement for %(partner)s.")
            % {"version": acceptance.agreement.version, "partner": partner.name},
        )
        return redirect(self.next_url())

    def render(self, errors: list[str] | None = None, status: int = 200) -> HttpResponse:
        partner: Partner = self.request.partner  # type: ignore[attr-defined]
        current = agreement_current()
        acceptances = agreement_acceptances(partner=partner)
        accepted = next((a for a in acceptances if current and a.agreement_id == current.pk), None)
        return render(
            self.request,
            self.template_name,
            {
                "agreement": current,
                "accepted": accepted,
                "acceptances": acceptances,
                "is_admin": self.is_admin(),
                "next": self.next_url(),
                "errors": errors or [],
            },
            status=status,
        )


class OnboardingView(PortalAccessMixin, TemplateView):
    """The partner's onboarding checklist: progress, what to do next, due dates."""

    template_name = "portal/onboarding.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        partner: Partner = self.request.partner  # type: ignore[attr-defined]
        progress = onboarding_progress(partner=partner)
        context.update(
            {
                "partner": partner,
                "progress": progress,
                "rows": checklist_rows(progress.steps),
                "next_url": step_url(progress.next_step.step) if progress.next_step else None,
            }
        )
        return context

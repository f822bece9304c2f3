"""Portal pages of enablement: the tracks offered, a track's assets and progress, its
quiz and result, and the team's certifications."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from partners.models import EnablementTrack, Partner
from partners.scoping import PortalAccessMixin
from partners.selectors import (
    attempt_review,
    certifications_of_partner,
    track_progress,
    tracks_offered,
)
from partners.services import quiz_submit

ANSWER_FIELD = re.compile(r"^q(\d+)$")


def offered_track(slug: str) -> EnablementTrack:
    """An active track by its slug; any other slug is not found."""
    track = tracks_offered().filter(slug=slug).first()
    if track is None:
        raise Http404
    return track


class TrackListView(PortalAccessMixin, TemplateView):
    template_name = "portal/enablement/track_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        partner: Partner = self.request.partner  # type: ignore[attr-defined]
        context["rows"] = [
            track_progress(partner=partner, user=self.request.user, track=track)  # type: ignore[arg-type]
            for track in tracks_offered()
        ]
        return context


class TrackDetailView(PortalAccessMixin, TemplateView):
    template_name = "portal/enablement/track_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        track = offered_track(kwargs["slug"])
        context["track"] = track
        context["progress"] = track_progress(
            partner=self.request.partner,  # type: ignore[attr-defined]
            user=self.request.user,  # type: ignore[arg-type]
            track=track,
        )
        return context


class QuizView(PortalAccessMixin, View):
    """The quiz (GET) and its answers (POST): answers are fields named q<question id>
    whose values are choice ids; the service refuses anything not of this track."""

    template_name = "portal/enablement/quiz.html"

    def get(self, request: HttpRequest, slug: str) -> HttpResponse:
        return self.render(offered_track(slug))

    def post(self, request: HttpRequest, slug: str) -> HttpResponse:
        track = offered_track(slug)
        answers = {
            match.group(1): value
            for key, value in request.POST.items()
            if (match := ANSWER_FIELD.match(key))
        }
        try:
            attempt = quiz_submit(
                partner=request.partner,  # type: ignore[attr-defined]
                user=request.user,  # type: ignore[arg-type]
                track=track,
                answers=answers,
            )
        except ValidationError as exc:
            return self.render(track, errors=exc.messages, given=answers, status=400)
        if attempt.passed:
            messages.success(request, _("You passed: you are certified for %(t)s.") % {"t": track})
        return redirect("portal:enablement_result", slug=track.slug)

    def render(
        self,
        track: EnablementTrack,
        *,
        errors: list[str] | None = None,
        given: dict[str, str] | None = None,
        status: int = 200,
    ) -> HttpResponse:
        progress = track_progress(
            partner=self.request.partner,  # type: ignore[attr-defined]
            user=self.request.user,  # type: ignore[arg-type]
            track=track,
        )
        given = given or {}
        questions = [
            {
                "question": question,
                "choices": [
                    {"choice": choice, "checked": given.get(str(question.pk)) == str(choice.pk)}
                    for choice in question.choices.all()
                ],
            }
            for question in track.questions.prefetch_related("choices")
        ]
        return render(
            self.request,
            self.template_name,
            {"track": track, "progress": progress, "questions": questions, "errors": errors},
            status=status,
        )


class QuizResultView(PortalAccessMixin, TemplateView):
    """The user's latest try at the track's quiz: score, passed or not, what was wrong."""

    template_name = "portal/enablement/result.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        track = offered_track(kwargs["slug"])
        progress = track_progress(
            partner=self.request.partner,  # type: ignore[attr-defined]
            user=self.request.user,  # type: ignore[arg-type]
            track=track,
        )
        attempt = progress.latest_attempt
        if attempt is None:
            raise Http404
        context.update(
            track=track,
            progress=progress,
            attempt=attempt,
            review=attempt_review(attempt=attempt),
        )
        return context


class TeamCertificationsView(PortalAccessMixin, TemplateView):
    """The certifications of the partner's people, with their expiry."""

    template_name = "portal/enablement/certifications.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        now = timezone.now()
        context["rows"] = [
            {
                "certification": certification,
                "expired": certification.expires_at is not None and certification.expires_at <= now,
            }
            for certification in certifications_of_partner(partner=self.request.partner)  # type: ignore[attr-defined]
        ]
        return context

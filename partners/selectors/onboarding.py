"""Reads of program agreements and the onboarding checklist: a partner's progress (the
portal's checklist and dashboard card) and every onboarding partner's progress with
the reasons it is stalled (the staff pages)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_scopes import scopes_disabled

from partners.models import (
    AgreementAcceptance,
    OnboardingCompletion,
    OnboardingStep,
    Partner,
    ProgramAgreement,
)


def agreement_current(*, today: date | None = None) -> ProgramAgreement | None:
    """The agreement partners must have accepted: the latest published version whose
    effective date has come (None while nothing is published)."""
    today = today or timezone.localdate()
    return (
        ProgramAgreement.objects.filter(published_at__isnull=False, effective_date__lte=today)
        .order_by("-version")
        .first()
    )


def _stalled_days(days: int | None) -> int:
    return settings.ONBOARDING_STALLED_DAYS if days is None else days


@dataclass(frozen=True)
class StepState:
    """One step of a partner's checklist as the partner stands."""

    step: OnboardingStep
    due: date
    completed_at: datetime | None
    overdue: bool

    @property
    def done(self) -> bool:
        return self.completed_at is not None


@dataclass
class OnboardingProgress:
    """A partner's checklist: its steps, how far it is, what comes next, why it stalls."""

    partner: Partner
    started: datetime
    steps: list[StepState]
    last_progress_at: datetime
    days_since_progress: int
    stalled_reasons: list[str] = field(default_factory=list)

    @property
    def required(self) -> list[StepState]:
        return [state for state in self.steps if state.step.required]

    @property
    def required_done(self) -> int:
        return sum(1 for state in self.required if state.done)

    @property
    def percent(self) -> int:
        """Share of the required steps done (what activation waits for), in whole percent."""
        required = self.required
        if not required:
            return 100
        return self.required_done * 100 // len(required)

    @property
    def next_step(self) -> StepState | None:
        """The first open step, required steps first, in the checklist's order."""
        open_steps = [state for state in self.steps if not state.done]
        open_steps.sort(key=lambda state: not state.step.required)
        return open_steps[0] if open_steps else None

    @property
    def overdue(self) -> list[StepState]:
        return [state for state in self.steps if state.overdue]

    @property
    def stalled(self) -> bool:
        return bool(self.stalled_reasons)


def _applies(step: OnboardingStep, partner: Partner) -> bool:
    return step.tier_id is None or step.tier_id == partner.tier_id


def _progress(
    partner: Partner,
    steps: list[OnboardingStep],
    done: dict[int, datetime],
    *,
    today: date,
    stalled_days: int,
) -> OnboardingProgress:
    # Onboarding starts when the partner is created (approved applications create it
    # in status onboarding); due dates count from that day.
    started = partner.created_at
    start_day = timezone.localdate(started)
    states = []
    for step in steps:
        if not _applies(step, partner):
            continue
        due = start_day + timedelta(days=step.due_days)
        completed_at = done.get(step.pk)
        states.append(
            StepState(
                step=step,
                due=due,
                completed_at=completed_at,
                overdue=completed_at is None and due < today,
            )
        )
    last = max([started, *(state.completed_at for state in states if state.completed_at)])
    days_since = (today - timezone.localdate(last)).days
    progress = OnboardingProgress(
        partner=partner,
        started=started,
        steps=states,
        last_progress_at=last,
        days_since_progress=days_since,
    )
    if partner.status == Partner.Status.ONBOARDING:
        if days_since >= stalled_days:
            progress.stalled_reasons.append(
                ngettext(
                    "No progress for %(days)d day.", "No progress for %(days)d days.", days_since
                )
                % {"days": days_since}
            )
        for state in progress.overdue:
            progress.stalled_reasons.append(
                _("“%(step)s” was due on %(due)s.") % {"step": state.step.title, "due": state.due}
            )
    return progress


def onboarding_steps() -> list[OnboardingStep]:
    """Every active checklist step, in the checklist's order."""
    return list(OnboardingStep.objects.filter(active=True).select_related("tier", "asset", "track"))


def onboarding_progress(
    *, partner: Partner, today: date | None = None, stalled_days: int | None = None
) -> OnboardingProgress:
    """The partner's own checklist (the steps of its tier and those for all)."""
    today = today or timezone.localdate()
    stalled_days = _stalled_days(stalled_days)
    steps = list(
        OnboardingStep.objects.filter(active=True)
        .filter(Q(tier__isnull=True) | Q(tier_id=partner.tier_id))
        .select_related("tier", "asset", "track")
    )
    with scopes_disabled():
        done = dict(
            OnboardingCompletion.objects.filter(partner=partner).values_list(
                "step_id", "completed_at"
            )
        )
    return _progress(partner, steps, done, today=today, stalled_days=stalled_days)


def onboarding_overview(
    *,
    today: date | None = None,
    stalled_days: int | None = None,
    partners: QuerySet[Partner] | None = None,
) -> list[OnboardingProgress]:
    """Every onboarding partner's progress (staff), slowest first: three queries
    whatever the number of partners."""
    today = today or timezone.localdate()
    stalled_days = _stalled_days(stalled_days)
    if partners is None:
        partners = Partner.objects.filter(status=Partner.Status.ONBOARDING)
    partner_list = list(partners.select_related("tier", "channel_manager").order_by("name"))
    steps = onboarding_steps()
    done: dict[int, dict[int, datetime]] = defaultdict(dict)
    with scopes_disabled():
        for partner_id, step_id, completed_at in OnboardingCompletion.objects.filter(
            partner__in=[partner.pk for partner in partner_list]
        ).values_list("partner_id", "step_id", "completed_at"):
            done[partner_id][step_id] = completed_at
    rows = [
        _progress(partner, steps, done[partner.pk], today=today, stalled_days=stalled_days)
        for partner in partner_list
    ]
    rows.sort(key=lambda row: (row.percent, -row.days_since_progress, row.partner.name))
    return rows


def partners_stalled(
    *, today: date | None = None, stalled_days: int | None = None
) -> list[OnboardingProgress]:
    """Onboarding partners with no progress for `stalled_days` days or an overdue step,
    each with the reasons in words."""
    return [
        row for row in onboarding_overview(today=today, stalled_days=stalled_days) if row.stalled
    ]


def agreement_state(*, partner: Partner) -> str:
    """Where the partner stands with the agreement, in one query (every portal page
    asks): "none" (nothing published), "never" (never accepted any version: the portal
    is closed until an admin does), "outdated" (accepted an earlier version: a banner
    until an admin accepts the current one) or "current"."""
    today = timezone.localdate()
    with scopes_disabled():
        accepted = AgreementAcceptance.objects.filter(partner=partner)
        current = (
            ProgramAgreement.objects.filter(published_at__isnull=False, effective_date__lte=today)
            .order_by("-version")
            .annotate(
                accepted=Exists(accepted.filter(agreement=OuterRef("pk"))),
                accepted_any=Exists(accepted),
            )
            .values("accepted", "accepted_any")
            .first()
        )
    if current is None:
        return "none"
    if current["accepted"]:
        return "current"
    return "outdated" if current["accepted_any"] else "never"


def agreement_acceptances(*, partner: Partner) -> list[AgreementAcceptance]:
    """The partner's acceptances, newest first (the portal's agreement page)."""
    with scopes_disabled():
        return list(
            AgreementAcceptance.objects.filter(partner=partner).select_related("agreement", "user")
        )

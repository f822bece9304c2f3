"""Program agreements and the self-completing onboarding checklist.

Staff write agreement versions and publish them; a partner admin accepts the current
version for the partner. Checklist steps complete themselves: the service of each
action (profile, logo, agreement, invitation, download, launch, enablement track)
calls `onboarding_record`; only a custom step is confirmed by staff. When every
required step is done, the partner becomes active.
"""

from __future__ import annotations

from datetime import date

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from assets.models import Asset
from partners.models import (
    AgreementAcceptance,
    EnablementTrack,
    Membership,
    OnboardingCompletion,
    OnboardingStep,
    Partner,
    ProgramAgreement,
)
from partners.selectors.onboarding import agreement_current
from partners.services.core import partner_decide
from partners.services.languages import staff_language

Kind = OnboardingStep.Kind

# What "the company profile is complete" means: the fields a co-branded copy and the
# vendor's partner locator need.
PROFILE_FIELDS = ("display_name", "contact_email", "contact_phone", "contact_website", "address")

CONFIRM_PERMISSION = "partners.add_onboardingcompletion"


# --- Program agreements -------------------------------------------------------------


def partner_has_accepted_current(partner: Partner) -> bool:
    """Has the partner accepted the current agreement? True while there is none."""
    current = agreement_current()
    if current is None:
        return True
    with scopes_disabled():
        return AgreementAcceptance.objects.filter(agreement=current, partner=partner).exists()


def _agreement_clean(*, title: str, text: str, effective_date: date | None) -> tuple[str, str]:
    title, text = (title or "").strip(), (text or "").strip()
    errors = {}
    if not title:
        errors["title"] = _("Give the agreement a title.")
    if not text:
        errors["text"] = _("Write the text of the agreement.")
    if effective_date is None:
        errors["effective_date"] = _("Say from when the agreement applies.")
    if errors:
        raise ValidationError(errors)
    return title, text


@transaction.atomic
def agreement_create(
    *, actor: User, title: str, text: str, effective_date: date
) -> ProgramAgreement:
    """Write a new draft version of the agreement.

    Rules: title, text and effective date are required; the version number is one
    above every existing version (the table is locked while it is drawn, so two
    drafts never share a number). A draft is not shown to partners until published.
    """
    title, text = _agreement_clean(title=title, text=text, effective_date=effective_date)
    # Lock the latest version row so two staff drafting at once draw distinct numbers.
    list(ProgramAgreement.objects.select_for_update().order_by("-version")[:1])
    latest = ProgramAgreement.objects.aggregate(v=Max("version"))["v"] or 0
    return ProgramAgreement.objects.create(
        version=latest + 1,
        title=title,
        text=text,
        effective_date=effective_date,
        created_by=actor,
    )


@transaction.atomic
def agreement_update(
    *, agreement: ProgramAgreement, title: str, text: str, effective_date: date
) -> ProgramAgreement:
    """Change a draft. Rules: a published version is never edited (partners accepted
    that text); write a new version instead."""
    locked = ProgramAgreement.objects.select_for_update().get(pk=agreement.pk)
    if locked.published_at is not None:
        raise ValidationError(
            _("Version %(version)s is published and can no longer change: write a new version.")
            % {"version": locked.version}
        )
    locked.title, locked.text = _agreement_clean(
        title=title, text=text, effective_date=effective_date
    )
    locked.effective_date = effective_date
    locked.save(update_fields=["title", "text", "effective_date"])
    return locked


@transaction.atomic
def agreement_publish(*, agreement: ProgramAgreement, actor: User) -> ProgramAgreement:
    """Publish a draft: from its effective date it is the current agreement, and every
    partner must accept it (admins of partners that accepted an earlier version see a
    banner until they do).

    Rules: publishing twice changes nothing; only a version newer than every published
    one may be published (versions only move forward).
    """
    locked = ProgramAgreement.objects.select_for_update().get(pk=agreement.pk)
    if locked.published_at is not None:
        return locked
    newer = ProgramAgreement.objects.filter(
        published_at__isnull=False, version__gt=locked.version
    ).first()
    if newer is not None:
        raise ValidationError(
            _("Version %(newer)s is already published: version %(version)s cannot follow it.")
            % {"newer": newer.version, "version": locked.version}
        )
    locked.published_at = timezone.now()
    locked.save(update_fields=["published_at"])
    return locked


def agreement_accept(*, partner: Partner, user: User, ip: str | None) -> AgreementAcceptance:
    """A partner admin accepts the current agreement for the partner.

    Rules: only an admin of this partner accepts; there must be a current agreement;
    each version is accepted once per partner (accepting again returns the first
    acceptance: who, when, from which IP). The checklist's "accept the agreement" step
    completes in the same transaction.
    """
    with scopes_disabled():
        membership = Membership.objects.filter(user=user, partner=partner).first()
    if membership is None or membership.role != Membership.Role.ADMIN:
        raise ValidationError(_("Only a partner admin can accept the program agreement."))
    current = agreement_current()
    if current is None:
        raise ValidationError(_("There is no program agreement to accept."))
    with transaction.atomic(), scopes_disabled():
        acceptance, _created = AgreementAcceptance.objects.get_or_create(
            agreement=current,
            partner=partner,
            defaults={"user": user, "ip_address": ip or None},
        )
        onboarding_record(partner=partner, kind=Kind.ACCEPT_AGREEMENT, actor=user)
    return acceptance


# --- The checklist --------------------------------------------------------------------


def steps_for(partner: Partner) -> list[OnboardingStep]:
    """The active steps that apply to the partner: those of its tier and those for all."""
    return list(
        OnboardingStep.objects.filter(active=True)
        .filter(Q(tier__isnull=True) | Q(tier_id=partner.tier_id))
        .select_related("asset", "track", "tier")
    )


def profile_is_complete(partner: Partner) -> bool:
    """The company profile counts as complete when every field of PROFILE_FIELDS is filled."""
    return all((getattr(partner, name) or "").strip() for name in PROFILE_FIELDS)


def onboarding_record(
    *,
    partner: Partner,
    kind: str,
    actor: User | None = None,
    asset: Asset | None = None,
    track: EnablementTrack | None = None,
) -> None:
    """The system saw this happen: complete the partner's steps of this kind.

    Rules:
    - every active step of `kind` that applies to the partner (its tier, or all tiers)
      completes, for `download_asset` only the steps naming `asset`, for
      `complete_track` only those naming `track`; a custom step is never completed
      here (staff confirm it, `onboarding_confirm`);
    - a step completes once per partner (a unique constraint): calling twice, or
      after a partner already did it, records nothing new;
    - suspended or terminated partners record nothing;
    - then, if the partner is onboarding and every required step is done, it becomes
      active (`onboarding_activate_if_done`).
    Runs in its own (nested) transaction: call it directly inside the caller's, or
    from `transaction.on_commit`.
    """
    if kind not in Kind.values or kind == Kind.CUSTOM:
        raise ValueError(f"onboarding_record: unknown kind {kind!r}")
    if partner.status not in (Partner.Status.APPLICANT, Partner.Status.ONBOARDING):
        # Active partners have finished onboarding; inactive ones do nothing.
        return
    steps = OnboardingStep.objects.filter(active=True, kind=kind).filter(
        Q(tier__isnull=True) | Q(tier_id=partner.tier_id)
    )
    if kind == Kind.DOWNLOAD_ASSET:
        steps = steps.filter(asset=asset) if asset is not None else steps.none()
    if kind == Kind.COMPLETE_TRACK:
        steps = steps.filter(track=track) if track is not None else steps.none()
    step_ids = list(steps.values_list("pk", flat=True))
    if not step_ids:
        return
    user = actor if isinstance(actor, User) and actor.pk else None
    with transaction.atomic(), scopes_disabled():
        OnboardingCompletion.objects.bulk_create(
            [
                OnboardingCompletion(partner=partner, step_id=step_id, completed_by=user)
                for step_id in step_ids
            ],
            ignore_conflicts=True,
        )
        onboarding_activate_if_done(partner=partner)


def onboarding_profile_saved(*, partner: Partner, actor: User | None) -> None:
    """The co-branding profile was saved: record "upload the logo" when there is a logo
    and "complete the company profile" when every PROFILE_FIELDS field is filled."""
    with scopes_disabled():
        partner = Partner.objects.get(pk=partner.pk)
    if partner.logo:
        onboarding_record(partner=partner, kind=Kind.UPLOAD_LOGO, actor=actor)
    if profile_is_complete(partner):
        onboarding_record(partner=partner, kind=Kind.COMPANY_PROFILE, actor=actor)


@transaction.atomic
def onboarding_confirm(
    *, partner: Partner, step: OnboardingStep, actor: User
) -> OnboardingCompletion:
    """Staff confirm a custom step for a partner (a call held, a contract signed).

    Rules: only staff with the permission to confirm steps; only custom steps (the
    others complete themselves when the partner acts); the step must apply to the
    partner's tier; confirming twice keeps the first confirmation. Then the partner
    may become active (`onboarding_activate_if_done`).
    """
    if not (actor.is_staff and actor.has_perm(CONFIRM_PERMISSION)):
        raise ValidationError(_("Only staff who may confirm onboarding steps can do this."))
    if step.kind != Kind.CUSTOM:
        raise ValidationError(
            {"step": _("Only custom steps are confirmed by hand; the others complete themselves.")}
        )
    if step.tier_id is not None and step.tier_id != partner.tier_id:
        raise ValidationError({"step": _("This step is not part of this partner's tier.")})
    with scopes_disabled():
        completion, _created = OnboardingCompletion.objects.get_or_create(
            partner=partner,
            step=step,
            defaults={"completed_by": actor, "confirmed_by_staff": True},
        )
        onboarding_activate_if_done(partner=partner)
    return completion


def onboarding_activate_if_done(*, partner: Partner) -> bool:
    """Make an onboarding partner active once every required step that applies to it is
    done. Returns whether it was activated now.

    Rules: only from status onboarding; a checklist with no required step never
    activates anyone by itself (staff activate by hand); the partner row is locked, so
    two completions at once activate it once; the change goes through `partner_decide`
    (audit entry, partner admins emailed) and the channel manager is emailed after
    commit.
    """
    with transaction.atomic():
        locked = Partner.objects.select_for_update(of=("self",)).get(pk=partner.pk)
        if locked.status != Partner.Status.ONBOARDING:
            return False
        required = {step.pk for step in steps_for(locked) if step.required}
        if not required:
            return False
        with scopes_disabled():
            done = set(
                OnboardingCompletion.objects.filter(
                    partner=locked, step_id__in=required
                ).values_list("step_id", flat=True)
            )
        if required - done:
            return False
        # Often a partner admin's step that finishes it: the reason is the audit trail's.
        with staff_language():
            reason = _("Every required onboarding step is done.")
        partner_decide(partner=locked, actor=None, status=Partner.Status.ACTIVE, reason=reason)
        from partners.tasks import send_partner_activated_email

        transaction.on_commit(lambda: send_partner_activated_email.delay(locked.pk))
    partner.status = locked.status
    return True

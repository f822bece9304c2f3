"""Writes on partners, memberships and API keys. Every staff decision is audited here,
the audit entries worded in the staff's language whoever's request writes them
(`staff_language`), the errors in the actor's."""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from assets.models import Asset
from assets.validation import LOGO_KINDS, validate_upload
from campaigns.models import CampaignKit
from partners.models import (
    NPS_MAX,
    NPS_MIN,
    RATING_MAX,
    RATING_MIN,
    ContentRating,
    Membership,
    Partner,
    PartnerAPIKey,
    PartnerAuditEntry,
    Survey,
    SurveyAnswer,
    SurveyResponse,
    SurveyRound,
    SurveySend,
    Tier,
)
from partners.services.languages import staff_language

# Which status a partner may move to from each status. Terminated is final.
STATUS_TRANSITIONS: dict[str, set[str]] = {
    Partner.Status.APPLICANT: {Partner.Status.ONBOARDING, Partner.Status.TERMINATED},
    Partner.Status.ONBOARDING: {Partner.Status.ACTIVE, Partner.Status.TERMINATED},
    Partner.Status.ACTIVE: {Partner.Status.SUSPENDED, Partner.Status.TERMINATED},
    Partner.Status.SUSPENDED: {Partner.Status.ACTIVE, Partner.Status.TERMINATED},
    Partner.Status.TERMINATED: set(),
}
# Partners in these states keep their data but cannot use the portal or the API.
INACTIVE_STATUSES = frozenset({Partner.Status.SUSPENDED, Partner.Status.TERMINATED})

COBRANDING_FIELDS = (
    "display_name",
    "contact_phone",
    "contact_email",
    "contact_website",
    "address",
)

_UNSET: Any = object()


@dataclass(frozen=True)
class CreatedAPIKey:
    api_key: PartnerAPIKey
    raw_key: str  # shown once, never stored


def _user_label(user: User | None) -> str:
    if user is None:
        return ""
    full_name = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return f"{full_name} <{user.get_username()}>" if full_name else user.get_username()


@transaction.atomic
def partner_create(
    *,
    actor: User | None,
    name: str,
    slug: str,
    tier: Tier,
    partner_type: str,
    status: str = Partner.Status.APPLICANT,
    channel_manager: User | None = None,
    reason: str = "",
    **fields: Any,
) -> Partner:
    """Create a partner and record who created it, in the same transaction."""
    partner = Partner(
        name=name,
        slug=slug,
        tier=tier,
        partner_type=partner_type,
        status=status,
        channel_manager=channel_manager,
        **fields,
    )
    partner.full_clean()
    partner.save()
    with scopes_disabled(), staff_language():
        PartnerAuditEntry.objects.create(
            partner=partner,
            actor=actor,
            field=PartnerAuditEntry.Field.CREATED,
            new_value=f"{partner.get_status_display()}, {tier.name}",
            reason=reason,
        )
    return partner


def partner_decide(
    *,
    partner: Partner,
    actor: User | None,
    reason: str,
    status: str = _UNSET,
    tier: Tier = _UNSET,
    channel_manager: User | None = _UNSET,
) -> list[PartnerAuditEntry]:
    """Change a partner's status, tier and/or channel manager as one staff decision.

    Rules: a reason is required; status moves only along STATUS_TRANSITIONS
    (terminated is final); the channel manager must be a staff user. Each changed
    field writes one audit entry (who, when, old → new, why) in the same
    transaction as the change; partner admins are emailed after commit. Fields
    passed with their current value change nothing and record nothing.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why: the reason is kept in the audit trail.")})
    with transaction.atomic():
        locked = Partner.objects.select_for_update(of=("self",)).get(pk=partner.pk)
        changes: list[tuple[str, str, str]] = []
        update_fields: list[str] = []
        if status is not _UNSET and status != locked.status:
            if status not in Partner.Status.values:
                raise ValidationError({"status": _("Unknown status.")})
            if status not in STATUS_TRANSITIONS[locked.status]:
                raise ValidationError(
                    {
                        "status": _("A partner cannot move from %(old)s to %(new)s.")
                        % {
                            "old": locked.get_status_display(),
                            "new": Partner.Status(status).label,
                        }
                    }
                )
            with staff_language():
                was, becomes = locked.get_status_display(), str(Partner.Status(status).label)
            changes.append((PartnerAuditEntry.Field.STATUS, was, becomes))
            locked.status = status
            update_fields.append("status")
        if tier is not _UNSET and tier.pk != locked.tier_id:
            changes.append((PartnerAuditEntry.Field.TIER, locked.tier.name, tier.name))
            locked.tier = tier
            update_fields.append("tier")
        if channel_manager is not _UNSET and (
            (channel_manager.pk if channel_manager else None) != locked.channel_manager_id
        ):
            if channel_manager is not None and not channel_manager.is_staff:
                raise ValidationError(
                    {"channel_manager": _("The channel manager must be a staff user.")}
                )
            changes.append(
                (
                    PartnerAuditEntry.Field.CHANNEL_MANAGER,
                    _user_label(locked.channel_manager),
                    _user_label(channel_manager),
                )
            )
            locked.channel_manager = channel_manager
            update_fields.append("channel_manager")
        if not changes:
            return []
        locked.save(update_fields=[*update_fields, "updated_at"])
        with scopes_disabled():
            entries = [
                PartnerAuditEntry.objects.create(
                    partner=locked,
                    actor=actor,
                    field=field,
                    old_value=old[:200],
                    new_value=new[:200],
                    reason=reason,
                )
                for field, old, new in changes
            ]
        notify = [e.pk for e in entries if e.field != PartnerAuditEntry.Field.CHANNEL_MANAGER]
        if notify:
            from partners.tasks import send_partner_decision_email

            transaction.on_commit(lambda: send_partner_decision_email.delay(notify))
    for name in update_fields:
        setattr(partner, name, getattr(locked, name))
    return entries


def partner_update_cobranding(
    *,
    partner: Partner,
    actor: User | None,
    logo: UploadedFile | None = None,
    remove_logo: bool = False,
    **fields: str,
) -> Partner:
    """Update the co-branding profile (logo and contact block).

    The logo passes the one upload validator (PNG, JPEG or WEBP detected from the
    content, bounded size and pixel count). Every effective change bumps
    `cobranding_revision`, which invalidates cached co-branded copies.
    """
    unknown = set(fields) - set(COBRANDING_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in unknown})
    validated = None
    if logo is not None:
        validated = validate_upload(
            logo,
            field="logo",
            allowed=LOGO_KINDS,
            max_bytes=settings.LOGO_MAX_BYTES,
            max_pixels=settings.LOGO_MAX_PIXELS,
        )
    with transaction.atomic():
        locked = Partner.objects.select_for_update(of=("self",)).get(pk=partner.pk)
        changed: list[str] = []
        for name, value in fields.items():
            value = (value or "").strip()
            if getattr(locked, name) != value:
                setattr(locked, name, value)
                changed.append(name)
        old_logo_name = locked.logo.name if locked.logo else ""
        if validated is not None and logo is not None:
            locked.logo.save(validated.safe_name, logo, save=False)
            changed.append("logo")
        elif remove_logo and old_logo_name:
            locked.logo = ""
            changed.append("logo")
        # Saving a finished profile (again) completes the checklist's profile and logo steps.
        from partners.services.onboarding import onboarding_profile_saved

        transaction.on_commit(lambda: onboarding_profile_saved(partner=locked, actor=actor))
        if not changed:
            return locked
        locked.full_clean(exclude=["tier", "channel_manager", "slug", "name", "partner_type"])
        locked.cobranding_revision += 1
        locked.save(update_fields=[*changed, "cobranding_revision", "updated_at"])
        if "logo" in changed and old_logo_name:
            storage = locked.logo.storage
            transaction.on_commit(lambda: storage.delete(old_logo_name))
    return locked


def membership_check(*, partner: Partner | None, user: User) -> None:
    """May this user join this partner (None: a partner not saved yet)? A user belongs
    to at most one partner; staff to none. Raises ValidationError on `user`; forms call
    it to show the error before anything is saved."""
    if user.is_staff:
        raise ValidationError({"user": _("Staff users cannot belong to a partner.")})
    with scopes_disabled():
        others = Membership.objects.filter(user=user)
        if partner is not None:
            others = others.exclude(partner=partner)
        existing = others.select_related("partner").first()
    if existing is not None:
        raise ValidationError(
            {"user": _("This user already belongs to %(partner)s.") % {"partner": existing.partner}}
        )


def _member_label(membership: Membership, role: str) -> str:
    """A member and a role as the audit trail words them, in the staff's language."""
    with staff_language():
        return f"{_user_label(membership.user)}: {Membership.Role(role).label}"[:200]


def _membership_audit(
    membership: Membership, actor: User | None, old: str, new: str, reason: str
) -> PartnerAuditEntry:
    with scopes_disabled():
        return PartnerAuditEntry.objects.create(
            partner_id=membership.partner_id,
            actor=actor,
            field=PartnerAuditEntry.Field.MEMBERSHIP,
            old_value=old,
            new_value=new,
            reason=(reason or "").strip(),
        )


@transaction.atomic
def membership_create(
    *, partner: Partner, user: User, role: str, actor: User | None = None, reason: str = ""
) -> Membership:
    """Attach a user to a partner (`membership_check`: one partner per user, no staff).

    When staff attach someone (`actor`), the audit trail records who, when and which
    role, in the same transaction; joins that are not a staff decision (an accepted
    invitation, the demo seeder) pass no actor.
    """
    if role not in Membership.Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    membership_check(partner=partner, user=user)
    with scopes_disabled():
        if Membership.objects.filter(user=user).exists():
            raise ValidationError({"user": _("This user already belongs to this partner.")})
        membership = Membership.objects.create(partner=partner, user=user, role=role)
    if actor is not None:
        _membership_audit(membership, actor, "", _member_label(membership, role), reason)
    return membership


def membership_change_role(
    *, membership: Membership, role: str, actor: User | None, reason: str = ""
) -> Membership:
    """Give a partner's user another role (partner admin, marketer, sales rep).

    Rules: the role is one of `Membership.Role`; the row is locked while it changes;
    an actual change writes one audit entry (who, when, old role → new role, why) in
    the same transaction. The same role again changes and records nothing.
    """
    if role not in Membership.Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    with transaction.atomic(), scopes_disabled():
        locked = (
            Membership.objects.select_for_update(of=("self",))
            .select_related("user")
            .get(pk=membership.pk)
        )
        old_role = locked.role
        if old_role == role:
            return locked
        locked.role = role
        locked.save(update_fields=["role"])
        _membership_audit(
            locked, actor, _member_label(locked, old_role), _member_label(locked, role), reason
        )
    membership.role = role
    return locked


def membership_remove(*, membership: Membership, actor: User | None, reason: str = "") -> None:
    """Take a user out of its partner: from the next request it sees nothing of the
    partner (the portal and API resolve the partner from the membership). The user
    account stays. One audit entry (who, when, the user and the role they had, why)
    is written in the same transaction as the removal.
    """
    with transaction.atomic(), scopes_disabled():
        locked = (
            Membership.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(pk=membership.pk)
            .first()
        )
        if locked is None:
            return
        _membership_audit(locked, actor, _member_label(locked, locked.role), "", reason)
        locked.delete()


API_KEY_USERNAME_PREFIX = "api-key:"  # ":" is refused in usernames people choose


def api_key_label(*, name: str, created_by: User | None) -> str:
    """How trails name a key's user: "API key ‘CRM sync’, created by Ann Admin"."""
    if created_by is None:
        creator = _("the operator (command line)")
    else:
        creator = created_by.get_full_name() or created_by.get_username()
    return (_("API key ‘%(name)s’, created by %(creator)s") % {"name": name, "creator": creator})[
        :150
    ]


@transaction.atomic
def api_key_create(
    *,
    name: str,
    partner: Partner | None,
    created_by: User | None,
    role: str | None = None,
    by_operator: bool = False,
) -> CreatedAPIKey:
    """Create an API key and return the raw key once; only its hash is stored.

    Rules:
    - with a partner the key acts only within it, with a partner role (`role`; by
      default partner admin, what a key could always do); without, it is a staff
      integration key, which only staff (or the operator at the command line) may
      create, and which has no partner role;
    - the key acts as its own user, made here in the same transaction (zulip's bot
      users): named `api_key_label`, inactive and without a usable password (so it
      can never log in to the portal or the admin), never one of the partner's
      people; a membership with the key's role, or staff status for a staff key. Every
      trail the key leaves names that user, never whoever created the key.
    """
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the key a name, e.g. the system that uses it.")})
    if len(name) > 50:
        raise ValidationError({"name": _("The name is at most 50 characters.")})
    if partner is None and not by_operator and not (created_by is not None and created_by.is_staff):
        raise ValidationError({"partner": _("Only staff can create staff integration keys.")})
    if partner is None and role:
        raise ValidationError({"role": _("A staff key acts across partners: it has no role.")})
    member_role: str = role or Membership.Role.ADMIN
    if partner is not None and member_role not in Membership.Role.values:
        raise ValidationError(
            {
                "role": _("Unknown role; choose one of: %(roles)s.")
                % {"roles": ", ".join(Membership.Role.values)}
            }
        )
    api_key = PartnerAPIKey(name=name, partner=partner, created_by=created_by)
    raw_key = PartnerAPIKey.objects.assign_key(api_key)
    user = User(
        username=f"{API_KEY_USERNAME_PREFIX}{api_key.prefix}",
        first_name=api_key_label(name=name, created_by=created_by),
        is_active=False,
        is_staff=partner is None,
    )
    user.set_unusable_password()
    user.save()
    api_key.user = user
    with scopes_disabled():
        api_key.save()
        if partner is not None:
            Membership.objects.create(partner=partner, user=user, role=member_role)
    return CreatedAPIKey(api_key=api_key, raw_key=raw_key)


@transaction.atomic
def api_key_revoke(*, api_key: PartnerAPIKey, actor: User | None) -> PartnerAPIKey:
    """Revoke a key for good; a revoked key is rejected at once and cannot be restored."""
    with scopes_disabled():
        locked = PartnerAPIKey.objects.select_for_update(of=("self",)).get(pk=api_key.pk)
        if locked.revoked:
            return locked
        locked.revoked = True
        locked.revoked_at = timezone.now()
        locked.revoked_by = actor
        locked.save(update_fields=["revoked", "revoked_at", "revoked_by"])
    return locked


# --- The voice of the partner: content ratings and NPS surveys ------------------------

# Who is asked the partner survey and may answer it: the people who run the program
# on the partner's side (sales reps are not asked).
SURVEY_ROLES = frozenset({Membership.Role.ADMIN, Membership.Role.MARKETER})


def _whole_number(value: Any, *, field: str, low: int, high: int) -> int:
    """A whole number from `low` to `high`, or a ValidationError naming the field
    (forms and serializers check first; this is the rule for every entry point)."""
    message = _("Choose a whole number from %(low)d to %(high)d.") % {"low": low, "high": high}
    if isinstance(value, bool):
        raise ValidationError({field: message})
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationError({field: message}) from None
    if not low <= number <= high:
        raise ValidationError({field: message})
    return number


def rating_save(
    *,
    actor: User,
    partner: Partner,
    rating: Any,
    comment: str = "",
    asset: Asset | None = None,
    kit: CampaignKit | None = None,
) -> tuple[ContentRating, bool]:
    """Rate a library asset or a campaign kit for `partner`; rating it again changes
    the one rating (returns it, and whether it was created).

    Rules:
    - exactly one item, and one the partner may see (`available_to(partner)`): any
      other answers on the item's field as one that does not exist;
    - the rating is a whole number from 1 to 5; the comment at most 2,000 characters;
    - the actor rates for its own partner (a partner user or key); a staff
      integration key's user names the partner it rates for;
    - one rating per user and item: the row is locked and updated, so two quick
      submits leave one rating; who rated and when stay on the row.
    """
    if (asset is None) == (kit is None):
        raise ValidationError(_("Rate one asset or one campaign kit."))
    value = _whole_number(rating, field="rating", low=RATING_MIN, high=RATING_MAX)
    comment = (comment or "").strip()
    if len(comment) > 2000:
        raise ValidationError({"comment": _("The comment is at most 2,000 characters.")})
    membership = getattr(actor, "membership", None)
    if not actor.is_staff and (membership is None or membership.partner_id != partner.pk):
        raise ValidationError({"partner": _("You rate content for your own company only.")})
    item: Asset | CampaignKit
    if asset is not None:
        field, item = "asset", asset
        visible = Asset.objects.available_to(partner).filter(pk=asset.pk).exists()
    else:
        assert kit is not None
        field, item = "kit", kit
        visible = CampaignKit.objects.available_to(partner).filter(pk=kit.pk).exists()
    if not visible:
        raise ValidationError({field: _("This item does not exist.")})
    with transaction.atomic(), scopes_disabled():
        # The user's rating of this item, whichever partner's scope it was made in.
        mine = ContentRating.objects.select_for_update(of=("self",)).filter(
            user=actor, **{field: item}
        )
        existing = mine.first()
        if existing is None:
            try:
                with transaction.atomic():
                    created = ContentRating.objects.create(
                        partner=partner,
                        user=actor,
                        rating=value,
                        comment=comment,
                        **{field: item},
                    )
                return created, True
            except IntegrityError:
                # A second submit got there first: update that rating instead.
                existing = mine.get()
        if existing.partner_id != partner.pk:
            raise ValidationError({"partner": _("This rating was made for another partner.")})
        existing.rating = value
        existing.comment = comment
        existing.save(update_fields=["rating", "comment", "updated_at"])
        return existing, False


def survey_round_is_open(survey_round: SurveyRound, today: date | None = None) -> bool:
    today = today or timezone.localdate()
    return survey_round.opens_on <= today <= survey_round.closes_on


def survey_response_submit(
    *,
    survey_round: SurveyRound,
    actor: User,
    score: Any,
    answers: dict[int, str] | None = None,
    today: date | None = None,
) -> SurveyResponse:
    """Answer a survey round: the NPS score and the free-text answers, all or nothing.

    Rules:
    - the round is open today (from its opening to its closing day);
    - the actor is a partner admin or marketer of an active partner (whom the survey
      asks);
    - the score is a whole number from 0 to 10; answers belong to the survey's own
      questions, at most 4,000 characters each, and may be left empty;
    - one answer per user and round: a second is refused (the database's unique
      constraint decides between two at once) and changes nothing.
    """
    if not survey_round_is_open(survey_round, today):
        raise ValidationError(_("This survey round is closed."))
    membership = getattr(actor, "membership", None)
    if membership is None or membership.role not in SURVEY_ROLES:
        raise ValidationError(_("This survey asks partner admins and marketers."))
    partner = membership.partner
    if partner.status in INACTIVE_STATUSES:
        raise ValidationError(_("Your partner account is not active."))
    value = _whole_number(score, field="score", low=NPS_MIN, high=NPS_MAX)
    questions = {q.pk: q for q in survey_round.survey.questions.all()}
    texts: dict[int, str] = {}
    for question_id, text in (answers or {}).items():
        if question_id not in questions:
            raise ValidationError(_("That question is not part of this survey."))
        text = (text or "").strip()
        if len(text) > 4000:
            raise ValidationError({f"q_{question_id}": _("An answer is at most 4,000 characters.")})
        if text:
            texts[question_id] = text
    already = _("You have already answered this survey round; thank you.")
    with scopes_disabled():
        if SurveyResponse.objects.filter(round=survey_round, user=actor).exists():
            raise ValidationError(already, code="answered")
        try:
            with transaction.atomic():
                response = SurveyResponse.objects.create(
                    round=survey_round, partner=partner, user=actor, tier=partner.tier, score=value
                )
                SurveyAnswer.objects.bulk_create(
                    SurveyAnswer(
                        response=response, partner=partner, question=questions[qid], text=text
                    )
                    for qid, text in texts.items()
                )
        except IntegrityError:
            raise ValidationError(already, code="answered") from None
    return response


# A date, or a datetime (kept as one).
DayOrMoment = TypeVar("DayOrMoment", bound=date)


def add_months(day: DayOrMoment, months: int) -> DayOrMoment:
    """The same day (and time, for a datetime) `months` later, or the month's last day
    if it is shorter (31 January + 1 month = 28 or 29 February)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, monthrange(year, month)[1]))


def survey_recipients() -> list[tuple[int, int, str]]:
    """(partner id, user id, email) of everyone a survey asks: the active people (not
    API keys' users) in SURVEY_ROLES of active partners, with an email address."""
    with scopes_disabled():
        return list(
            Membership.objects.filter(
                partner__status=Partner.Status.ACTIVE,
                role__in=SURVEY_ROLES,
                user__is_active=True,
                user__api_key__isnull=True,
            )
            .exclude(user__email="")
            .order_by("partner_id", "user_id")
            .values_list("partner_id", "user_id", "user__email")
        )


def _enqueue_survey_emails(round_id: int) -> None:
    from partners.tasks import send_survey_emails

    transaction.on_commit(lambda: send_survey_emails.delay(round_id))


def survey_rounds_open_due(*, today: date | None = None) -> list[SurveyRound]:
    """Open a round of every survey whose next send date has come, and queue its
    invitations.

    Rules: a round opens once per due date: the survey row is locked and its next send
    date moved on (by its interval, past today) in the same transaction as the round
    and its invitation rows, so a second run, or two at once, opens nothing more. The
    invitations (who is emailed) are recorded with the round; the emails go after
    commit and record when they went.
    """
    today = today or timezone.localdate()
    opened = []
    due = Survey.objects.filter(is_active=True, next_send_on__lte=today)
    for survey_id in due.values_list("pk", flat=True):
        with transaction.atomic():
            survey = (
                Survey.objects.select_for_update(of=("self",))
                .filter(pk=survey_id, is_active=True, next_send_on__lte=today)
                .first()
            )
            if survey is None:
                continue  # another run opened it
            last = survey.rounds.order_by("-number").values_list("number", flat=True).first()
            survey_round = SurveyRound.objects.create(
                survey=survey,
                number=(last or 0) + 1,
                opens_on=today,
                closes_on=today + timedelta(days=survey.open_days - 1),
            )
            next_send = survey.next_send_on
            while next_send is not None and next_send <= today:
                next_send = add_months(next_send, survey.interval_months)
            survey.next_send_on = next_send
            survey.save(update_fields=["next_send_on"])
            with scopes_disabled():
                SurveySend.objects.bulk_create(
                    SurveySend(
                        round=survey_round,
                        partner_id=partner_id,
                        user_id=user_id,
                        email=email,
                        kind=SurveySend.Kind.INVITATION,
                    )
                    for partner_id, user_id, email in survey_recipients()
                )
            _enqueue_survey_emails(survey_round.pk)
            opened.append(survey_round)
    return opened


def survey_reminders_due(*, today: date | None = None) -> list[SurveyRound]:
    """Queue the reminder of every open round whose reminder day has come.

    Rules: a round is reminded once (`reminded_at`, set by a guarded update: only the
    run that sets it queues anything); the reminder goes to those invited who have not
    answered, and only while the round is open.
    """
    today = today or timezone.localdate()
    reminded = []
    candidates = SurveyRound.objects.filter(
        reminded_at__isnull=True,
        opens_on__lte=today,
        closes_on__gte=today,
        survey__reminder_days__gt=0,
    ).select_related("survey")
    for survey_round in candidates:
        if survey_round.closes_on - timedelta(days=survey_round.survey.reminder_days) > today:
            continue
        with transaction.atomic(), scopes_disabled():
            claimed = SurveyRound.objects.filter(
                pk=survey_round.pk, reminded_at__isnull=True
            ).update(reminded_at=timezone.now())
            if not claimed:
                continue
            answered = SurveyResponse.objects.filter(round=survey_round).values("user_id")
            invited = SurveySend.objects.filter(
                round=survey_round, kind=SurveySend.Kind.INVITATION
            ).exclude(user_id__in=answered)
            SurveySend.objects.bulk_create(
                SurveySend(
                    round=survey_round,
                    partner_id=send.partner_id,
                    user_id=send.user_id,
                    email=send.email,
                    kind=SurveySend.Kind.REMINDER,
                )
                for send in invited
            )
            _enqueue_survey_emails(survey_round.pk)
            reminded.append(survey_round)
    return reminded


def surveys_run(*, today: date | None = None) -> dict[str, int]:
    """The daily survey job: open the rounds that are due, queue the reminders that
    are due, and send whatever survey email is still unsent (after a crashed send)."""
    from partners import notifications

    opened = survey_rounds_open_due(today=today)
    reminded = survey_reminders_due(today=today)
    sent = notifications.send_pending_survey_emails()
    return {"opened": len(opened), "reminded": len(reminded), "sent": sent}

"""Lead distribution: leads received, offered to one partner at a time (by hand or by
the routing rules' weighted round robin), answered within the SLA, worked and
converted into deal registrations (docs/deals.md, "Lead distribution").

Who does what:
- staff (or a staff API key) create leads, offer them by hand, route them by the
  rules and withdraw them;
- the partner's admins and sales reps (`LEAD_ROLES`) accept, decline, work and convert
  the leads offered to their company; its marketers read them;
- the SLA job (`leads_reroute_overdue`, Celery beat) expires unanswered offers and
  routes the lead on; a decline routes it on at once.

Locks, always in this order: the lead row, then its offer, then the routing rule. The
lead row serialises everything that happens to one lead (accept against the SLA job,
accept against a decline, two staff routings); the rule row serialises the round robin
of every lead the rule routes, so two routings never read the same counters.

What an answer after `due_at` does: the offer stays the partner's until the SLA job
has expired it. An accept (or decline) that arrives after `due_at` but before the job
ran is taken: no other partner has been offered the lead yet, and the job and the
answer queue on the lead row, so exactly one of them wins. Once the job has expired
the offer, the answer gets "This lead is no longer offered to you.", the same words
whoever holds the lead now.

Times come from `mdf.clock` (as the registration services'), so the demo can date a
lead's history in the past. Every change writes a `LeadRoutingEntry` in its
transaction. Emails go after commit, by tasks that take ids (`deals.tasks`,
`deals.lead_notifications`). Bad input raises a `ValidationError` keyed by the field;
a change from the wrong state a `ValidationError({"status": ...})`; a refused actor
`PermissionDenied`. Nothing is stored when one is raised.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import partial
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scope, scopes_disabled

from analytics.models import EventKind, ResultEvent
from deals.models import (
    Deal,
    DealProgram,
    Lead,
    LeadOffer,
    LeadRoutingEntry,
    RoutingCounter,
    RoutingRule,
    TierLeadWeight,
)
from deals.services.deal_input import DealInput, normalise_domain
from deals.services.registration import deal_register, is_staff_key
from mdf import clock
from mdf.money import CENT, MAX_AMOUNT, known_currency
from partners.models import Membership, Partner, Region, Specialisation
from partners.selectors import is_country

__all__ = [
    "LEAD_ROLES",
    "LeadInput",
    "business_deadline",
    "can_answer_leads",
    "lead_accept",
    "lead_convert",
    "lead_create",
    "lead_decline",
    "lead_offer_to",
    "lead_route",
    "lead_withdraw",
    "lead_work",
    "leads_reroute_overdue",
    "routing_candidates",
]

LS = Lead.Status
OS = LeadOffer.Status
Action = LeadRoutingEntry.Action
# The partner roles that answer and work the leads offered to their company.
LEAD_ROLES = (Membership.Role.ADMIN, Membership.Role.SALES)
# The source of the result events deals/ writes (analytics.ingest keeps it for us).
RESULT_SOURCE = "deals"
MAX_NOTE = 2000


def _no_longer_offered() -> ValidationError:
    # The same words whoever holds the lead now, and whatever ended the offer.
    return ValidationError({"status": _("This lead is no longer offered to you.")})


# --- input ------------------------------------------------------------------------------


@dataclass
class LeadInput:
    """A lead as staff or an integration send it. `region` is a Region or its code,
    `specialisation` a Specialisation or its slug; empty means none."""

    company: str
    domain: str = ""
    country: str = ""
    region: Region | str | None = None
    specialisation: Specialisation | str | None = None
    contact_name: str = ""
    contact_email: str = ""
    contact_phone: str = ""
    description: str = ""
    amount: Decimal | str | None = None
    currency: str = ""


def _text(value: object, field: str, *, limit: int, required: bool = False) -> str:
    text = str(value or "").replace("\x00", "").strip()
    if required and not text:
        raise ValidationError({field: _("This field is required.")})
    if len(text) > limit:
        raise ValidationError({field: _("At most %(limit)s characters.") % {"limit": f"{limit:,}"}})
    return text


def _domain(value: object) -> str:
    """The customer's web domain, normalised as a registration's (`normalise_domain`),
    so a converted lead and its deal name the customer alike; empty stays empty."""
    text = str(value or "").strip()
    return normalise_domain(text) if text else ""


def _country(value: object) -> str:
    code = str(value or "").strip().upper()
    if code and not is_country(code):
        raise ValidationError(
            {"country": _("Give the country as its two-letter ISO 3166 code, like DE or US.")}
        )
    return code


def _amount(value: object) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    message = _("Enter an amount like 1500 or 1250.50.")
    if isinstance(value, bool | float):
        raise ValidationError({"amount": message})
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({"amount": message}) from None
    if not amount.is_finite():
        raise ValidationError({"amount": message})
    if amount < 0:
        raise ValidationError({"amount": _("The amount cannot be negative.")})
    if amount > MAX_AMOUNT:
        raise ValidationError({"amount": _("The amount is at most %(max)s.") % {"max": MAX_AMOUNT}})
    if amount != amount.quantize(CENT):
        raise ValidationError({"amount": _("Use at most two decimals.")})
    return amount.quantize(CENT)


def _region(value: Region | str | None) -> Region | None:
    if value is None or value == "":
        return None
    if isinstance(value, Region):
        return value
    region = Region.objects.filter(code__iexact=str(value).strip()).first()
    if region is None:
        raise ValidationError({"region": _("Unknown region code.")})
    return region


def _specialisation(value: Specialisation | str | None) -> Specialisation | None:
    if value is None or value == "":
        return None
    if isinstance(value, Specialisation):
        return value
    found = Specialisation.objects.filter(slug__iexact=str(value).strip()).first()
    if found is None:
        raise ValidationError({"specialisation": _("Unknown specialisation.")})
    return found


def _clean_lead(data: LeadInput) -> dict[str, Any]:
    """The lead's fields, checked; every field's error at once."""
    errors: dict[str, Any] = {}
    cleaned: dict[str, Any] = {}
    checks: list[tuple[str, Any]] = [
        ("company", lambda: _text(data.company, "company", limit=200, required=True)),
        ("domain", lambda: _domain(data.domain)),
        ("country", lambda: _country(data.country)),
        ("region", lambda: _region(data.region)),
        ("specialisation", lambda: _specialisation(data.specialisation)),
        ("contact_name", lambda: _text(data.contact_name, "contact_name", limit=120)),
        ("contact_email", lambda: _text(data.contact_email, "contact_email", limit=254)),
        ("contact_phone", lambda: _text(data.contact_phone, "contact_phone", limit=40)),
        ("description", lambda: _text(data.description, "description", limit=MAX_NOTE * 5)),
        ("amount", lambda: _amount(data.amount)),
    ]
    for name, check in checks:
        try:
            cleaned[name] = check()
        except ValidationError as exc:
            exc.update_error_dict(errors)
    if cleaned.get("contact_email"):
        try:
            validate_email(cleaned["contact_email"])
        except ValidationError:
            errors["contact_email"] = _("Enter a valid email address.")
    currency = str(data.currency or "").strip()
    if currency:
        try:
            cleaned["currency"] = known_currency(currency)
        except ValueError:
            errors["currency"] = _("Give a three-letter ISO 4217 currency code, like EUR or USD.")
    else:
        cleaned["currency"] = ""
    if cleaned.get("amount") is not None and not currency and "currency" not in errors:
        errors["currency"] = _("Give the currency of the amount (like EUR).")
    if currency and "amount" not in errors and cleaned.get("amount") is None:
        errors["amount"] = _("Give the amount in this currency, or leave the currency empty.")
    if errors:
        raise ValidationError(errors)
    return cleaned


# --- who may ----------------------------------------------------------------------------


def can_answer_leads(user: User | AnonymousUser, partner_id: int) -> bool:
    """An admin or sales rep of this partner (a person or its API key's own user)."""
    if not user.is_authenticated or user.is_staff:
        return False
    with scopes_disabled():  # the user's own membership: resolving who asks
        membership = Membership.objects.filter(user=user).first()
    return (
        membership is not None
        and membership.partner_id == partner_id
        and membership.role in LEAD_ROLES
    )


def _require_partner_user(user: User | AnonymousUser, partner_id: int) -> None:
    if not can_answer_leads(user, partner_id):
        raise PermissionDenied(_("Only the partner's admins and sales reps answer its leads."))


def _require_staff(
    actor: User | AnonymousUser | None, permission: str = "deals.change_lead"
) -> None:
    """Staff who hold `permission` (channel managers, marketing admins), or a staff
    integration key (the vendor's CRM: its own user is staff, holds no role, and is
    inactive because it never logs in). An analyst or a finance approver is refused."""
    if actor is None or not actor.is_authenticated or not actor.is_staff:
        raise PermissionDenied(_("Only staff hand out leads."))
    if not (is_staff_key(actor) or (actor.is_active and actor.has_perm(permission))):
        raise PermissionDenied(_("Only staff hand out leads."))


# --- time -------------------------------------------------------------------------------


def business_deadline(start: datetime, business_days: int) -> datetime:
    """The moment `business_days` business days (Monday to Friday, in
    settings.TIME_ZONE) after `start`: the same time of day on the Nth business day
    after it. A start on a Saturday or Sunday counts from the Monday at midnight.
    Public holidays are not known: they count as business days.

    Friday 15:00 + 2 → Tuesday 15:00; Saturday 10:00 + 2 → Wednesday 00:00.
    """
    if business_days < 0:
        raise ValueError("business_days must be 0 or more")
    zone = timezone.get_default_timezone()
    local = timezone.localtime(start, zone)
    day, at = local.date(), local.time().replace(tzinfo=None)
    if day.weekday() >= 5:
        while day.weekday() >= 5:
            day += timedelta(days=1)
        at = time(0)
    remaining = business_days
    while remaining:
        day += timedelta(days=1)
        if day.weekday() < 5:
            remaining -= 1
    # The wall-clock time in the zone (zoneinfo picks the offset of that day).
    return datetime.combine(day, at, tzinfo=zone)


# --- building blocks --------------------------------------------------------------------


def _lock_lead(lead_id: int, *, skip_locked: bool = False) -> Lead | None:
    return (
        Lead.objects.select_for_update(of=("self",), skip_locked=skip_locked)
        .filter(pk=lead_id)
        .first()
    )


def _lock_offer(offer_id: int, partner_id: int) -> LeadOffer:
    with scope(partner=partner_id):
        return LeadOffer.objects.select_for_update(of=("self",)).get(pk=offer_id)


def _entry(
    lead: Lead,
    action: str,
    *,
    at: datetime,
    actor: User | None = None,
    partner_id: int | None = None,
    rule: RoutingRule | None = None,
    detail: str = "",
) -> LeadRoutingEntry:
    return LeadRoutingEntry.objects.create(
        lead=lead,
        at=at,
        action=action,
        partner_id=partner_id,
        rule=rule,
        actor=actor if actor is not None and actor.is_authenticated else None,
        detail=detail[:MAX_NOTE],
    )


def _after_commit(task_name: str, *args: int) -> None:
    from deals import tasks  # the tasks call these services: import when used

    transaction.on_commit(partial(getattr(tasks, task_name).delay, *args))


def _enqueue_rollup() -> None:
    """Roll the accepted lead up now rather than at the next beat (as analytics.ingest
    does). `robust` on_commit: a broker that is down only delays the figures."""
    from analytics.tasks import rollup_metrics

    rollup_metrics.delay()


def _offer(
    lead: Lead, partner: Partner, *, now: datetime, actor: User | None, rule: RoutingRule | None
) -> LeadOffer:
    """Offer the locked lead to the partner: the offer, the lead's state, the entry and
    the partner's email after commit."""
    program = DealProgram.current()
    due_at = business_deadline(now, program.lead_sla_business_days)
    with scope(partner=partner.pk):
        offer = LeadOffer.objects.create(
            lead=lead, partner=partner, rule=rule, offered_at=now, due_at=due_at
        )
    lead.status = LS.OFFERED
    lead.current_offer = offer
    lead.save(update_fields=["status", "current_offer"])
    detail = (
        _("By the rule “%(rule)s”.") % {"rule": rule.name} if rule is not None else _("By hand.")
    )
    _entry(
        lead, Action.OFFERED, at=now, actor=actor, partner_id=partner.pk, rule=rule, detail=detail
    )
    _after_commit("send_lead_offer_email", offer.pk)
    return offer


def _return_to_staff(
    lead: Lead, *, now: datetime, actor: User | None, rule: RoutingRule | None, detail: str
) -> None:
    lead.status = LS.RETURNED
    lead.current_offer = None
    lead.save(update_fields=["status", "current_offer"])
    entry = _entry(lead, Action.RETURNED, at=now, actor=actor, rule=rule, detail=detail)
    if actor is None:
        # Routed back by the system (a decline, a lapse): staff must hear of it. A
        # staff member who routed it by hand sees the answer on the page.
        _after_commit("send_lead_returned_email", lead.pk, entry.pk)


def _matches(rule: RoutingRule, lead: Lead) -> bool:
    regions = {region.pk for region in rule.regions.all()}
    specialisations = {spec.pk for spec in rule.specialisations.all()}
    return (not regions or lead.region_id in regions) and (
        not specialisations or lead.specialisation_id in specialisations
    )


def _matching_rule(lead: Lead) -> RoutingRule | None:
    """The first active rule, by position, whose conditions the lead meets."""
    rules = (
        RoutingRule.objects.filter(active=True)
        .prefetch_related("regions", "specialisations")
        .order_by("position", "id")
    )
    return next((rule for rule in rules if _matches(rule, lead)), None)


def routing_candidates(*, lead: Lead, rule: RoutingRule) -> list[Partner]:
    """The partners the rule may offer the lead to, by id: active; covering the lead's
    region and holding its specialisation (when the lead has them); of the rule's
    partner types and tiers (when it names some); never offered this lead before (a
    partner that declined it or let it lapse is never offered it again)."""
    partners = Partner.objects.filter(status=Partner.Status.ACTIVE)
    if lead.region_id is not None:
        partners = partners.filter(regions=lead.region_id)
    if lead.specialisation_id is not None:
        partners = partners.filter(specialisations=lead.specialisation_id)
    if rule.partner_types:
        partners = partners.filter(partner_type__in=list(rule.partner_types))
    tier_ids = list(rule.tiers.values_list("pk", flat=True))
    if tier_ids:
        partners = partners.filter(tier_id__in=tier_ids)
    with scopes_disabled():  # the lead's offers across partners: staff-side routing
        offered = LeadOffer.objects.filter(lead_id=lead.pk).values("partner_id")
        return list(partners.exclude(pk__in=offered).distinct().order_by("pk"))


def _next_partner(rule: RoutingRule, candidates: list[Partner]) -> Partner:
    """Weighted round robin: the candidate with the lowest (offers + 1) / weight, ties
    by partner id. The caller holds the rule's lock."""
    weights = dict(
        TierLeadWeight.objects.filter(
            tier_id__in={partner.tier_id for partner in candidates}
        ).values_list("tier_id", "weight")
    )
    offers = dict(
        RoutingCounter.objects.filter(
            rule=rule, partner_id__in=[partner.pk for partner in candidates]
        ).values_list("partner_id", "offers")
    )
    return min(
        candidates,
        key=lambda p: (Fraction(offers.get(p.pk, 0) + 1, weights.get(p.tier_id, 1)), p.pk),
    )


def _count_offer(rule: RoutingRule, partner: Partner) -> None:
    counter, _created = RoutingCounter.objects.get_or_create(rule=rule, partner=partner)
    RoutingCounter.objects.filter(pk=counter.pk).update(offers=F("offers") + 1)


def _route_locked(lead: Lead, *, now: datetime, actor: User | None) -> LeadOffer | None:
    """Route the locked lead, whose last offer has ended, by the rules."""
    found = _matching_rule(lead)
    if found is None:
        _return_to_staff(
            lead,
            now=now,
            actor=actor,
            rule=None,
            detail=_("No active routing rule matches this lead."),
        )
        return None
    rule = RoutingRule.objects.select_for_update(of=("self",)).get(pk=found.pk)
    candidates = routing_candidates(lead=lead, rule=rule)
    if not candidates:
        _return_to_staff(
            lead,
            now=now,
            actor=actor,
            rule=rule,
            detail=_("No partner left to offer it to."),
        )
        return None
    partner = _next_partner(rule, candidates)
    _count_offer(rule, partner)
    return _offer(lead, partner, now=now, actor=actor, rule=rule)


def _live_offer(lead: Lead, offer: LeadOffer) -> LeadOffer:
    """Lock the offer of the locked lead; refused with the neutral words unless it is
    still the lead's current offer."""
    locked = _lock_offer(offer.pk, offer.partner_id)
    if lead.current_offer_id != locked.pk or locked.status not in (OS.PENDING, OS.ACCEPTED):
        raise _no_longer_offered()
    return locked


# --- leads --------------------------------------------------------------------------------


@transaction.atomic
def lead_create(
    *, data: LeadInput, actor: User | None = None, external_id: str = ""
) -> tuple[Lead, bool]:
    """Receive a lead (with staff, not offered yet). Returns (lead, created).

    Rules:
    - by staff, a staff API key or the system (actor None: the demo, an import);
    - a company; a web domain, a country (ISO 3166 alpha-2), a known region code and
      specialisation slug when given; an amount ≥ 0 with two decimals at most, with a
      known currency (ISO 4217), or neither;
    - an `external_id` (the integration's id, at most 200 characters) already stored
      returns the stored lead unchanged, `created` False: a resent lead is one lead,
      also when both copies arrive at once (the unique constraint decides);
    - the "received" entry starts its routing history.
    """
    if actor is not None:
        _require_staff(actor, "deals.add_lead")
    external_id = _text(external_id, "external_id", limit=200)
    if external_id:
        existing = Lead.objects.filter(external_id=external_id).first()
        if existing is not None:
            return existing, False
    cleaned = _clean_lead(data)
    now = clock.now()
    try:
        with transaction.atomic():
            lead = Lead.objects.create(
                **cleaned,
                external_id=external_id,
                status=LS.NEW,
                created_by=actor,
                created_at=now,
            )
            # The lead and the start of its history are stored together, or neither.
            _entry(lead, Action.CREATED, at=now, actor=actor)
    except IntegrityError:
        existing = Lead.objects.filter(external_id=external_id).first() if external_id else None
        if existing is None:
            raise
        return existing, False
    return lead, True


@transaction.atomic
def lead_offer_to(*, lead: Lead, partner: Partner, actor: User) -> LeadOffer:
    """Offer a lead with staff to a partner, by hand.

    Rules: by staff; the lead with staff (new or back with staff); the partner active;
    never offered this lead before (it declined it or let it lapse); the answer is due
    `lead_sla_business_days` business days later; the partner's admins and sales reps
    are emailed.
    """
    _require_staff(actor)
    locked = _lock_lead(lead.pk)
    if locked is None:
        raise ValidationError({"lead": _("This lead no longer exists.")})
    if locked.status not in (LS.NEW, LS.RETURNED):
        raise ValidationError(
            {"status": _("This lead is already with a partner: withdraw it first.")}
        )
    if not Partner.objects.filter(pk=partner.pk, status=Partner.Status.ACTIVE).exists():
        raise ValidationError({"partner": _("Only an active partner can be offered a lead.")})
    with scopes_disabled():  # the lead's offers across partners: staff-side
        offered = LeadOffer.objects.filter(lead_id=locked.pk, partner_id=partner.pk).exists()
    if offered:
        raise ValidationError(
            {"partner": _("This partner has already been offered this lead once.")}
        )
    return _offer(locked, partner, now=clock.now(), actor=actor, rule=None)


@transaction.atomic
def lead_route(*, lead: Lead, actor: User | None = None) -> LeadOffer | None:
    """Offer a lead with staff to the next partner by the routing rules.

    Rules:
    - the lead with staff (new or back with staff);
    - the first active rule by position whose conditions the lead meets decides (an
      empty condition matches anything; a rule naming regions does not match a lead
      without one); no later rule is tried;
    - candidates: `routing_candidates`; the weighted round robin picks one
      (`_next_partner`), its counter for the rule goes up by one;
    - no rule or no candidate: the lead goes back to staff (returned, with an entry
      saying why; emailed to the Marketing admins when the system routed it) and None
      is returned.
    """
    if actor is not None:
        _require_staff(actor)
    locked = _lock_lead(lead.pk)
    if locked is None:
        raise ValidationError({"lead": _("This lead no longer exists.")})
    if locked.status not in (LS.NEW, LS.RETURNED):
        raise ValidationError(
            {"status": _("This lead is already with a partner: withdraw it first.")}
        )
    return _route_locked(locked, now=clock.now(), actor=actor)


@transaction.atomic
def lead_accept(*, offer: LeadOffer, user: User) -> LeadOffer:
    """The partner takes the lead offered to it.

    Rules: by the partner's admins and sales reps; the offer pending and still the
    lead's current offer (an offer past `due_at` the SLA job has not expired yet is
    still the partner's: see the module's docstring); expired, withdrawn or declined:
    "This lead is no longer offered to you.". Accepting writes a `lead` result event
    (source "deals", external id `lead:<offer uuid>`) rolled up after commit.
    """
    _require_partner_user(user, offer.partner_id)
    now = clock.now()
    lead = _lock_lead(offer.lead_id)
    if lead is None:
        raise _no_longer_offered()
    locked = _live_offer(lead, offer)
    if locked.status == OS.ACCEPTED:
        raise ValidationError({"status": _("You have already accepted this lead.")})
    locked.status = OS.ACCEPTED
    locked.responded_at = now
    locked.responded_by = user
    locked.save(update_fields=["status", "responded_at", "responded_by"])
    lead.status = LS.ACCEPTED
    lead.save(update_fields=["status"])
    _entry(lead, Action.ACCEPTED, at=now, actor=user, partner_id=locked.partner_id)
    with scope(partner=locked.partner_id):
        ResultEvent.objects.create(
            partner_id=locked.partner_id,
            kind=EventKind.LEAD,
            source=RESULT_SOURCE,
            external_id=f"lead:{locked.uuid}",
            occurred_at=now,
            day=timezone.localdate(now),
            company=lead.company[:200],
            email_domain=lead.domain,
        )
    transaction.on_commit(_enqueue_rollup, robust=True)
    return locked


def _clean_decline(reason: object, note: object) -> tuple[str, str]:
    errors: dict[str, Any] = {}
    if reason not in LeadOffer.DeclineReason.values:
        errors["reason"] = _("Choose a reason: %(reasons)s.") % {
            "reasons": ", ".join(str(label) for label in LeadOffer.DeclineReason.labels)
        }
    try:
        text = _text(note, "note", limit=MAX_NOTE, required=reason == LeadOffer.DeclineReason.OTHER)
    except ValidationError as exc:
        exc.update_error_dict(errors)
        text = ""
    if errors:
        if "note" in errors and reason == LeadOffer.DeclineReason.OTHER and not text:
            errors["note"] = _("Say why in a few words when the reason is “Other”.")
        raise ValidationError(errors)
    return str(reason), text


@transaction.atomic
def lead_decline(*, offer: LeadOffer, user: User, reason: str, note: str = "") -> LeadOffer:
    """The partner turns the lead down; it is routed on at once.

    Rules: by the partner's admins and sales reps; a reason of
    `LeadOffer.DeclineReason`, with a note for "Other"; the offer pending and current
    (else "This lead is no longer offered to you."); the partner is never offered the
    lead again; the lead goes to the next partner by the rules, or back to staff.
    """
    _require_partner_user(user, offer.partner_id)
    reason, note = _clean_decline(reason, note)
    now = clock.now()
    lead = _lock_lead(offer.lead_id)
    if lead is None:
        raise _no_longer_offered()
    locked = _live_offer(lead, offer)
    if locked.status != OS.PENDING:
        raise ValidationError(
            {"status": _("You have accepted this lead: it can no longer be declined.")}
        )
    locked.status = OS.DECLINED
    locked.responded_at = now
    locked.responded_by = user
    locked.decline_reason = reason
    locked.decline_note = note
    locked.save(
        update_fields=["status", "responded_at", "responded_by", "decline_reason", "decline_note"]
    )
    detail = str(LeadOffer.DeclineReason(reason).label) + (f": {note}" if note else "")
    _entry(lead, Action.DECLINED, at=now, actor=user, partner_id=locked.partner_id, detail=detail)
    lead.current_offer = None
    _route_locked(lead, now=now, actor=None)
    return locked


@transaction.atomic
def lead_withdraw(*, lead: Lead, actor: User, reason: str) -> Lead:
    """Staff take a lead back from the partner that holds it (offered or accepted).

    Rules: by staff; a reason; the lead with a partner and not converted; the offer is
    withdrawn (the partner is told it lost the lead, and is never offered it again) and
    the lead is back with staff.
    """
    _require_staff(actor)
    reason = _text(reason, "reason", limit=MAX_NOTE, required=True)
    now = clock.now()
    locked = _lock_lead(lead.pk)
    if locked is None:
        raise ValidationError({"lead": _("This lead no longer exists.")})
    if locked.status not in (LS.OFFERED, LS.ACCEPTED) or locked.current_offer_id is None:
        raise ValidationError({"status": _("This lead is not with a partner.")})
    offer = _lock_offer(locked.current_offer_id, _offer_partner_id(locked.current_offer_id))
    offer.status = OS.WITHDRAWN
    offer.save(update_fields=["status"])
    locked.status = LS.RETURNED
    locked.current_offer = None
    locked.save(update_fields=["status", "current_offer"])
    _entry(
        locked, Action.WITHDRAWN, at=now, actor=actor, partner_id=offer.partner_id, detail=reason
    )
    _after_commit("send_lead_lost_email", offer.pk)
    return locked


def _offer_partner_id(offer_id: int) -> int:
    with scopes_disabled():  # staff-side: whose offer the lead's current one is
        return LeadOffer.objects.values_list("partner_id", flat=True).get(pk=offer_id)


def leads_reroute_overdue(*, now: datetime | None = None) -> int:
    """The SLA job: expire each pending offer past its `due_at` and route its lead on.
    Returns the number of offers expired.

    Rules:
    - one transaction per offer: the offer expires ("not answered in time" entry, the
      partner emailed that it lost the lead) and the lead goes to the next partner by
      the rules, or back to staff;
    - safe to run twice and concurrently: a lead locked by another run (or by an
      answer being saved) is skipped (SKIP LOCKED) and taken at the next run; the offer
      is re-read under the lock, so one already answered or expired is left alone.
    """
    now = now or clock.now()
    with scopes_disabled():  # the SLA job spans partners
        due = list(
            LeadOffer.objects.filter(status=OS.PENDING, due_at__lt=now)
            .order_by("due_at", "pk")
            .values_list("pk", "lead_id", "partner_id")
        )
    expired = 0
    for offer_id, lead_id, partner_id in due:
        with transaction.atomic():
            lead = _lock_lead(lead_id, skip_locked=True)
            if lead is None:
                continue
            offer = _lock_offer(offer_id, partner_id)
            if offer.status != OS.PENDING or offer.due_at >= now:
                continue
            offer.status = OS.EXPIRED
            offer.save(update_fields=["status"])
            _entry(
                lead,
                Action.EXPIRED,
                at=now,
                partner_id=partner_id,
                detail=_("Not answered in time."),
            )
            _after_commit("send_lead_lost_email", offer.pk)
            if lead.current_offer_id == offer.pk:
                lead.current_offer = None
                _route_locked(lead, now=now, actor=None)
            expired += 1
    return expired


@transaction.atomic
def lead_work(
    *,
    offer: LeadOffer,
    user: User,
    work_status: str,
    next_step: str,
    next_step_due: date | None,
) -> LeadOffer:
    """The partner records its progress on an accepted lead.

    Rules: by the partner's admins and sales reps; the offer accepted and still the
    partner's (not withdrawn, not converted: a converted lead is worked as its deal);
    a progress of `LeadOffer.WorkStatus`; a next step of at most 200 characters; its due
    date not in the past when it changes; a write that changes nothing records nothing.
    """
    _require_partner_user(user, offer.partner_id)
    errors: dict[str, Any] = {}
    if work_status not in LeadOffer.WorkStatus.values:
        errors["work_status"] = _("Choose one of: %(choices)s.") % {
            "choices": ", ".join(str(label) for label in LeadOffer.WorkStatus.labels)
        }
    try:
        next_step = _text(next_step, "next_step", limit=200)
    except ValidationError as exc:
        exc.update_error_dict(errors)
    if next_step_due is not None and not isinstance(next_step_due, date):
        errors["next_step_due"] = _("Give a date.")
    if errors:
        raise ValidationError(errors)
    now = clock.now()
    lead = _lock_lead(offer.lead_id)
    if lead is None:
        raise _no_longer_offered()
    locked = _live_offer(lead, offer)
    if locked.status != OS.ACCEPTED or lead.status != LS.ACCEPTED:
        if lead.status == LS.CONVERTED:
            message = _("This lead is now a deal registration: work it there.")
        else:
            message = _("Accept the lead before you record progress.")
        raise ValidationError({"status": message})
    changes = {
        name: value
        for name, value in (
            ("work_status", work_status),
            ("next_step", next_step),
            ("next_step_due", next_step_due),
        )
        if getattr(locked, name) != value
    }
    if not changes:
        return locked
    if "next_step_due" in changes and next_step_due is not None and next_step_due < clock.today():
        raise ValidationError({"next_step_due": _("The date cannot be in the past.")})
    for name, value in changes.items():
        setattr(locked, name, value)
    locked.save(update_fields=list(changes))
    parts = [str(locked.get_work_status_display())]
    if locked.next_step:
        parts.append(locked.next_step)
    if locked.next_step_due:
        parts.append(locked.next_step_due.isoformat())
    _entry(
        lead,
        Action.WORKED,
        at=now,
        actor=user,
        partner_id=locked.partner_id,
        detail=" · ".join(parts),
    )
    return locked


@transaction.atomic
def lead_convert(*, offer: LeadOffer, user: User, data: DealInput) -> Deal:
    """Turn an accepted lead into a deal registration, in one step.

    Rules: by the partner's admins and sales reps; the offer accepted and still the
    partner's, not converted before; the registration (`data`, prefilled from the lead
    by the caller) goes through `deal_register` like any other, conflict check
    included, and its errors are the registration's; the offer names the deal, the lead
    is converted. Nothing is stored when an error is raised.
    """
    _require_partner_user(user, offer.partner_id)
    now = clock.now()
    lead = _lock_lead(offer.lead_id)
    if lead is None:
        raise _no_longer_offered()
    locked = _live_offer(lead, offer)
    if lead.status == LS.CONVERTED or locked.deal_id is not None:
        raise ValidationError({"status": _("This lead is already a deal registration.")})
    if locked.status != OS.ACCEPTED:
        raise ValidationError({"status": _("Accept the lead before you register its deal.")})
    partner = Partner.objects.get(pk=locked.partner_id)
    deal = deal_register(partner=partner, user=user, data=data, lead_offer=locked)
    if locked.deal_id != deal.pk:  # deal_register links the offer; make sure of it
        locked.deal = deal
        locked.save(update_fields=["deal"])
    lead.status = LS.CONVERTED
    lead.save(update_fields=["status"])
    _entry(
        lead,
        Action.CONVERTED,
        at=now,
        actor=user,
        partner_id=locked.partner_id,
        detail=_("Deal registration %(uuid)s.") % {"uuid": deal.uuid},
    )
    return deal

"""Demo deal registrations and leads, told as a running programme would have them.

Reference data first: the vendor's products, partner specialisations, the deal
program's settings, lead weights per tier, routing rules and a few protected
accounts. Then registrations in every state (under review, more information
requested, approved with different expiry dates, one of them expiring within two
weeks with an extension request pending, rejected, expired, won and lost) and exactly
one flagged conflict: two partners registering the same customer domain. Then leads
offered, accepted (one worked, one converted into a registration), declined,
re-routed after the partner let the answer time lapse, and one back with staff.

Everything goes through `deals.services`, dated in the past where the history
matters (`mdf.clock.as_of(day)` moves the services' clock back while they run, as in
mdf/demo.py), so the trail, the routing history, the results stream and the emails
are the ones a real programme would write. Each partner's channel manager decides its
registrations; the marketing admin hands out the leads.

Idempotent: a registration is found by its partner and customer domain, a lead by
its external id; a story already told is skipped, so a second run creates nothing.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from campaigns.models import Launch
from deals import services
from deals.models import (
    Deal,
    DealProgram,
    Lead,
    LeadOffer,
    Product,
    ProtectedAccount,
    RoutingRule,
    TierLeadWeight,
)
from mdf import clock
from mdf.clock import as_of
from partners.models import Membership, Partner, Region, Specialisation, Tier

PRODUCTS = [
    ("cloud-backup", "Cloud Backup"),
    ("secure-edge", "Secure Edge Platform"),
    ("zero-trust", "Zero Trust Access"),
    ("mdr", "Managed Detection and Response"),
    ("draas", "Disaster Recovery as a Service"),
]
SPECIALISATIONS = [
    ("backup-recovery", "Backup and recovery"),
    ("cloud-migration", "Cloud migration"),
    ("security", "Security"),
    ("managed-services", "Managed services"),
]
# Partner slug: the specialisations it holds (leads that need one go to its holders).
PARTNER_SPECIALISATIONS = {
    "northwind": ("backup-recovery", "cloud-migration"),
    "contoso": ("security", "managed-services"),
    "fabrikam": ("security",),
    "tailspin": ("backup-recovery",),
    "wingtip": ("cloud-migration", "managed-services"),
    "humongous": ("security", "managed-services"),
    "relecloud": ("cloud-migration",),
    "trey": ("security",),
    "litware": ("cloud-migration",),
    "lucerne": ("managed-services",),
    "nod": ("backup-recovery",),
    "blueyonder": ("backup-recovery",),
}
TIER_WEIGHTS = {"registered": 1, "silver": 2, "gold": 3, "platinum": 4}


@dataclass(frozen=True)
class DemoRule:
    name: str
    position: int
    regions: tuple[str, ...] = ()
    specialisations: tuple[str, ...] = ()
    partner_types: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()


ROUTING_RULES = [
    DemoRule(
        "North American security leads: Gold and Platinum partners",
        10,
        regions=("na",),
        specialisations=("security",),
        tiers=("gold", "platinum"),
    ),
    DemoRule(
        "EMEA leads: resellers, MSPs and distributors",
        20,
        regions=("emea",),
        partner_types=(
            Partner.Type.RESELLER,
            Partner.Type.MSP,
            Partner.Type.DISTRIBUTOR,
        ),
    ),
    DemoRule("Every other lead: any active partner in its region", 100),
]
# (domain, company, country, note): the vendor's direct sales team keeps these.
PROTECTED_ACCOUNTS = [
    ("globex.example", "Globex Corporation", "US", "Named account: direct enterprise team."),
    ("initech.example", "Initech", "US", "Global agreement signed by the vendor."),
    ("vandelay.example", "Vandelay Industries", "DE", "Strategic account, EMEA direct."),
]


# --- Deal registrations -----------------------------------------------------------------


@dataclass(frozen=True)
class DemoDeal:
    """One registration's story. Days are counted from today (negative: in the past)."""

    partner: str
    company: str
    domain: str
    country: str
    products: tuple[str, ...]
    amount: str
    currency: str
    registered: int
    close_in: int  # expected close date, days after registration
    stage: str = Deal.Stage.QUALIFICATION
    kit: str = ""  # the partner's launch of this kit sourced the deal
    contact: str = ""
    notes: str = ""
    # What happened next, in time order: (day, step, argument).
    steps: tuple[tuple[int, str, str], ...] = field(default_factory=tuple)


St = Deal.Stage
DEALS = [
    # Approved a month ago; the conflict below is registered against it.
    DemoDeal(
        "northwind",
        "Lakeside Medical Group",
        "lakesidemedical.example",
        "US",
        ("cloud-backup", "draas"),
        "48000.00",
        "USD",
        registered=-34,
        close_in=75,
        kit="cloud-migration-accelerator",
        contact="Dana Whitfield",
        notes="Three clinics moving their imaging archive off tape.",
        steps=((-32, "approve", ""), (-20, "stage", St.PROPOSAL)),
    ),
    # The flagged conflict: another partner registers the same customer two days ago.
    # Contoso's page says "Under review"; staff see both registrations side by side.
    DemoDeal(
        "contoso",
        "Lakeside Medical Group",
        "lakesidemedical.example",
        "US",
        ("mdr",),
        "36000.00",
        "USD",
        registered=-2,
        close_in=60,
        contact="Dana Whitfield",
        notes="Managed detection for the clinics' new imaging platform.",
    ),
    # Approved 80 days ago: protected for ten more days, an extension asked yesterday.
    DemoDeal(
        "northwind",
        "Pinecrest School District",
        "pinecrest-schools.example",
        "US",
        ("secure-edge",),
        "26500.00",
        "USD",
        registered=-83,
        close_in=95,
        stage=St.PROSPECTING,
        kit="secure-edge-2027-launch",
        contact="Marcus Lee",
        steps=(
            (-80, "approve", ""),
            (-45, "stage", St.PROPOSAL),
            (-12, "stage", St.NEGOTIATION),
            (-4, "remind", ""),
            (-1, "extend", "The school board moved its budget vote to next month."),
        ),
    ),
    # Under review since three days: nothing unusual, the channel manager's to decide.
    DemoDeal(
        "northwind",
        "Bayview Logistics",
        "bayview-logistics.example",
        "US",
        ("cloud-backup",),
        "31000.00",
        "USD",
        registered=-3,
        close_in=90,
        stage=St.PROSPECTING,
        contact="Priya Raman",
        notes="Warehouse sites consolidating backups after an acquisition.",
    ),
    # More information requested; the partner has not answered yet.
    DemoDeal(
        "tailspin",
        "Cedar Ridge Credit Union",
        "cedarridge-cu.example",
        "US",
        ("zero-trust",),
        "18000.00",
        "USD",
        registered=-9,
        close_in=60,
        steps=((-7, "ask", "How many branches, and who is the IT decision maker?"),),
    ),
    # Approved ten days ago, protected for most of the period.
    DemoDeal(
        "contoso",
        "Orbit Aerospace",
        "orbit-aero.example",
        "FR",
        ("zero-trust", "mdr"),
        "80000.00",
        "EUR",
        registered=-12,
        close_in=120,
        kit="zero-trust-webinars",
        steps=((-10, "approve", ""),),
    ),
    # Approved six weeks ago.
    DemoDeal(
        "relecloud",
        "Andes Mining Services",
        "andes-mining.example",
        "CL",
        ("cloud-backup", "draas"),
        "42000.00",
        "USD",
        registered=-47,
        close_in=90,
        steps=((-45, "approve", ""), (-30, "stage", St.PROPOSAL)),
    ),
    # Rejected, with the reason the partner reads.
    DemoDeal(
        "humongous",
        "Greenfield Utilities",
        "greenfield-utilities.example",
        "US",
        ("cloud-backup",),
        "4000.00",
        "USD",
        registered=-20,
        close_in=30,
        steps=(
            (
                -18,
                "reject",
                "Below the registration minimum of 5,000 USD; register it again if the "
                "scope grows.",
            ),
        ),
    ),
    # Approved four months ago, never closed: expired by the daily job.
    DemoDeal(
        "wingtip",
        "Sakura Retail Holdings",
        "sakura-retail.example",
        "JP",
        ("secure-edge",),
        "54000.00",
        "USD",
        registered=-130,
        close_in=80,
        kit="zero-trust-webinars",
        steps=((-128, "approve", ""), (-90, "stage", St.PROPOSAL), (-37, "expire", "")),
    ),
    # Won: enters the results stream with the launch that sourced it.
    DemoDeal(
        "fabrikam",
        "Rheinwerk Maschinenbau",
        "rheinwerk.example",
        "DE",
        ("secure-edge", "zero-trust"),
        "65000.00",
        "EUR",
        registered=-40,
        close_in=35,
        kit="secure-edge-2027-launch",
        contact="Jonas Keller",
        steps=(
            (-38, "approve", ""),
            (-30, "stage", St.PROPOSAL),
            (-20, "stage", St.NEGOTIATION),
            (-12, "won", "61500.00"),
        ),
    ),
    DemoDeal(
        "contoso",
        "Northgate Insurance",
        "northgate-insurance.example",
        "US",
        ("mdr",),
        "120000.00",
        "USD",
        registered=-95,
        close_in=80,
        kit="cloud-migration-accelerator",
        steps=(
            (-93, "approve", ""),
            (-60, "stage", St.PROPOSAL),
            (-35, "stage", St.NEGOTIATION),
            (-20, "won", "112000.00"),
        ),
    ),
    DemoDeal(
        "northwind",
        "Silverline Accounting",
        "silverline-accounting.example",
        "US",
        ("cloud-backup",),
        "18500.00",
        "USD",
        registered=-75,
        close_in=50,
        kit="cloud-migration-accelerator",
        steps=((-73, "approve", ""), (-50, "stage", St.PROPOSAL), (-25, "won", "18500.00")),
    ),
    # Lost, with the partner's reason.
    DemoDeal(
        "northwind",
        "Redwood County Library",
        "redwood-library.example",
        "US",
        ("secure-edge",),
        "9800.00",
        "USD",
        registered=-60,
        close_in=45,
        steps=((-58, "approve", ""), (-18, "lost", "The county froze the budget until next year.")),
    ),
    DemoDeal(
        "tailspin",
        "Summit Dental Partners",
        "summitdental.example",
        "US",
        ("cloud-backup",),
        "12000.00",
        "USD",
        registered=-70,
        close_in=50,
        kit="ransomware-readiness",
        steps=(
            (-68, "approve", ""),
            (-40, "stage", St.PROPOSAL),
            (-15, "lost", "The customer chose a competitor's appliance on price."),
        ),
    ),
]


def _moment(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _member(partner: Partner, role: str) -> Any:
    return Membership.objects.get(partner=partner, role=role).user


def reference_data(*, actor: Any = None) -> int:
    """Products, specialisations (held by demo partners), the program's settings, lead
    weights per tier, routing rules and protected accounts; returns how many products,
    rules and protected accounts were created."""
    created = 0
    DealProgram.current()
    for slug, name in PRODUCTS:
        created += Product.objects.get_or_create(slug=slug, defaults={"name": name})[1]
    specialisations = {
        slug: Specialisation.objects.get_or_create(slug=slug, defaults={"name": name})[0]
        for slug, name in SPECIALISATIONS
    }
    for partner in Partner.objects.filter(slug__in=PARTNER_SPECIALISATIONS):
        if not partner.specialisations.exists():
            partner.specialisations.set(
                [specialisations[s] for s in PARTNER_SPECIALISATIONS[partner.slug]]
            )
    for slug, weight in TIER_WEIGHTS.items():
        tier = Tier.objects.filter(slug=slug).first()
        if tier is not None:
            TierLeadWeight.objects.get_or_create(tier=tier, defaults={"weight": weight})
    for demo in ROUTING_RULES:
        rule, made = RoutingRule.objects.get_or_create(
            name=demo.name,
            defaults={"position": demo.position, "partner_types": list(demo.partner_types)},
        )
        if made:
            rule.regions.set(Region.objects.filter(code__in=demo.regions))
            rule.specialisations.set(
                [specialisations[s] for s in demo.specialisations if s in specialisations]
            )
            rule.tiers.set(Tier.objects.filter(slug__in=demo.tiers))
            created += 1
    for domain, company, country, note in PROTECTED_ACCOUNTS:
        created += ProtectedAccount.objects.get_or_create(
            domain=domain,
            defaults={"company": company, "country": country, "note": note, "added_by": actor},
        )[1]
    return created


def seed_deals() -> int:
    """The demo registrations that are missing; returns how many were created."""
    User = get_user_model()
    marketing = User.objects.filter(username="marketing").first()
    reference_data(actor=marketing)
    today = timezone.localdate()
    created = 0
    with scopes_disabled():
        for demo in DEALS:
            partner = Partner.objects.filter(slug=demo.partner).first()
            if partner is None or partner.channel_manager is None:
                continue
            if Deal.objects.filter(partner=partner, domain=demo.domain).exists():
                continue
            with transaction.atomic():
                _deal_story(demo, partner, today)
            created += 1
    return created


def _deal_input(demo: DemoDeal, partner: Partner, day: date) -> services.DealInput:
    launch = (
        Launch.objects.filter(partner=partner, kit__slug=demo.kit).order_by("id").first()
        if demo.kit
        else None
    )
    return services.DealInput(
        company=demo.company,
        domain=demo.domain,
        country=demo.country,
        products=list(demo.products),
        amount=Decimal(demo.amount),
        currency=demo.currency,
        expected_close_date=day + timedelta(days=demo.close_in),
        stage=demo.stage,
        notes=demo.notes,
        contact_name=demo.contact,
        contact_email="",
        launch=launch.code if launch else "",
    )


def _deal_story(demo: DemoDeal, partner: Partner, today: date) -> Deal:
    rep = _member(partner, Membership.Role.SALES)
    manager = partner.channel_manager
    registered_on = today + timedelta(days=demo.registered)
    with as_of(registered_on):
        deal = services.deal_register(
            partner=partner, user=rep, data=_deal_input(demo, partner, registered_on)
        )
    for days, step, argument in demo.steps:
        day = today + timedelta(days=days)
        with as_of(day):
            if step == "approve":
                deal = services.deal_approve(deal=deal, actor=manager)
            elif step == "reject":
                deal = services.deal_reject(deal=deal, actor=manager, reason=argument)
            elif step == "ask":
                deal = services.deal_request_info(deal=deal, actor=manager, question=argument)
            elif step == "stage":
                deal = services.deal_set_stage(deal=deal, user=rep, stage=argument)
            elif step == "extend":
                services.extension_request(deal=deal, user=rep, reason=argument)
            elif step == "remind":
                # The daily job, fourteen days before the last protected day.
                services.deal_expiry_reminders(today=day)
            elif step == "expire":
                # The daily job, the day after the last protected day.
                services.deals_expire(today=day)
            elif step == "won":
                deal = services.deal_close_won(
                    deal=deal, user=rep, amount=Decimal(argument), occurred_at=_moment(day, 15)
                )
            elif step == "lost":
                deal = services.deal_close_lost(
                    deal=deal, user=rep, reason=argument, occurred_at=_moment(day, 15)
                )
            else:  # pragma: no cover - a typo in DEALS
                raise ValueError(step)
        deal.refresh_from_db()
    return deal


# --- Leads ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoLead:
    """One lead's story: received, offered, answered, worked. Days are counted back
    from today; None: the day of the step before (or, after a lapse, the day the SLA
    job found it)."""

    key: str  # its external id, as an integration would send it
    company: str
    domain: str
    country: str
    region: str
    specialisation: str
    contact: str
    description: str
    amount: str
    currency: str
    steps: tuple[tuple[int | None, str, str], ...]


# The day of an offer whose answer falls due within the next day or so (computed).
DUE_SOON = -1
LEADS = [
    # Offered by hand to Northwind: waiting for its answer, due soon.
    DemoLead(
        "demo-lead-oakridge",
        "Oakridge Family Dentistry",
        "oakridge-dental.example",
        "US",
        "na",
        "backup-recovery",
        "Helen Park",
        "Eight practices; patient records on a server in a closet. Asked for a backup quote.",
        "9500.00",
        "USD",
        steps=((DUE_SOON, "offer", "northwind"),),
    ),
    # Routed by the rules (security, North America: Gold and Platinum), accepted the
    # same day and being worked.
    DemoLead(
        "demo-lead-brightline",
        "Brightline Architects",
        "brightline-arch.example",
        "US",
        "na",
        "security",
        "Omar Haddad",
        "Replacing their VPN after an incident; wants a Zero Trust assessment.",
        "28000.00",
        "USD",
        steps=(
            (5, "route", ""),
            (None, "accept", ""),
            (4, "work", "contacted|Security assessment workshop on site|3"),
        ),
    ),
    # Offered by hand to Northwind, accepted, qualified and converted into a deal
    # registration, which the channel manager approved.
    DemoLead(
        "demo-lead-copperleaf",
        "Copperleaf Hotels",
        "copperleaf-hotels.example",
        "US",
        "na",
        "cloud-migration",
        "Sofia Marin",
        "Twelve hotels moving reservations and back office to the cloud next year.",
        "22000.00",
        "USD",
        steps=(
            (12, "offer", "northwind"),
            (11, "accept", ""),
            (10, "work", "qualified|Register the deal|"),
            (6, "convert", "cloud-backup,draas|75"),
            (5, "approve", ""),
        ),
    ),
    # Offered by hand to Tailspin, declined today (out of its area) and routed on at
    # once by the rules to an EMEA partner.
    DemoLead(
        "demo-lead-vista",
        "Vista Property Management",
        "vista-property.example",
        "FR",
        "emea",
        "",
        "Claire Dubois",
        "Property manager in Lyon, 40 sites; asked for managed backup for its offices.",
        "15000.00",
        "EUR",
        steps=(
            (0, "offer", "tailspin"),
            (0, "decline", "out_of_area|Their offices are in Lyon; we cover North America."),
        ),
    ),
    # Offered by hand to Tailspin, never answered: the SLA job expired the offer and
    # routed the lead to the next partner by the rules, which accepted it.
    DemoLead(
        "demo-lead-ironbridge",
        "Ironbridge Manufacturing",
        "ironbridge-mfg.example",
        "US",
        "na",
        "",
        "Walt Kowalski",
        "Two plants, a new ERP; asked who can run their backups and recovery tests.",
        "40000.00",
        "USD",
        steps=((7, "offer", "tailspin"), (None, "lapse", ""), (None, "accept", "")),
    ),
    # Routed by the rules to the one partner that covers it, declined: no partner
    # left, so the lead is back with staff, with its history.
    DemoLead(
        "demo-lead-pampas",
        "Pampas Agro Cooperative",
        "pampas-agro.example",
        "AR",
        "latam",
        "cloud-migration",
        "Martín Sosa",
        "A cooperative of 300 farms moving its accounting system to the cloud.",
        "",
        "",
        steps=(
            (3, "route", ""),
            (2, "decline", "not_a_fit|We do not sell into agriculture."),
        ),
    ),
]


def seed_leads() -> int:
    """The demo leads that are missing, each told as a story dated in the past; returns
    how many were created."""
    User = get_user_model()
    marketing = User.objects.get(username="marketing")
    reference_data(actor=marketing)
    today = timezone.localdate()
    created = 0
    with scopes_disabled():  # the demo tells every partner's story
        for demo in LEADS:
            if Lead.objects.filter(external_id=demo.key).exists():
                continue
            # One transaction per lead: a story is told whole or not at all.
            with transaction.atomic():
                _lead_story(demo, marketing, today)
            created += 1
    return created


def _lead_story(demo: DemoLead, marketing: Any, today: date) -> Lead:
    first = demo.steps[0][0]
    day = _offered_for_due_soon(today) if first == DUE_SOON else today - timedelta(days=first or 0)
    with as_of(day):  # received the day it is first offered
        lead, _created = services.lead_create(
            data=services.LeadInput(
                company=demo.company,
                domain=demo.domain,
                country=demo.country,
                region=demo.region,
                specialisation=demo.specialisation,
                contact_name=demo.contact,
                contact_email=f"{_ascii(demo.contact.split()[0]).lower()}@{demo.domain}",
                description=demo.description,
                amount=demo.amount or None,
                currency=demo.currency,
            ),
            actor=marketing,
            external_id=demo.key,
        )
    for when, step, argument in demo.steps:
        lead.refresh_from_db()
        offer = _current_offer(lead)
        if step == "lapse":
            # The SLA job's first run on the day after the answer time passed.
            day = timezone.localdate(offer.due_at) + timedelta(days=1)
        elif when == DUE_SOON:
            day = _offered_for_due_soon(today)
        elif when is not None:
            day = today - timedelta(days=when)
        with as_of(day):
            _lead_step(lead, offer, step, argument, marketing=marketing, day=day)
    lead.refresh_from_db()
    return lead


def _lead_step(lead: Lead, offer: Any, step: str, argument: str, *, marketing: Any, day: date):
    if step == "offer":
        partner = Partner.objects.get(slug=argument)
        services.lead_offer_to(lead=lead, partner=partner, actor=marketing)
    elif step == "route":
        services.lead_route(lead=lead, actor=marketing)
    elif step == "accept":
        services.lead_accept(offer=offer, user=_answerer(offer))
    elif step == "decline":
        reason, note = argument.split("|")
        services.lead_decline(offer=offer, user=_answerer(offer), reason=reason, note=note)
    elif step == "lapse":
        services.leads_reroute_overdue()
    elif step == "work":
        status, next_step, due_in = argument.split("|")
        services.lead_work(
            offer=offer,
            user=_answerer(offer),
            work_status=status,
            next_step=next_step,
            # Ahead of today (the real one): the next step is still to come.
            next_step_due=timezone.localdate() + timedelta(days=int(due_in)) if due_in else None,
        )
    elif step == "convert":
        products, close_in = argument.split("|")
        services.lead_convert(
            offer=offer,
            user=_answerer(offer),
            data=services.DealInput(
                company=lead.company,
                domain=lead.domain,
                country=lead.country,
                products=products.split(","),
                amount=lead.amount or Decimal("0.00"),
                currency=lead.currency or "USD",
                expected_close_date=day + timedelta(days=int(close_in)),
                stage=Deal.Stage.QUALIFICATION,
                notes=lead.description,
                contact_name=lead.contact_name,
                contact_email=lead.contact_email,
            ),
        )
    elif step == "approve":
        offer.refresh_from_db()
        deal = Deal.objects.get(pk=offer.deal_id)
        services.deal_approve(deal=deal, actor=deal.partner.channel_manager)
    else:  # pragma: no cover - a typo in LEADS
        raise ValueError(step)


def _ascii(name: str) -> str:
    # "Martín" → "martin": the local part of a demo contact's email address.
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()


def _current_offer(lead: Lead) -> LeadOffer | None:
    # The offer a step answers: the current one, or the lead's last (converted leads).
    if lead.current_offer_id is not None:
        return LeadOffer.objects.get(pk=lead.current_offer_id)
    return LeadOffer.objects.filter(lead=lead).order_by("-offered_at", "-pk").first()


def _answerer(offer: LeadOffer) -> Any:
    return _member(offer.partner, Membership.Role.SALES)


def _offered_for_due_soon(today: date) -> date:
    """The earliest day an offer made at this time of day is still to be answered a
    few hours from now: its answer falls due within the next day or so (over a weekend,
    the nearest answer time still ahead)."""
    now = timezone.now()
    days = DealProgram.current().lead_sla_business_days
    chosen = today
    for back in range(1, 8):
        with as_of(today - timedelta(days=back)):
            offered = clock.now()
        if services.business_deadline(offered, days) - now < timedelta(hours=3):
            break
        chosen = today - timedelta(days=back)
    return chosen

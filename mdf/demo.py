"""MDF demo data: pools, allocations by tier, and requests and claims in every state.

Everything goes through mdf.services, so the demo ledger reconciles like a real
one. Past activities are recorded "as of" earlier dates (the services' notion of
today is moved back while they run), because requests must precede the activity
and claims must follow it. Idempotent: nothing is created if the demo pools exist.
"""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled
from PIL import Image, ImageDraw

from campaigns.models import Launch
from mdf import services
from mdf.clock import as_of
from mdf.models import ActivityType, FundPool, ProofKind
from partners.models import Membership, Partner, Tier

PROOF_KINDS = [
    ("invoice", "Invoice", "The supplier's invoice showing what was paid."),
    ("attendees", "Attendee list", "Names and companies of attendees (CSV or XLSX)."),
    ("photo", "Photo", "A photo of the booth, stage or printed material."),
    ("screenshot", "Screenshot", "A screenshot of the ad, page or email as it ran."),
    ("leads", "Lead list", "The leads the activity produced (CSV or XLSX)."),
]
ACTIVITY_TYPES = [
    ("event", "Event or trade show", ["invoice", "attendees", "photo"]),
    ("webinar", "Webinar", ["invoice", "attendees"]),
    ("digital-ads", "Digital advertising", ["invoice", "screenshot"]),
    ("email", "Email campaign", ["invoice", "screenshot"]),
    ("content-syndication", "Content syndication", ["invoice", "leads"]),
]
TIER_AMOUNTS = {"platinum": "40000.00", "gold": "20000.00", "silver": "8000.00"}


def _pdf(text: str) -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGB", (620, 877), "white")
    draw = ImageDraw.Draw(image)
    draw.text((40, 40), text, fill="black")
    image.save(buffer, "PDF")
    return buffer.getvalue()


def _png(text: str) -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGB", (480, 320), (18, 92, 160))
    ImageDraw.Draw(image).text((20, 20), text, fill="white")
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _proof_file(kind: str, title: str) -> SimpleUploadedFile:
    if kind in ("attendees", "leads"):
        rows = "name,company,email\n" + "".join(
            f"Contact {n},Company {n},contact{n}@example.com\n" for n in range(1, 25)
        )
        return SimpleUploadedFile(f"{kind}.csv", rows.encode(), "text/csv")
    if kind in ("photo", "screenshot"):
        return SimpleUploadedFile(f"{kind}.png", _png(f"{title} ({kind})"), "image/png")
    return SimpleUploadedFile("invoice.pdf", _pdf(f"INVOICE — {title}"), "application/pdf")


def _reference_data() -> dict[str, ActivityType]:
    kinds = {}
    for slug, name, help_text in PROOF_KINDS:
        kinds[slug], _ = ProofKind.objects.get_or_create(
            slug=slug, defaults={"name": name, "help_text": help_text}
        )
    types = {}
    for slug, name, proofs in ACTIVITY_TYPES:
        activity, created = ActivityType.objects.get_or_create(slug=slug, defaults={"name": name})
        if created:
            activity.proof_kinds.set([kinds[p] for p in proofs])
        types[slug] = activity
    return types


@transaction.atomic
def seed_mdf_demo() -> int:
    """Create the demo funds; return the number of pools created (0 if present)."""
    types = _reference_data()
    if FundPool.objects.filter(name="FY2027 H1 Partner MDF").exists():
        return 0
    User = get_user_model()
    marketing = User.objects.get(username="marketing")
    finance = User.objects.get(username="finance")
    today = timezone.localdate()

    next_pool = FundPool.objects.create(
        name="FY2027 H2 Partner MDF",
        currency="USD",
        total=Decimal("400000.00"),
        period_start=today + timedelta(days=120),
        period_end=today + timedelta(days=300),
        request_deadline=today + timedelta(days=270),
        claim_deadline=today + timedelta(days=330),
        reimbursement_percentage=Decimal("50.00"),
        finance_threshold=Decimal("10000.00"),
    )
    pool = FundPool.objects.create(
        name="FY2027 H1 Partner MDF",
        currency="USD",
        total=Decimal("500000.00"),
        period_start=today - timedelta(days=60),
        period_end=today + timedelta(days=120),
        request_deadline=today + timedelta(days=14),
        claim_deadline=today + timedelta(days=45),
        reimbursement_percentage=Decimal("50.00"),
        finance_threshold=Decimal("5000.00"),
        rollover_policy=FundPool.Rollover.CARRY_OVER,
        rollover_pool=next_pool,
    )
    with as_of(pool.period_start):
        services.allocations_bulk_by_tier(
            pool=pool,
            amounts={Tier.objects.get(slug=slug): amount for slug, amount in TIER_AMOUNTS.items()},
            actor=marketing,
            reason="H1 allocation by tier",
        )
    with scopes_disabled():
        for slug in ("northwind", "contoso", "fabrikam"):
            _partner_story(Partner.objects.get(slug=slug), pool, types, finance, today)
        _last_period(Partner.objects.get(slug="northwind"), types, marketing, finance, today)
    return 3


def _last_period(partner, types, marketing, finance, today) -> None:
    """A closed earlier pool: one request claimed and paid, one never claimed (its
    commitment expired at the claim deadline), the rest of the money expired."""
    start = today - timedelta(days=240)
    old_pool = FundPool.objects.create(
        name="FY2026 H2 Partner MDF",
        currency="USD",
        total=Decimal("300000.00"),
        period_start=start,
        period_end=start + timedelta(days=180),
        request_deadline=start + timedelta(days=150),
        claim_deadline=start + timedelta(days=200),
        reimbursement_percentage=Decimal("50.00"),
        finance_threshold=Decimal("5000.00"),
    )
    marketer = Membership.objects.get(partner=partner, role=Membership.Role.MARKETER).user
    with as_of(start):
        allocation = services.allocation_create(
            pool=old_pool, partner=partner, amount="15000.00", actor=marketing, reason="H2 plan"
        )
        requests = []
        for title, cost in (
            ("Autumn partner roadshow", "8000.00"),
            ("Year-end webinar", "3000.00"),
        ):
            fund_request = services.request_create(
                partner=partner,
                allocation=allocation,
                activity_type=types["webinar"],
                title=title,
                description=title,
                activity_start=start + timedelta(days=30),
                activity_end=start + timedelta(days=30),
                requested_amount=cost,
                actor=marketer,
            )
            requests.append(services.request_submit(fund_request=fund_request, actor=marketer))
    with as_of(start + timedelta(days=2)):
        requests = [
            services.request_decide(
                fund_request=fund_request,
                actor=partner.channel_manager,
                approve=True,
                note="Approved.",
            )
            for fund_request in requests
        ]
    with as_of(start + timedelta(days=40)):
        claim = services.claim_create(fund_request=requests[0], amount="8000.00", actor=marketer)
        _attach_proof(claim, requests[0].title, marketer)
        services.claim_submit(claim=claim, actor=marketer)
    with as_of(start + timedelta(days=45)):
        services.claim_decide(claim=claim, actor=finance, decision="approve", note="Complete.")
    paid_on = start + timedelta(days=52)
    with as_of(paid_on):
        services.claim_record_payment(
            claim=claim, actor=finance, paid_at=paid_on, reference="ACH-2026-0931"
        )
    # The daily job, the day after the claim deadline.
    with as_of(old_pool.claim_deadline + timedelta(days=1)):
        services.pool_roll_over(pool=old_pool)


def _attach_proof(claim, title: str, actor) -> None:
    for kind in services.required_proof(claim):
        services.claim_attach_proof(
            claim=claim, proof_kind=kind, upload=_proof_file(kind.slug, title), actor=actor
        )


def _partner_story(partner, pool, types, finance, today) -> None:
    """Requests and claims in every state for one partner, in date order (so its
    statement reads as a history): requests made six weeks ago and approved two days
    later, activities a month ago, claims a few days after them, decided within a
    week, one paid today; this week's requests still in progress."""
    allocation = partner.allocations.get(pool=pool)
    marketer = Membership.objects.get(partner=partner, role=Membership.Role.MARKETER).user
    manager = partner.channel_manager
    asked, ran = today - timedelta(days=40), today - timedelta(days=30)
    claimed, decided = ran + timedelta(days=4), ran + timedelta(days=9)

    def request(title, activity, cost, *, starts, days=1, submit=True, kit=None):
        # Attribution by linkage: the request names the launch it funds.
        launch = Launch.objects.filter(partner=partner, kit__slug=kit).first() if kit else None
        fund_request = services.request_create(
            launch=launch,
            partner=partner,
            allocation=allocation,
            activity_type=types[activity],
            title=title,
            description=f"{title}: joint campaign with {partner.name}.",
            activity_start=starts,
            activity_end=starts + timedelta(days=days),
            requested_amount=cost,
            expected_leads=60,
            expected_pipeline="150000.00",
            actor=marketer,
        )
        if submit:
            services.request_submit(fund_request=fund_request, actor=marketer)
        return fund_request

    def claim(fund_request, amount, *, submit=True):
        draft = services.claim_create(
            fund_request=fund_request,
            amount=amount,
            actor=marketer,
            actual_leads=48,
            actual_pipeline="120000.00",
            results_note="Good turnout; follow-ups under way.",
        )
        if submit:
            _attach_proof(draft, fund_request.title, marketer)
            services.claim_submit(claim=draft, actor=marketer)
        return draft

    with as_of(asked):
        summit = request(
            "Regional partner summit booth",
            "event",
            "6000.00",
            starts=ran,
            kit="zero-trust-webinars",
        )
        ads = request(
            "LinkedIn ads: cloud migration",
            "digital-ads",
            "4000.00",
            starts=ran,
            kit="cloud-migration-accelerator",
        )
        webinar = request(
            "Security webinar series", "webinar", "3000.00", starts=ran, kit="zero-trust-webinars"
        )
        emails = request(
            "Email nurture: Q1 launch",
            "email",
            "2000.00",
            starts=ran,
            kit="secure-edge-2027-launch",
        )
        syndication = request(
            "Content syndication: buyer's guide", "content-syndication", "2500.00", starts=ran
        )
        roadshow = request("City roadshow", "event", "5000.00", starts=ran)
    with as_of(asked + timedelta(days=2)):
        summit, ads, webinar, emails, syndication = (
            services.request_decide(
                fund_request=fund_request, actor=manager, approve=True, note="Fits the joint plan."
            )
            for fund_request in (summit, ads, webinar, emails, syndication)
        )
        roadshow = services.request_decide(
            fund_request=roadshow,
            actor=manager,
            approve=True,
            approved_amount="4000.00",
            note="Fits the joint plan; two cities, not three.",
        )
    with as_of(claimed):
        paid = claim(summit, "5800.00")
        partly = claim(ads, "4000.00")
        returned = claim(webinar, "2500.00")
        rejected = claim(syndication, "2500.00")
    with as_of(decided):
        services.claim_decide(
            claim=paid, actor=finance, decision="approve", note="All proof present."
        )
        services.claim_decide(
            claim=partly,
            actor=finance,
            decision="approve",
            approved_amount="3200.00",
            note="One invoice line is outside the campaign dates.",
        )
        services.claim_decide(
            claim=returned, actor=finance, decision="return", note="The attendee list is empty."
        )
        services.claim_decide(
            claim=rejected,
            actor=finance,
            decision="reject",
            note="The leads are outside the region.",
        )
    # Waiting for finance (submitted two days ago); a draft claim with money still to claim.
    with as_of(today - timedelta(days=2)):
        claim(emails, "1800.00")
    with as_of(today - timedelta(days=1)):
        claim(roadshow, "1500.00", submit=False)
    # Paid today; this week's requests in the other states.
    future = today + timedelta(days=20)
    with as_of(today):
        services.claim_record_payment(
            claim=paid, actor=finance, paid_at=today, reference=f"ACH-{today:%Y%m%d}-118"
        )
        request("Holiday print mailer", "email", "1500.00", starts=future, submit=False)
        request("Partner dinner", "event", "2200.00", starts=future)
        big = request("Flagship conference sponsorship", "event", "12000.00", starts=future)
        services.request_decide(
            fund_request=big,
            actor=manager,
            approve=True,
            note="Strategic; needs finance sign-off.",
        )
        turned_down = request("Radio spots", "digital-ads", "3000.00", starts=future)
        services.request_decide(
            fund_request=turned_down,
            actor=manager,
            approve=False,
            note="Radio is outside the programme's eligible activities.",
        )
        withdrawn = request("Trade fair booth", "event", "2600.00", starts=future)
        services.request_cancel(fund_request=withdrawn, actor=marketer)

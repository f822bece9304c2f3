"""Demo data: tiers, regions, languages, ~20 partners, users of every role.

`seed_demo` is idempotent: records are found by their natural keys (slug,
username, code) and only created when missing, so a second run adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django_scopes import scopes_disabled

from partners import roles
from partners.models import Language, Membership, Partner, Region, Tier
from partners.services import membership_create, partner_create

DEMO_PASSWORD = "partnerhub-demo"  # noqa: S105 - published demo credential

# What each tier gets today (each later feature adds its own words).
TIERS = [
    ("registered", "Registered", 10, "Portal access and the content library."),
    ("silver", "Silver", 20, "Co-branded content and market development funds when allocated."),
    ("gold", "Gold", 30, "Co-branded content and a market development fund allocation."),
    (
        "platinum",
        "Platinum",
        40,
        "A dedicated channel manager and the largest market development fund allocation.",
    ),
]
REGIONS = [("na", "North America"), ("emea", "EMEA"), ("apac", "APAC"), ("latam", "Latin America")]
LANGUAGES = [
    ("en", "English"),
    ("de", "German"),
    ("fr", "French"),
    ("es", "Spanish"),
    ("pt", "Portuguese"),
    ("ja", "Japanese"),
]

STAFF = [
    # username, first, last, role, superuser
    ("admin", "Ada", "Admin", None, True),
    ("marketing", "Maya", "Marketing", roles.MARKETING_ADMIN, False),
    ("channel", "Carlos", "Channel", roles.CHANNEL_MANAGER, False),
    ("channel2", "Chloe", "Channel", roles.CHANNEL_MANAGER, False),
    ("finance", "Fiona", "Finance", roles.FINANCE_APPROVER, False),
    ("analyst", "Andre", "Analyst", roles.ANALYST, False),
]


@dataclass(frozen=True)
class DemoPartner:
    slug: str
    name: str
    partner_type: str
    tier: str
    status: str
    regions: tuple[str, ...]
    languages: tuple[str, ...]
    manager: str


P = Partner.Type
S = Partner.Status
PARTNERS = [
    DemoPartner(
        "northwind",
        "Northwind Solutions",
        P.RESELLER,
        "gold",
        S.ACTIVE,
        ("na",),
        ("en",),
        "channel",
    ),
    DemoPartner(
        "contoso",
        "Contoso Systems",
        P.MSP,
        "platinum",
        S.ACTIVE,
        ("na", "emea"),
        ("en", "fr"),
        "channel",
    ),
    DemoPartner(
        "fabrikam",
        "Fabrikam Distribution",
        P.DISTRIBUTOR,
        "platinum",
        S.ACTIVE,
        ("emea",),
        ("de", "en"),
        "channel2",
    ),
    DemoPartner(
        "tailspin",
        "Tailspin Networks",
        P.RESELLER,
        "silver",
        S.ACTIVE,
        ("na",),
        ("en", "es"),
        "channel",
    ),
    DemoPartner(
        "wingtip",
        "Wingtip Cloud Services",
        P.MSP,
        "gold",
        S.ACTIVE,
        ("apac",),
        ("en", "ja"),
        "channel2",
    ),
    DemoPartner(
        "adventure",
        "Adventure Works IT",
        P.REFERRAL,
        "registered",
        S.ACTIVE,
        ("latam",),
        ("es", "pt"),
        "channel2",
    ),
    DemoPartner(
        "litware",
        "Litware Integrations",
        P.TECHNOLOGY,
        "silver",
        S.ACTIVE,
        ("emea",),
        ("en",),
        "channel",
    ),
    DemoPartner(
        "proseware",
        "Proseware Consulting",
        P.RESELLER,
        "registered",
        S.ONBOARDING,
        ("emea",),
        ("fr",),
        "channel2",
    ),
    DemoPartner(
        "lucerne", "Lucerne Data", P.MSP, "silver", S.ACTIVE, ("emea",), ("de",), "channel"
    ),
    DemoPartner(
        "alpine",
        "Alpine Ski Tech",
        P.REFERRAL,
        "registered",
        S.APPLICANT,
        ("emea",),
        ("de", "fr"),
        "channel",
    ),
    DemoPartner(
        "blueyonder",
        "Blue Yonder Partners",
        P.DISTRIBUTOR,
        "gold",
        S.ACTIVE,
        ("apac",),
        ("en",),
        "channel2",
    ),
    DemoPartner(
        "coho", "Coho Digital", P.RESELLER, "silver", S.SUSPENDED, ("na",), ("en",), "channel"
    ),
    DemoPartner(
        "fourthcoffee",
        "Fourth Coffee Tech",
        P.REFERRAL,
        "registered",
        S.TERMINATED,
        ("na",),
        ("en",),
        "channel",
    ),
    DemoPartner(
        "graphic",
        "Graphic Design Institute",
        P.TECHNOLOGY,
        "registered",
        S.ONBOARDING,
        ("latam",),
        ("pt",),
        "channel2",
    ),
    DemoPartner(
        "humongous",
        "Humongous Insurance IT",
        P.MSP,
        "platinum",
        S.ACTIVE,
        ("na",),
        ("en",),
        "channel",
    ),
    DemoPartner(
        "margie",
        "Margie's Travel Systems",
        P.RESELLER,
        "registered",
        S.APPLICANT,
        ("apac",),
        ("en", "ja"),
        "channel2",
    ),
    DemoPartner(
        "nod",
        "Nod Publishers Tech",
        P.RESELLER,
        "silver",
        S.ACTIVE,
        ("emea",),
        ("fr", "en"),
        "channel",
    ),
    DemoPartner(
        "relecloud", "Relecloud", P.MSP, "gold", S.ACTIVE, ("latam", "na"), ("es", "en"), "channel2"
    ),
    DemoPartner(
        "trey", "Trey Research Labs", P.TECHNOLOGY, "gold", S.ACTIVE, ("na",), ("en",), "channel"
    ),
    DemoPartner(
        "woodgrove",
        "Woodgrove Reseller Group",
        P.DISTRIBUTOR,
        "silver",
        S.ONBOARDING,
        ("apac",),
        ("en",),
        "channel2",
    ),
]
ROLE_USERS = [
    ("admin", Membership.Role.ADMIN),
    ("marketer", Membership.Role.MARKETER),
    ("sales", Membership.Role.SALES),
]


@lru_cache(maxsize=1)
def _demo_password_hash() -> str:
    # Hashing is deliberately slow; the demo users share one password, so hash it once.
    return make_password(DEMO_PASSWORD)


def _user(username: str, *, first: str, last: str, staff: bool, superuser: bool = False):
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=username,
        defaults={
            "first_name": first,
            "last_name": last,
            "email": f"{username}@demo.partnerhub.local",
            "is_staff": staff,
            "is_superuser": superuser,
        },
    )
    if created:
        user.password = _demo_password_hash()
        user.save(update_fields=["password"])
    return user


@transaction.atomic
def seed_demo() -> dict[str, int]:
    """Create what is missing; return how many of each kind were created."""
    created = {"tiers": 0, "partners": 0, "users": 0}
    for slug, name, rank, benefits in TIERS:
        _tier, was_created = Tier.objects.get_or_create(
            slug=slug, defaults={"name": name, "rank": rank, "benefits": benefits}
        )
        created["tiers"] += was_created
    for code, name in REGIONS:
        Region.objects.get_or_create(code=code, defaults={"name": name})
    for code, name in LANGUAGES:
        Language.objects.get_or_create(code=code, defaults={"name": name})

    User = get_user_model()
    before_users = User.objects.count()
    staff_users = {}
    for username, first, last, role, superuser in STAFF:
        user = _user(username, first=first, last=last, staff=True, superuser=superuser)
        if role:
            user.groups.add(Group.objects.get(name=role))
        staff_users[username] = user

    for demo in PARTNERS:
        partner = Partner.objects.filter(slug=demo.slug).first()
        if partner is None:
            partner = partner_create(
                actor=staff_users["marketing"],
                name=demo.name,
                slug=demo.slug,
                tier=Tier.objects.get(slug=demo.tier),
                partner_type=demo.partner_type,
                status=demo.status,
                channel_manager=staff_users[demo.manager],
                website=f"https://www.{demo.slug}.example",
                display_name=demo.name,
                contact_email=f"marketing@{demo.slug}.example",
                contact_phone="+1 555 0100",
                reason="Demo data",
            )
            partner.regions.set(Region.objects.filter(code__in=demo.regions))
            partner.languages.set(Language.objects.filter(code__in=demo.languages))
            created["partners"] += 1
        with scopes_disabled():
            for suffix, role in ROLE_USERS:
                username = f"{demo.slug}-{suffix}"
                user = _user(username, first=demo.name.split()[0], last=suffix.title(), staff=False)
                if not Membership.objects.filter(user=user).exists():
                    membership_create(partner=partner, user=user, role=role)
    created["users"] = User.objects.count() - before_users
    # The content library's demo (generated PDFs and images, some co-brandable).
    from assets.demo import seed_assets

    created["assets"] = seed_assets(actor=staff_users["marketing"])
    return created


def demo_logins() -> list[tuple[str, str, str]]:
    """(who, username, where) for the README and `make run`'s banner."""
    return [
        ("Superuser", "admin", "/admin/"),
        ("Marketing admin", "marketing", "/admin/"),
        ("Channel manager", "channel", "/admin/"),
        ("Finance approver", "finance", "/admin/"),
        ("Analyst (read-only)", "analyst", "/admin/"),
        ("Partner admin (Northwind, Gold)", "northwind-admin", "/portal/"),
        ("Partner marketer (Northwind)", "northwind-marketer", "/portal/"),
        ("Partner sales rep (Northwind)", "northwind-sales", "/portal/"),
        ("Partner admin (Contoso, Platinum)", "contoso-admin", "/portal/"),
    ]


# --- Enablement and tier compliance -------------------------------------------------------

# (slug, title, description, pass mark, validity months, how many library assets, quiz)
DEMO_TRACKS = [
    (
        "secure-backup-essentials",
        "Secure backup essentials",
        "What every seller of our backup platform needs to know: the datasheets, the "
        "ransomware story and how to position immutable copies.",
        75,
        12,
        3,
        [
            (
                "Which copies survive a ransomware attack?",
                [("Immutable, offsite copies", True), ("Copies on a shared drive", False)],
            ),
            (
                "How often should a customer test a restore?",
                [("Never: backups just work", False), ("At least every quarter", True)],
            ),
            (
                "What does the RPO measure?",
                [("The data a customer can afford to lose", True), ("Disk throughput", False)],
            ),
            (
                "Who should own the recovery plan?",
                [("A named person with a deputy", True), ("The backup vendor", False)],
            ),
        ],
    ),
    (
        "selling-managed-security",
        "Selling managed security",
        "Qualifying a managed security deal and pricing it per seat.",
        80,
        24,
        2,
        [
            (
                "What is the first question in qualifying a managed security deal?",
                [("Who is accountable for security today?", True), ("Which colour?", False)],
            ),
            (
                "How is managed security priced?",
                [("Per protected seat, per month", True), ("Once, per site", False)],
            ),
            (
                "What closes most managed security deals?",
                [("A recovery drill with the customer", True), ("A discount", False)],
            ),
        ],
    ),
]
# (partner slug, username suffix, track slug, months ago; an expired one is > validity)
DEMO_CERTIFICATIONS = [
    ("contoso", "admin", "secure-backup-essentials", 2),
    ("contoso", "marketer", "secure-backup-essentials", 5),
    ("contoso", "sales", "selling-managed-security", 1),
    ("northwind", "marketer", "secure-backup-essentials", 3),
    ("northwind", "sales", "secure-backup-essentials", 14),  # expired
    ("fabrikam", "admin", "secure-backup-essentials", 16),  # expired
    ("wingtip", "admin", "selling-managed-security", 4),
]
# tier slug: (window days, min revenue USD, min won deals, min leads, min certified users)
DEMO_REQUIREMENTS = {
    "silver": (90, None, None, 20, 1),
    "gold": (365, "150000", 5, None, 2),
    "platinum": (365, "600000", 15, None, 3),
}


def seed_enablement(*, actor) -> int:
    """Two tracks built from the demo library with their quizzes, certified users (some
    expired, one failed try), tier requirements for the demo tiers, and today's tier
    assessments (run after the analytics demo is rolled up). Idempotent: tracks by
    slug, certifications only for a track that has none; returns tracks created."""
    from datetime import timedelta

    from django.utils import timezone

    from assets.models import Asset
    from partners.models import (
        Certification,
        EnablementTrack,
        QuizAttempt,
        QuizChoice,
        QuizQuestion,
        TierRequirement,
        TrackAsset,
    )
    from partners.services import quiz_submit, tier_assess_all

    created = 0
    library = list(
        Asset.objects.live()
        .filter(audience_scope="everyone")
        .order_by("title")
        .values_list("pk", flat=True)
    )
    offset = 0
    tracks = {}
    for slug, title, description, pass_mark, months, asset_count, quiz in DEMO_TRACKS:
        track, was_created = EnablementTrack.objects.get_or_create(
            slug=slug,
            defaults={
                "title": title,
                "description": description,
                "pass_mark": pass_mark,
                "validity_months": months,
            },
        )
        tracks[slug] = track
        if was_created:
            created += 1
            for position, asset_id in enumerate(library[offset : offset + asset_count], start=1):
                TrackAsset.objects.create(track=track, asset_id=asset_id, position=position)
            for position, (text, choices) in enumerate(quiz, start=1):
                question = QuizQuestion.objects.create(track=track, text=text, position=position)
                for order, (answer, correct) in enumerate(choices, start=1):
                    QuizChoice.objects.create(
                        question=question, text=answer, correct=correct, position=order
                    )
        offset += asset_count

    now = timezone.now()
    User = get_user_model()
    with scopes_disabled():
        for partner_slug, suffix, track_slug, months_ago in DEMO_CERTIFICATIONS:
            track = tracks[track_slug]
            user = User.objects.filter(username=f"{partner_slug}-{suffix}").first()
            partner = Partner.objects.filter(slug=partner_slug).first()
            if user is None or partner is None:
                continue
            if Certification.objects.filter(track=track, user=user).exists():
                continue
            _study(track, partner, user)
            right = {
                str(q.pk): next(c.pk for c in q.choices.all() if c.correct)
                for q in track.questions.prefetch_related("choices")
            }
            attempt = quiz_submit(partner=partner, user=user, track=track, answers=right)
            earned = now - timedelta(days=30 * months_ago)
            QuizAttempt.objects.filter(pk=attempt.pk).update(at=earned)
            certification = Certification.objects.get(attempt=attempt)
            certification.earned_at = earned
            certification.expires_at = earned + timedelta(days=30 * (track.validity_months or 0))
            certification.save(update_fields=["earned_at", "expires_at"])
        # One failed try, so the staff completion page shows takers who did not pass.
        northwind_admin = User.objects.filter(username="northwind-admin").first()
        track = tracks["selling-managed-security"]
        northwind = Partner.objects.filter(slug="northwind").first()
        if (
            northwind_admin
            and northwind
            and not QuizAttempt.objects.filter(user=northwind_admin, track=track).exists()
        ):
            _study(track, northwind, northwind_admin)
            wrong = {
                str(q.pk): next(c.pk for c in q.choices.all() if not c.correct)
                for q in track.questions.prefetch_related("choices")
            }
            quiz_submit(partner=northwind, user=northwind_admin, track=track, answers=wrong)

    for tier_slug, (window, revenue, won, leads, certified) in DEMO_REQUIREMENTS.items():
        tier = Tier.objects.filter(slug=tier_slug).first()
        if tier is not None:
            TierRequirement.objects.get_or_create(
                tier=tier,
                defaults={
                    "window_days": window,
                    "min_revenue": revenue,
                    "currency": "USD",
                    "min_won_deals": won,
                    "min_leads": leads,
                    "min_certified_users": certified,
                },
            )
    tier_assess_all(today=timezone.localdate())
    return created


def _study(track, partner, user) -> None:
    """The user downloads every asset of the track (what opens its quiz)."""
    from assets.models import AssetVersion
    from assets.services import download_record

    for item in track.items.all():
        version = AssetVersion.objects.filter(asset_id=item.asset_id, is_current=True).first()
        if version is not None:
            download_record(partner=partner, version=version, user=user)

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


# --- Onboarding: program agreements and the checklist ---------------------------------

AGREEMENT_TEXT = "\n".join(
    [
        "1. The partner markets the vendor's products under the vendor's brand guidelines.",
        "2. Co-branded content is used only with the partner's own customers and prospects.",
        "3. Market development funds are spent on the approved activities, proven with proof.",
        "4. Customer data shared through the portal is protected as the processing terms require.",
    ]
)
# Partners that accepted version 2 (published three days ago); the other partners with
# people accepted version 1 only, so their portal shows the banner. Proseware never
# accepted anything: its admin is sent to the agreement first.
ACCEPTED_V2 = {
    "northwind",
    "contoso",
    "fabrikam",
    "humongous",
    "relecloud",
    "trey",
    "blueyonder",
    "nod",
    "woodgrove",
    "graphic",
}
NEVER_ACCEPTED = {"proseware"}
# (title, kind, tier slug or None, due in days, required, what to do)
ONBOARDING_STEPS = [
    ("Accept the partner program agreement", "accept_agreement", None, 3, True, ""),
    ("Complete your company profile", "company_profile", None, 7, True,
     "Display name, contact email, phone, website and address: co-branded content uses them."),
    ("Upload your logo", "upload_logo", None, 7, True, "PNG, JPEG or WEBP."),
    ("Invite a teammate", "invite_teammate", None, 14, True,
     "Invite your marketer or sales rep from the Team page."),
    ("Download the partner welcome datasheet", "download_asset", None, 14, True, ""),
    ("Kick-off call with your channel manager", "custom", None, 10, True,
     "Your channel manager confirms it after the call."),
    ("Launch your first campaign", "launch_campaign", None, 30, True,
     "Pick a campaign kit and launch it under your brand."),
    ("Complete an enablement track", "complete_track", "silver", 45, False,
     "Silver partners and above: certify a first seller."),
]  # fmt: skip
# (partner slug, days since onboarding started, {step kind: days ago it was done})
ONBOARDING_STAGES = [
    ("proseware", 5, {}),  # just approved: the agreement comes first
    ("graphic", 40, {"accept_agreement": 38, "company_profile": 35}),  # stalled, overdue
    (
        "woodgrove",
        8,
        {
            "accept_agreement": 8,
            "company_profile": 7,
            "upload_logo": 7,
            "invite_teammate": 5,
            "download_asset": 2,
        },
    ),  # nearly there: the kick-off call and a first launch to go
]


def seed_onboarding(*, actor) -> int:
    """Agreement v1 (accepted by the partners with people) and v2 (published three days
    ago, accepted by some), the checklist's steps of every kind, and the onboarding
    partners at different stages (one stalled with overdue steps). Idempotent: versions,
    steps, acceptances and completions are found before they are made; returns how many
    steps were created."""
    from datetime import timedelta

    from django.utils import timezone

    from assets.models import Asset
    from partners.models import (
        AgreementAcceptance,
        EnablementTrack,
        OnboardingCompletion,
        OnboardingStep,
        ProgramAgreement,
    )
    from partners.services import agreement_create, agreement_publish

    now = timezone.now()
    today = timezone.localdate()
    versions = {}
    for version, title, days_ago in (
        (1, "Partner program agreement", 400),
        (2, "Partner program agreement 2027", 3),
    ):
        agreement = ProgramAgreement.objects.filter(version=version).first()
        if agreement is None:
            draft = agreement_create(
                actor=actor, title=title, text=AGREEMENT_TEXT, effective_date=today
            )
            agreement = agreement_publish(agreement=draft, actor=actor)
            # Back-dated, as if published then (the services stamp "now").
            ProgramAgreement.objects.filter(pk=agreement.pk).update(
                effective_date=today - timedelta(days=days_ago),
                published_at=now - timedelta(days=days_ago),
            )
        versions[version] = agreement

    with scopes_disabled():
        admins = {
            m.partner.slug: m.user
            for m in Membership.objects.filter(
                role=Membership.Role.ADMIN, user__api_key__isnull=True
            ).select_related("partner", "user")
        }
        for slug, user in admins.items():
            if slug in NEVER_ACCEPTED:
                continue
            partner = Partner.objects.get(slug=slug)
            accepted = [versions[1]] + ([versions[2]] if slug in ACCEPTED_V2 else [])
            for agreement in accepted:
                # Straight to the table: the demo back-dates what partners did long ago.
                acceptance, made = AgreementAcceptance.objects.get_or_create(
                    agreement=agreement,
                    partner=partner,
                    defaults={"user": user, "ip_address": "198.51.100.20"},
                )
                if made:
                    days = 300 if agreement.version == 1 else 2
                    AgreementAcceptance.objects.filter(pk=acceptance.pk).update(
                        accepted_at=now - timedelta(days=days)
                    )

        asset = Asset.objects.filter(status=Asset.Status.PUBLISHED).order_by("id").first()
        track = EnablementTrack.objects.filter(active=True).order_by("id").first()
        created = 0
        steps = {}
        for position, (title, kind, tier, due, required, description) in enumerate(
            ONBOARDING_STEPS
        ):
            extra = {}
            if kind == "download_asset":
                if asset is None:
                    continue
                extra["asset"] = asset
            if kind == "complete_track":
                if track is None:
                    continue  # the enablement demo makes the tracks; a second run adds it
                extra["track"] = track
            step, made = OnboardingStep.objects.get_or_create(
                title=title,
                defaults={
                    "kind": kind,
                    "tier": Tier.objects.filter(slug=tier).first() if tier else None,
                    "position": position * 10,
                    "due_days": due,
                    "required": required,
                    "description": description,
                    **extra,
                },
            )
            created += made
            steps[kind] = step

        for slug, started_days, done in ONBOARDING_STAGES:
            partner = Partner.objects.filter(slug=slug, status=Partner.Status.ONBOARDING).first()
            if partner is None:
                continue
            Partner.objects.filter(pk=partner.pk).update(
                created_at=now - timedelta(days=started_days)
            )
            for kind, days_ago in done.items():
                if kind not in steps:
                    continue
                completion, made = OnboardingCompletion.objects.get_or_create(
                    partner=partner, step=steps[kind], defaults={"completed_by": admins.get(slug)}
                )
                if made:
                    OnboardingCompletion.objects.filter(pk=completion.pk).update(
                        completed_at=now - timedelta(days=days_ago)
                    )
    return created

"""Demo data: tiers, regions, languages, ~20 partners, users of every role.

`seed_demo` is idempotent: records are found by their natural keys (slug,
username, code) and only created when missing, so a second run adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

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
            # One at a time, in the listed order: the first one we ship is the language
            # the partner's people read by default (partners.services.user_language).
            for code in demo.languages:
                partner.languages.add(Language.objects.get(code=code))
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
        ("Partner admin (Fabrikam, German)", "fabrikam-admin", "/portal/"),
    ]


# --- The voice of the partner: ratings and the partner survey ---------------------------

# (partner, user suffix, "asset" title or "kit" slug, rating, comment)
RATINGS = [
    ("northwind", "marketer", "asset", "Cloud Backup for small businesses", 5, ""),
    ("northwind", "admin", "asset", "Q1 campaign brochure", 2, "Still shows last year's prices."),
    (
        "contoso",
        "marketer",
        "asset",
        "Q1 campaign brochure",
        1,
        "No French version; we cannot use it.",
    ),
    (
        "contoso",
        "admin",
        "asset",
        "Secure Edge Platform datasheet",
        4,
        "Clear, but needs MSP pricing.",
    ),
    (
        "fabrikam",
        "marketer",
        "asset",
        "World Backup Day square post",
        2,
        "The image is too small for LinkedIn.",
    ),
    ("tailspin", "marketer", "asset", "Cloud Backup for small businesses", 4, ""),
    (
        "wingtip",
        "marketer",
        "asset",
        "Webinar invitation email template",
        3,
        "Good, but only in English.",
    ),
    (
        "northwind",
        "marketer",
        "kit",
        "cloud-migration-accelerator",
        5,
        "Our best campaign this year.",
    ),
    ("contoso", "marketer", "kit", "cloud-migration-accelerator", 4, ""),
    (
        "tailspin",
        "admin",
        "kit",
        "ransomware-readiness",
        2,
        "The landing page converts poorly for us.",
    ),
    ("fabrikam", "admin", "kit", "ransomware-readiness", 1, "Paid search budget far too small."),
    ("wingtip", "admin", "kit", "secure-edge-2027-launch", 4, ""),
]
SURVEY_TITLE = "Partner program pulse"
SURVEY_QUESTIONS = [
    "What should we do better?",
    "Which part of the program helps you most?",
]
SURVEY_COMMENTS = [
    ("Faster MDF claim payments.", "The co-branded content."),
    ("More content in German and French.", "Campaign kits ready to launch."),
    ("A clearer deal registration process.", "Our channel manager."),
    ("", "Market development funds."),
]


def seed_voice(*, today: Any = None) -> int:
    """Ratings on assets and kits (some low, with comments) and a partner survey with
    two past rounds answered by demo users and one open round; returns how many
    ratings and survey answers were created. Idempotent: ratings are one per user and
    item, and the survey is seeded once (found by its title)."""
    import random
    from datetime import datetime, time, timedelta

    from django.core.exceptions import ValidationError
    from django.utils import timezone

    from assets.models import Asset
    from campaigns.models import CampaignKit
    from partners.models import ContentRating, Survey, SurveyResponse, SurveyRound, SurveySend
    from partners.services import add_months, rating_save, survey_recipients, survey_response_submit

    today = today or timezone.localdate()
    User = get_user_model()
    created = 0
    with scopes_disabled():
        for slug, suffix, kind, name, value, comment in RATINGS:
            user = User.objects.filter(username=f"{slug}-{suffix}").first()
            partner = Partner.objects.filter(slug=slug).first()
            item = (
                Asset.objects.filter(title=name).first()
                if kind == "asset"
                else CampaignKit.objects.filter(slug=name).first()
            )
            if user is None or partner is None or item is None:
                continue
            if ContentRating.objects.filter(user=user, **{kind: item}).exists():
                continue
            try:
                rating_save(
                    actor=user, partner=partner, rating=value, comment=comment, **{kind: item}
                )
            except ValidationError:
                continue  # not in this partner's audience
            created += 1

        if Survey.objects.filter(title=SURVEY_TITLE).exists():
            return created
        with transaction.atomic():
            survey = Survey.objects.create(
                title=SURVEY_TITLE,
                intro="Twice a year we ask how the partner program works for you.",
                interval_months=6,
                open_days=21,
                reminder_days=5,
            )
            for position, text in enumerate(SURVEY_QUESTIONS, start=1):
                survey.questions.create(position=position, text=text)
            questions = list(survey.questions.all())
            recipients = survey_recipients()
            rng = random.Random(19)
            # Two past rounds (the trend), the program improving; an open one (started
            # five days ago) that Northwind's people have not answered yet (try it).
            starts = [
                today - timedelta(days=365),
                today - timedelta(days=182),
                today - timedelta(days=5),
            ]
            for number, opens_on in enumerate(starts, start=1):
                survey_round = SurveyRound.objects.create(
                    survey=survey,
                    number=number,
                    opens_on=opens_on,
                    closes_on=opens_on + timedelta(days=survey.open_days - 1),
                    reminded_at=None if number == 3 else timezone.now(),
                )
                sent_at = timezone.make_aware(datetime.combine(opens_on, time(8)))
                SurveySend.objects.bulk_create(
                    SurveySend(
                        round=survey_round,
                        partner_id=partner_id,
                        user_id=user_id,
                        email=email,
                        kind=SurveySend.Kind.INVITATION,
                        sent_at=sent_at,
                    )
                    for partner_id, user_id, email in recipients
                )
                for _partner_id, user_id, _email in recipients:
                    user = User.objects.select_related("membership__partner").get(pk=user_id)
                    if number == 3 and (
                        user.membership.partner.slug == "northwind" or rng.random() < 0.5
                    ):
                        continue
                    if rng.random() < 0.2:
                        continue  # not everyone answers
                    # Round by round, fewer detractors and more promoters.
                    score = min(10, max(0, round(rng.gauss(6.8 + 0.7 * number, 2.2))))
                    texts = SURVEY_COMMENTS[rng.randrange(len(SURVEY_COMMENTS))]
                    response = survey_response_submit(
                        survey_round=survey_round,
                        actor=user,
                        score=score,
                        answers={q.pk: text for q, text in zip(questions, texts, strict=True)},
                        today=opens_on + timedelta(days=2),
                    )
                    SurveyResponse.objects.filter(pk=response.pk).update(
                        answered_at=sent_at + timedelta(days=rng.randint(0, 6), hours=3)
                    )
                    created += 1
            survey.next_send_on = add_months(starts[-1], survey.interval_months)
            survey.save(update_fields=["next_send_on"])
    return created


# --- recruitment: applications waiting for review, and invitations (after the results, so
# the fit scores compare with the demo's performers) -------------------------------------------

DEMO_APPLICATIONS = [
    # company, website, email, country, type, size, regions, languages, how they sell
    (
        "Alpine Data Systems",
        "https://www.alpine-data.example",
        "lena.berg@alpine-data.example",
        "AT",
        Partner.Type.DISTRIBUTOR,
        "51-200",
        ("emea",),
        ("de", "en"),
        "marketplace",
    ),
    (
        "Harbor MSP",
        "https://harbor-msp.example",
        "sam@harbor-msp.example",
        "US",
        Partner.Type.MSP,
        "11-50",
        ("na",),
        ("en",),
        "managed",
    ),
    (
        "Sakura Referral Partners",
        "https://sakura-referral.example",
        "yui@sakura-referral.example",
        "JP",
        Partner.Type.REFERRAL,
        "1-10",
        ("apac",),
        ("ja",),
        "referral",
    ),
    (  # the same company as a partner already in the program: flagged as a duplicate
        "Northwind Solutions Europe",
        "https://eu.northwind.example",
        "emma@northwind.example",
        "GB",
        Partner.Type.RESELLER,
        "51-200",
        ("emea",),
        ("en",),
        "resale",
    ),
    (  # rejected below
        "Quick Deals Ltd",
        "https://quick-deals.example",
        "info@quick-deals.example",
        "GB",
        Partner.Type.RESELLER,
        "1-10",
        ("emea",),
        ("en",),
        "resale",
    ),
]
DEMO_INVITATIONS = [
    ("northwind", "new.marketer@northwind.example", Membership.Role.MARKETER),
    ("contoso", "sales.lead@contoso.example", Membership.Role.SALES),
]


@transaction.atomic
def seed_recruitment() -> int:
    """Pending applications (one a duplicate, fit scores that differ), a rejected one, and
    pending invitations; found by email, so a second run adds nothing. Returns how many
    applications it created."""
    from partners.models import Invitation, PartnerApplication
    from partners.services.recruitment import (
        application_refit,
        application_reject,
        application_submit,
        invitation_create,
    )

    User = get_user_model()
    marketing = User.objects.get(username="marketing")
    created = 0
    for number, row in enumerate(DEMO_APPLICATIONS):
        company, website, email, country, kind, size, regions, languages, motion = row
        if PartnerApplication.objects.filter(contact_email=email).exists():
            continue
        application = application_submit(
            data={
                "company": company,
                "website": website,
                "country": country,
                "regions": list(Region.objects.filter(code__in=regions)),
                "partner_type": kind,
                "size": size,
                "specialties": "",
                "languages": list(Language.objects.filter(code__in=languages)),
                "contact_name": email.split("@")[0].replace(".", " ").title(),
                "contact_email": email,
                "contact_phone": "",
                "sales_motion": motion,
                "message": "",
            },
            ip=f"demo-{number}",  # each its own address: the rate limit is per address
        )
        created += 1
        if company == "Quick Deals Ltd":
            application_reject(
                application=application,
                actor=marketing,
                reason="We look for partners with a services practice around the product.",
            )
    for application in PartnerApplication.objects.filter(status="pending", fit_score=None):
        application_refit(application=application)  # the results arrived after it
    with scopes_disabled():
        for slug, email, role in DEMO_INVITATIONS:
            partner = Partner.objects.filter(slug=slug).first()
            if partner is None or Invitation.objects.filter(partner=partner, email=email).exists():
                continue
            inviter = User.objects.get(username=f"{slug}-admin")
            invitation_create(partner=partner, email=email, role=role, actor=inviter)
    return created


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

"""The whole onboarding journey in a real browser, as issue 20 tells it: a company
applies at /apply/ → staff approve it in the admin → the contact follows the
invitation email's link and sets a password → the portal sends them to accept the
program agreement → the checklist completes itself as the partner acts (profile, logo,
a download, a first launch) → the partner is active, and its channel manager is told.
axe-core finds no serious or critical problem on the new pages on the way."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.cache import cache
from django.utils import timezone
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from campaigns import services as campaign_services
from campaigns.models import CampaignKit
from partners.models import (
    Language,
    OnboardingCompletion,
    OnboardingStep,
    Partner,
    PartnerAuditEntry,
    Region,
)
from partners.services import agreement_create, agreement_publish
from tests.assets.factories import image_bytes, make_asset
from tests.browser.conftest import DESKTOP
from tests.browser.test_portal_browser import assert_accessible
from tests.conftest import PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

Kind = OnboardingStep.Kind


@pytest.fixture
def program(tiers, staff_users):
    """What staff set up before anyone applies: regions and languages, the published
    agreement, a datasheet and a campaign kit, and the checklist naming them."""
    cache.clear()  # the application form's rate limit counts per address
    maya = staff_users["marketing_admin"]
    Region.objects.get_or_create(code="dach", defaults={"name": "DACH"})
    Language.objects.get_or_create(code="de", defaults={"name": "German"})
    Language.objects.get_or_create(code="en", defaults={"name": "English"})
    agreement = agreement_create(
        actor=maya,
        title="Partner program agreement",
        text="The partner markets the vendor's products fairly and protects customer data.",
        effective_date=timezone.localdate(),
    )
    agreement_publish(agreement=agreement, actor=maya)
    asset = make_asset(actor=maya, title="Cloud Backup Datasheet")
    today = timezone.localdate()
    kit = campaign_services.kit_create(
        actor=maya,
        name="Backup week",
        slug="backup-week",
        objective=CampaignKit.Objective.LEAD_GENERATION,
        description="Emails about backups, with a free assessment.",
        channels=["email"],
        start_date=today - timedelta(days=1),
        end_date=today + timedelta(days=60),
        landing_url="https://vendor.example.com/backup",
    )
    campaign_services.kit_publish(kit=kit, actor=maya)
    steps = [
        ("Accept the program agreement", Kind.ACCEPT_AGREEMENT, {}),
        ("Complete your company profile", Kind.COMPANY_PROFILE, {}),
        ("Upload your logo", Kind.UPLOAD_LOGO, {}),
        ("Download the backup datasheet", Kind.DOWNLOAD_ASSET, {"asset": asset}),
        ("Launch your first campaign", Kind.LAUNCH_CAMPAIGN, {}),
    ]
    for position, (title, kind, extra) in enumerate(steps):
        OnboardingStep.objects.create(
            title=title, kind=kind, position=position, due_days=7 * (position + 1), **extra
        )
    return {"asset": asset, "kit": kit}


def done_kinds(partner: Partner) -> set[str]:
    with scopes_disabled():
        return set(
            OnboardingCompletion.objects.filter(partner=partner).values_list(
                "step__kind", flat=True
            )
        )


def test_apply_approve_invite_accept_act_and_become_active(
    live_server, program, staff_users, new_page, tmp_path, screenshot, settings
):
    base = live_server.url
    settings.SITE_URL = base  # the links in emails point at this server
    manager = staff_users["channel_manager"]

    # A company applies, no login.
    public = new_page(DESKTOP)
    public.goto(f"{base}/apply/")
    form = public.get_by_role("main")
    form.get_by_label("Company name").fill("Acme Cloud GmbH")
    form.get_by_label("Website").fill("https://www.acme-cloud.example")
    form.get_by_label("Country of your head office").select_option("DE")
    form.get_by_label("DACH").check()
    form.get_by_label("Partner type").select_option("reseller")
    form.get_by_label("Company size").select_option(index=1)
    # English first: the company's people read the portal in English (this journey's
    # words); tests/browser/test_languages_browser.py walks the portal in German.
    form.get_by_label("English").check()
    form.get_by_label("German").check()
    form.get_by_label("Your name").fill("Anna Acme")
    form.get_by_label("Your work email").fill("anna@acme-cloud.example")
    form.get_by_label("How you sell").select_option(index=1)
    form.get_by_role("button", name=re.compile("apply|send|submit", re.I)).click()
    public.wait_for_url(re.compile(r".*/apply/thanks/$"))

    # Staff approve it: tier and channel manager.
    staff = new_page(DESKTOP)
    staff.goto(f"{base}/admin/login/")
    staff.get_by_label("Username").fill(staff_users["marketing_admin"].username)
    staff.get_by_label("Password").fill(PASSWORD)
    staff.get_by_role("button", name="Log in").click()
    staff.goto(f"{base}/admin/partners/partnerapplication/")
    staff.get_by_role("row", name=re.compile("Acme Cloud GmbH")).get_by_role(
        "link", name="Review"
    ).click()
    approve = staff.locator("form#approve")
    approve.get_by_label("Tier").select_option(label="Silver")
    approve.get_by_label("Channel manager").select_option(
        label=manager.get_full_name() or manager.username
    )
    approve.get_by_role("button", name="Approve and invite").click()
    staff.wait_for_url(re.compile(r".*/admin/partners/partner/\d+/change/$"))
    with scopes_disabled():
        partner = Partner.objects.get(name="Acme Cloud GmbH")
    assert partner.status == Partner.Status.ONBOARDING

    # The invitation email's link: set a password, and the portal opens.
    invitation = next(
        m for m in mail.outbox if m.to == ["anna@acme-cloud.example"] and "/invitations/" in m.body
    )
    link = re.search(r"https?://\S+/invitations/\S+", invitation.body).group(0)
    portal = new_page(DESKTOP)
    portal.goto(link)
    assert_accessible(portal, "invitation")
    portal.get_by_label("First name").fill("Anna")
    portal.get_by_label("Choose a password").fill("a-long-unusual-passphrase-42")
    portal.get_by_label("The password again").fill("a-long-unusual-passphrase-42")
    portal.get_by_role("button", name="Accept and log in").click()

    # Never accepted any version: the agreement comes first.
    portal.wait_for_url(re.compile(r".*/portal/agreement/\?next=.*"))
    main = portal.get_by_role("main")
    expect(main.get_by_role("heading", name="Partner program agreement", level=1)).to_be_visible()
    assert_accessible(portal, "agreement")
    screenshot(portal, "onboarding-agreement")
    main.get_by_role("button", name="I accept").click()
    portal.wait_for_url(f"{base}/portal/")
    assert done_kinds(partner) == {Kind.ACCEPT_AGREEMENT}
    card = portal.locator("#onboarding-card")
    assert "1 of 5 required steps done" in card.inner_text()
    expect(card.get_by_role("link", name="Complete your company profile")).to_be_visible()

    # The checklist: progress and what to do next, linked to where it is done.
    portal.get_by_role("link", name="See the whole checklist").click()
    portal.wait_for_url(f"{base}/portal/onboarding/")
    assert "20%" in main.inner_text()
    assert_accessible(portal, "onboarding checklist")
    screenshot(portal, "onboarding-checklist")
    main.get_by_role("link", name=re.compile("^Do it now")).click()
    portal.wait_for_url(f"{base}/portal/profile/")

    # The profile, then the logo: two steps complete themselves.
    main.get_by_label("Display name").fill("Acme Cloud")
    main.get_by_label("Phone").fill("+49 30 1234")
    main.get_by_label("Email").fill("partners@acme-cloud.example")
    main.get_by_label("Co-branding website").fill("https://www.acme-cloud.example")
    main.get_by_label("Address").fill("Hauptstr. 1\n10115 Berlin")
    logo = tmp_path / "acme-logo.png"
    logo.write_bytes(image_bytes("PNG", (300, 100)))
    main.locator("input[type=file]").set_input_files(str(logo))
    main.get_by_role("button", name=re.compile("^Save")).click()
    portal.wait_for_url(f"{base}/portal/profile/")
    assert done_kinds(partner) >= {Kind.COMPANY_PROFILE, Kind.UPLOAD_LOGO}

    # The datasheet, downloaded from the library.
    portal.goto(f"{base}/portal/onboarding/")
    main.get_by_role("link", name=re.compile("^Do it now")).click()
    portal.wait_for_url(re.compile(r".*/portal/library/[0-9a-f-]+/$"))
    downloads = portal.get_by_role("region", name="Download")
    with portal.expect_download():
        downloads.get_by_role(
            "link", name=re.compile("^Download Cloud Backup Datasheet")
        ).first.click()
    assert Kind.DOWNLOAD_ASSET in done_kinds(partner)

    # A first launch: the last required step, and the partner is active.
    portal.goto(f"{base}/portal/campaigns/kits/backup-week/")
    main.get_by_label("Channel").select_option("email")
    main.get_by_label("Name").fill("Our first backup campaign")
    main.get_by_role("button", name="Launch this campaign").click()
    portal.wait_for_url(re.compile(r".*/launches/[0-9A-Za-z]{10}/$"))
    partner.refresh_from_db()
    assert partner.status == Partner.Status.ACTIVE
    portal.goto(f"{base}/portal/onboarding/")
    assert "Onboarding is complete" in main.inner_text()
    assert "100%" in main.inner_text()
    assert_accessible(portal, "completed checklist")
    with scopes_disabled():
        activation = PartnerAuditEntry.objects.get(
            partner=partner, field="status", new_value="Active"
        )
    assert activation.reason == "Every required onboarding step is done."
    assert any(m.to == [manager.email] and "is now active" in m.subject for m in mail.outbox)

    # Staff see it on the progress page no more (only onboarding partners are listed).
    staff.goto(f"{base}/admin/partners/onboardingstep/progress/")
    assert "Acme Cloud GmbH" not in staff.get_by_role("main").inner_text()
    assert_accessible(staff, "staff onboarding progress")

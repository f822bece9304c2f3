"""Changing drafts in a real browser: a marketer edits a draft request and a claim,
removes a wrong proof file after confirming, and switches the overview between the
current period and all periods. axe-core finds no serious or critical problem.
Screenshots (desktop and mobile) land in test-artifacts/."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.utils import timezone
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from mdf import services
from mdf.models import ActivityType, ClaimProof, ProofKind
from tests.browser.conftest import DESKTOP, MOBILE
from tests.browser.test_portal_browser import assert_accessible, log_in
from tests.mdf.conftest import fresh, make_pool, pdf_bytes, upload

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def drafts(alice, staff_users):
    """A draft request, and a draft claim with a wrong invoice, in an open 50 % pool;
    a closed pool from last period beside it."""
    invoice = ProofKind.objects.create(slug="invoice", name="Invoice")
    event = ActivityType.objects.create(slug="event", name="Event")
    event.proof_kinds.set([invoice])
    admin = staff_users["marketing_admin"]
    today = timezone.localdate()
    closed = make_pool(
        name="FY26 H2 Europe",
        request_deadline=today - timedelta(days=90),
        claim_deadline=today - timedelta(days=10),
    )
    services.allocation_create(
        pool=closed, partner=alice.partner, amount="8000.00", actor=admin, reason="H2"
    )
    pool = make_pool(name="FY27 H1 Europe", percentage="50.00", total="500000.00")
    allocation = services.allocation_create(
        pool=pool, partner=alice.partner, amount="20000.00", actor=admin, reason="Gold tier H1"
    )

    def request(title, starts_in):
        start = timezone.localdate() + timedelta(days=starts_in)
        return services.request_create(
            partner=alice.partner,
            allocation=allocation,
            activity_type=event,
            title=title,
            description="Booth, demo station and lead scanning.",
            activity_start=start,
            activity_end=start + timedelta(days=1),
            requested_amount="3000.00",
            expected_leads=50,
            actor=alice.marketer,
        )

    # requested and approved three weeks ago; the activity ended last week
    past = timezone.make_aware(datetime.combine(today - timedelta(days=21), time(12)))
    with time_machine.travel(past, tick=False):
        summit = request("Cloud summit Munich booth", 7)
        services.request_submit(fund_request=summit, actor=alice.marketer)
        summit = services.request_decide(
            fund_request=summit, actor=staff_users["channel_manager"], approve=True, note="Fine"
        )
    claim = services.claim_create(
        fund_request=summit, amount="2800.00", actor=alice.marketer, actual_leads=40
    )
    services.claim_attach_proof(
        claim=claim,
        proof_kind=invoice,
        upload=upload("invoice-wrong-event.pdf", pdf_bytes()),
        actor=alice.marketer,
    )
    return {"draft": request("Retail roadshow", 40), "claim": claim, "summit": summit}


@pytest.mark.parametrize("viewport_name", ["desktop", "mobile"])
def test_a_marketer_changes_drafts_and_removes_a_wrong_file(
    live_server, alice, drafts, new_page, screenshot, viewport_name
):
    viewport = DESKTOP if viewport_name == "desktop" else MOBILE
    page = new_page(viewport)
    base = live_server.url
    log_in(page, base, alice.marketer.username)
    page.wait_for_url(f"{base}/portal/")

    # the overview: the current period, with the switch to all periods
    page.goto(f"{base}/portal/funds/")
    main = page.get_by_role("main")
    assert main.locator('[data-figure="allocated"]').inner_text() == "20,000.00 EUR"
    expect(main.get_by_text("Current period:")).to_be_visible()
    screenshot(page, f"drafts-overview-current-{viewport_name}")
    assert_accessible(page, "overview (current period)")
    main.get_by_role("link", name="All periods").click()
    page.wait_for_url(f"{base}/portal/funds/?period=all")
    assert main.locator('[data-figure="allocated"]').inner_text() == "28,000.00 EUR"
    screenshot(page, f"drafts-overview-all-{viewport_name}")

    # the draft request: Edit, change, save
    draft = drafts["draft"]
    page.goto(f"{base}/portal/funds/requests/{draft.uuid}/")
    page.get_by_role("main").get_by_role("link", name="Edit").click()
    page.wait_for_url(f"{base}/portal/funds/requests/{draft.uuid}/edit/")
    assert page.get_by_label("Activity title").input_value() == "Retail roadshow"
    page.get_by_label("Activity title").fill("Retail roadshow, three cities")
    page.get_by_label("Total activity cost").fill("3,600.00")
    screenshot(page, f"drafts-request-edit-{viewport_name}")
    assert_accessible(page, "request edit form")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url(f"{base}/portal/funds/requests/{draft.uuid}/")
    assert page.get_by_role("heading", level=1).inner_text() == "Retail roadshow, three cities"
    expect(page.get_by_text("Your changes were saved.")).to_be_visible()
    screenshot(page, f"drafts-request-detail-{viewport_name}")
    assert_accessible(page, "draft request detail")
    assert str(fresh(draft).requested_amount) == "3600.00"

    # the claim: change its amount, then remove the wrong invoice after confirming
    claim = drafts["claim"]
    page.goto(f"{base}/portal/funds/claims/{claim.uuid}/")
    page.get_by_role("link", name="Change amount and results").click()
    page.wait_for_url(f"{base}/portal/funds/claims/{claim.uuid}/edit/")
    page.get_by_label("Claimed cost").fill("2,750.00")
    screenshot(page, f"drafts-claim-edit-{viewport_name}")
    assert_accessible(page, "claim edit form")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url(f"{base}/portal/funds/claims/{claim.uuid}/")
    page.get_by_role("link", name="Remove invoice-wrong-event.pdf").click()
    page.wait_for_url(f"{base}/portal/funds/proof/*/remove/")
    assert page.get_by_role("heading", level=1).inner_text() == "Remove “invoice-wrong-event.pdf”?"
    screenshot(page, f"drafts-proof-remove-{viewport_name}")
    assert_accessible(page, "proof removal")
    page.get_by_role("button", name="Remove the file").click()
    page.wait_for_url(f"{base}/portal/funds/claims/{claim.uuid}/")
    expect(page.get_by_text("“invoice-wrong-event.pdf” was removed.")).to_be_visible()
    screenshot(page, f"drafts-claim-after-removal-{viewport_name}")
    assert str(fresh(claim).amount) == "2750.00"
    with scopes_disabled():
        assert not ClaimProof.objects.filter(claim=claim).exists()

"""The funds pages in a real browser: a marketer with an allocation opens the
overview, requests funds through the form, and looks at a request, a claim with
its proof checklist and the statement. axe-core finds no serious or critical
problem on any of them. Screenshots (desktop and mobile) land in test-artifacts/."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from mdf import services
from mdf.models import ActivityType, ProofKind
from tests.browser.conftest import DESKTOP, MOBILE
from tests.browser.test_portal_browser import assert_accessible, log_in
from tests.mdf.conftest import after_activity, make_pool, pdf_bytes, upload

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def funds(alice, staff_users):
    """Alice's company with a 50 % pool, an approved request with a draft claim that
    has one of its three proofs, a request awaiting a decision, and a draft."""
    kinds = [
        ProofKind.objects.create(slug=slug, name=name, help_text=help_text)
        for slug, name, help_text in (
            ("invoice", "Invoice", "The supplier's invoice for the activity."),
            ("attendees", "Attendee list", "Names and companies of the attendees."),
            ("photo", "Photo", "A photo of the stand or the room."),
        )
    ]
    event = ActivityType.objects.create(slug="event", name="Event")
    event.proof_kinds.set(kinds)
    webinar = ActivityType.objects.create(slug="webinar", name="Webinar")
    webinar.proof_kinds.set(kinds[:1])
    pool = make_pool(name="FY27 H1 Europe", percentage="50.00", total="500000.00")
    admin = staff_users["marketing_admin"]
    allocation = services.allocation_create(
        pool=pool, partner=alice.partner, amount="20000.00", actor=admin, reason="Gold tier H1"
    )

    def request(title, amount, starts_in):
        start = timezone.localdate() + timedelta(days=starts_in)
        return services.request_create(
            partner=alice.partner,
            allocation=allocation,
            activity_type=event,
            title=title,
            description="Booth, demo station and lead scanning.",
            activity_start=start,
            activity_end=start + timedelta(days=1),
            requested_amount=amount,
            expected_leads=50,
            expected_pipeline="120000.00",
            actor=alice.marketer,
        )

    summit = request("Cloud summit Munich booth", "6000.00", 7)
    services.request_submit(fund_request=summit, actor=alice.marketer)
    summit = services.request_decide(
        fund_request=summit,
        actor=staff_users["channel_manager"],
        approve=True,
        approved_amount="5000.00",
        note="Approved for the booth; the catering is not covered.",
    )
    with after_activity(summit):
        claim = services.claim_create(
            fund_request=summit,
            amount="4800.00",
            actor=alice.marketer,
            actual_leads=62,
            actual_pipeline="150000.00",
            results_note="62 scanned leads, 4 opportunities opened.",
        )
        services.claim_attach_proof(
            claim=claim,
            proof_kind=kinds[0],
            upload=upload("invoice-summit.pdf", pdf_bytes()),
            actor=alice.marketer,
        )
    waiting = request("Partner webinar series", "1500.00", 30)
    services.request_submit(fund_request=waiting, actor=alice.marketer)
    request("Retail roadshow (draft)", "2200.00", 40)
    return {"allocation": allocation, "summit": summit, "claim": claim, "pool": pool}


@pytest.mark.parametrize("viewport_name", ["desktop", "mobile"])
def test_a_marketer_requests_funds_and_sees_claims_and_the_statement(
    live_server, alice, funds, new_page, screenshot, viewport_name
):
    viewport = DESKTOP if viewport_name == "desktop" else MOBILE
    page = new_page(viewport)
    base = live_server.url
    log_in(page, base, alice.marketer.username)
    page.wait_for_url(f"{base}/portal/")

    # the overview: balances first
    page.goto(f"{base}/portal/funds/")
    main = page.get_by_role("main")
    assert main.get_by_role("heading", level=1).inner_text() == "Marketing funds"
    # 20,000 allocated; 2,500 committed (50 % of the 5,000 approved)
    available = main.locator('[data-figure="available"]')
    assert available.inner_text() == "17,500.00 EUR"
    assert main.locator('[data-figure="committed"]').inner_text() == "2,500.00 EUR"
    expect(main.get_by_role("link", name="Retail roadshow (draft)", exact=True)).to_be_visible()
    screenshot(page, f"funds-overview-{viewport_name}")
    assert_accessible(page, "funds overview")

    # a new request through the form
    main.get_by_role("link", name="New request").first.click()
    page.wait_for_url(f"{base}/portal/funds/requests/new/")
    start = timezone.localdate() + timedelta(days=21)
    page.get_by_label("Activity type").select_option(label="Webinar")
    page.get_by_label("Activity title").fill("Security webinar for SMB customers")
    page.get_by_label("Description").fill("Live webinar with a customer case and a Q&A.")
    page.get_by_label("Starts on").fill(start.isoformat())
    page.get_by_label("Ends on").fill(start.isoformat())
    page.get_by_label("Total activity cost").fill("0.001")
    page.get_by_label("Expected leads").fill("40")
    page.get_by_role("button", name="Submit for approval").click()
    # a bad amount: the field says what is wrong, nothing is saved
    error = page.locator("#id_requested_amount_error")
    assert "two decimals" in error.inner_text()
    page.get_by_label("Total activity cost").fill("1,800.00")
    screenshot(page, f"funds-request-form-{viewport_name}")
    assert_accessible(page, "request form")
    page.get_by_role("button", name="Submit for approval").click()
    page.wait_for_url(f"{base}/portal/funds/requests/*/")
    main = page.get_by_role("main")
    assert main.get_by_role("heading", level=1).inner_text() == (
        "Security webinar for SMB customers"
    )
    expect(main.get_by_text("Waiting for your channel manager")).to_be_visible()
    screenshot(page, f"funds-request-new-detail-{viewport_name}")

    # an approved request with its decision note and history
    page.goto(f"{base}/portal/funds/requests/{funds['summit'].uuid}/")
    expect(page.get_by_text("the catering is not covered").first).to_be_visible()
    screenshot(page, f"funds-request-detail-{viewport_name}")
    assert_accessible(page, "request detail")

    # the claim: two of three proofs missing, so it cannot be submitted yet
    page.goto(f"{base}/portal/funds/claims/{funds['claim'].uuid}/")
    submit = page.get_by_role("button", name="Submit the claim")
    assert submit.is_disabled()
    expect(page.get_by_text("Attendee list, Photo")).to_be_visible()
    screenshot(page, f"funds-claim-detail-{viewport_name}")
    assert_accessible(page, "claim detail")

    page.goto(f"{base}/portal/funds/statement/")
    rows = page.locator("tbody tr")
    assert rows.count() == 2  # allocated, committed
    # The running balance stays in view on a phone too (not scrolled off to the right).
    balance = page.get_by_role("columnheader", name="Available after")
    box = balance.bounding_box()
    assert box is not None and box["x"] + box["width"] <= viewport["width"]
    screenshot(page, f"funds-statement-{viewport_name}")
    assert_accessible(page, "statement")

    page.goto(f"{base}/portal/funds/requests/")
    screenshot(page, f"funds-requests-{viewport_name}")
    assert_accessible(page, "request list")

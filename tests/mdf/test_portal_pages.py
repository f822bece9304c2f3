"""What the funds pages and the MDF emails say: one money format, one date format
(a one-day activity as one date), the same status names in the portal and the admin,
a statement with one running balance per fund, and a request list that shows the
fund's share and what is decided so far."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils.formats import date_format

from mdf import services
from mdf.models import FundRequest
from mdf.notifications import send_pending_decision_emails
from tests.mdf.conftest import D, approved_request, draft_request, fresh, make_pool

pytestmark = pytest.mark.django_db

STATEMENT = reverse("funds:statement")
REQUESTS = reverse("funds:request_list")


def words(response) -> str:
    """The page's visible words (tags and whitespace collapsed)."""
    body = response.content.decode()
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).replace("&#x27;", "'")


def allocate(pool, alice, staff_users, amount):
    return services.allocation_create(
        pool=pool,
        partner=alice.partner,
        amount=amount,
        actor=staff_users["marketing_admin"],
        reason="plan",
    )


def test_the_statement_of_all_funds_runs_one_balance_per_fund(
    client, alice, allocation, event_type, staff_users
):
    # given: two funds whose movements interleave in time (H1 allocated, H2 allocated,
    # then 1,000 committed on H1)
    second = allocate(make_pool(name="FY27 H2"), alice, staff_users, "300.00")
    approved_request(alice, allocation, event_type, staff_users)

    # when
    client.force_login(alice.marketer)
    html = client.get(STATEMENT).content.decode()

    # then: one section per fund, each with its own running balance, newest first
    sections = re.split(r'<section class="card mb-3 funds-statement"', html)[1:]
    found = {}
    for section in sections:
        name = re.search(r'<h2 id="fund-[^"]+"[^>]*>([^<]+)</h2>', section).group(1)
        found[name] = re.findall(r'funds-running pe-4">([^<]+)<', section)
    assert found == {
        "FY27 H1": ["9,000.00 EUR", "10,000.00 EUR"],
        "FY27 H2": ["300.00 EUR"],
    }
    assert fresh(allocation).available == D("9000.00")
    assert fresh(second).available == D("300.00")


def test_the_request_list_shows_the_funds_share_and_what_is_decided_so_far(
    client, alice, event_type, staff_users
):
    # given: a 50 % pool; one request above the finance threshold approved by the
    # channel manager (finance has not decided), one approved, one only submitted
    pool = make_pool(name="Half", percentage="50.00", threshold="5000.00")
    allocation = allocate(pool, alice, staff_users, "50000.00")
    waiting = draft_request(alice, allocation, event_type, amount="12000.00")
    services.request_submit(fund_request=waiting, actor=alice.marketer)
    services.request_decide(
        fund_request=waiting, actor=staff_users["channel_manager"], approve=True, note="ok"
    )
    assert fresh(waiting).status == FundRequest.Status.AWAITING_FINANCE
    approved_request(alice, allocation, event_type, staff_users, amount="3000.00")
    submitted = draft_request(alice, allocation, event_type, amount="800.00")
    services.request_submit(fund_request=submitted, actor=alice.marketer)

    # when
    client.force_login(alice.marketer)
    response = client.get(REQUESTS)
    page = words(response)

    # then: no column calls the cost "Approved" before finance has decided
    headings = re.findall(r'<th scope="col"[^>]*>([^<]+)</th>', response.content.decode())
    assert headings == ["Activity", "Status", "Dates", "Fund's share", "Decided so far"]
    assert "6,000.00 EUR 50 % of 12,000.00 EUR" in page
    assert "Channel manager approved 6,000.00 EUR; finance decides next" in page
    assert "Approved: 1,500.00 EUR" in page
    assert "400.00 EUR 50 % of 800.00 EUR Nothing yet: the channel manager decides first" in page


def test_a_one_day_activity_reads_as_one_date(client, alice, allocation, event_type):
    fund_request = draft_request(alice, allocation, event_type, lasts=0)
    day = date_format(fund_request.activity_start)
    client.force_login(alice.marketer)

    for url in (
        REQUESTS,
        reverse("funds:request_detail", kwargs={"uuid": fund_request.uuid}),
        reverse("funds:request_cancel", kwargs={"uuid": fund_request.uuid}),
    ):
        page = words(client.get(url))
        assert day in page, url
        assert f"{day} – {day}" not in page, url


def test_the_admin_names_statuses_as_the_portal_does(
    client, alice, allocation, event_type, staff_users
):
    fund_request = draft_request(alice, allocation, event_type)
    services.request_submit(fund_request=fund_request, actor=alice.marketer)
    manager = staff_users["channel_manager"]
    client.force_login(manager)

    decide = words(client.get(reverse("admin:mdf_fundrequest_decide", args=[fund_request.pk])))
    events = words(client.get(reverse("admin:mdf_mdfevent_changelist")))

    client.force_login(alice.marketer)
    portal = words(client.get(REQUESTS))
    assert "Awaiting channel manager" in portal
    for page in (decide, events):
        assert "Draft → Awaiting channel manager" in page
        assert "draft → submitted" not in page


def test_the_decision_email_shows_money_and_dates_as_the_portal_does(
    alice, allocation, event_type, staff_users
):
    approved_request(alice, allocation, event_type, staff_users, amount="3200.00")
    mail.outbox.clear()
    assert send_pending_decision_emails() == 1
    body = mail.outbox[0].body
    assert "Requested: 3,200.00 EUR" in body
    assert "Approved: 3,200.00 EUR" in body
    assert "3200.00" not in body

"""The deals API (/api/v1/deals/, /api/v1/leads/, /api/v1/protected-accounts/): alice's
key sees and works only alice's registrations and offers, bob's answer 404, staff keys
act across partners; nothing about a conflict reaches a partner, in bodies, errors or
counts; bad input is a 400 naming the field, a wrong state a 409."""

from __future__ import annotations

import json

import pytest
from django.contrib.admin.models import ADDITION, DELETION, LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled
from rest_framework.test import APIClient

from analytics.models import ResultEvent
from deals.models import Deal, DealExtension, Lead, LeadOffer, ProtectedAccount, RoutingRule
from partners.models import Partner, PartnerAPIKey, Region
from tests.conftest import key_client
from tests.deals.api_factories import (
    deal_body,
    flag_conflict,
    make_deal,
    make_lead,
    make_offer,
    make_protected_account,
)

pytestmark = pytest.mark.django_db

DEALS = "/api/v1/deals/"
LEADS = "/api/v1/leads/"
ACCOUNTS = "/api/v1/protected-accounts/"
STAFF_ONLY = {"registered_by", "decided_by", "conflicts", "conflict_cleared"}


def url(base: str, obj, verb: str = "") -> str:
    return f"{base}{obj.uuid}/" + (f"{verb}/" if verb else "")


def session(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def errors_of(response, status: int = 400) -> dict[str, list[str]]:
    """{attr: [detail, …]} of an error answer in the API's one format."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"type", "errors"}, body
    result: dict[str, list[str]] = {}
    for error in body["errors"]:
        result.setdefault(error["attr"], []).append(error["detail"])
    return result


def deal_count() -> int:
    with scopes_disabled():
        return Deal.objects.count()


def mentions(response, *words: str) -> list[str]:
    text = response.content.decode()
    return [word for word in words if word.lower() in text.lower()]


def bob_markers(bob) -> tuple[str, ...]:
    return (bob.partner.name, bob.partner.slug, str(bob.partner.uuid), "conflict", "protected")


# --- reading registrations ---------------------------------------------------------------


def test_a_partner_key_lists_and_reads_only_its_own_deals(alice, bob, alice_key, bob_key):
    mine = make_deal(alice, company="Mine Ltd")
    theirs = make_deal(bob, company="Theirs Ltd")
    client = key_client(alice_key)

    body = client.get(DEALS).json()
    assert body["count"] == 1
    assert [deal["id"] for deal in body["results"]] == [str(mine.uuid)]
    assert body["results"][0]["partner"] == "alice"
    assert client.get(url(DEALS, mine)).status_code == 200
    # Another partner's registration, a missing one and a malformed id read the same.
    for path in (url(DEALS, theirs), f"{DEALS}{theirs.uuid.hex[:8]}-x/", f"{DEALS}nope/"):
        assert errors_of(client.get(path), 404) == {None: ["Not found."]}
    assert key_client(bob_key).get(url(DEALS, theirs)).status_code == 200


def test_a_staff_key_lists_every_partners_deals_and_filters_them(alice, bob, staff_key):
    mine = make_deal(alice)
    theirs = make_deal(bob, status=Deal.Status.APPROVED)
    client = key_client(staff_key)

    listed = {deal["id"] for deal in client.get(DEALS).json()["results"]}
    assert listed == {str(mine.uuid), str(theirs.uuid)}
    for query, expected in (
        ({"partner": "bob"}, [theirs]),
        ({"partner": str(alice.partner.uuid)}, [mine]),
        ({"status": "approved"}, [theirs]),
        ({"status": "submitted", "partner": "bob"}, []),
    ):
        results = client.get(DEALS, query).json()["results"]
        assert [deal["id"] for deal in results] == [str(d.uuid) for d in expected], query
    assert set(errors_of(client.get(DEALS, {"status": "pending"}))) == {"status"}


def test_staff_users_read_deals_with_the_view_permission(alice, staff_users):
    make_deal(alice)
    assert session(staff_users["channel_manager"]).get(DEALS).json()["count"] == 1
    assert session(staff_users["analyst"]).get(DEALS).status_code == 200
    assert session(staff_users["finance_approver"]).get(DEALS).status_code == 403


def test_the_partner_never_reads_a_conflict_the_decider_or_staff_notes(alice, bob, alice_key):
    # given: alice registered a customer bob registered first, who is also protected
    bobs = make_deal(bob, domain="acme.example")
    flagged = make_deal(alice, domain="acme.example")
    flag_conflict(flagged, other=bobs)
    flag_conflict(flagged, account=make_protected_account(domain="acme.example"))
    plain = make_deal(alice, domain="quiet.example")
    client = key_client(alice_key)

    # when: alice reads them
    listed = client.get(DEALS).json()
    detail = client.get(url(DEALS, flagged))

    # then: the flagged one reads like the plain one, "submitted", with nothing of bob
    assert listed["count"] == 2
    flagged_body, plain_body = detail.json(), client.get(url(DEALS, plain)).json()
    assert set(flagged_body) == set(plain_body)
    assert not STAFF_ONLY & set(flagged_body)
    assert flagged_body["status"] == plain_body["status"] == "submitted"
    assert [event["action"] for event in flagged_body["history"]] == ["registered"]
    assert "actor" not in flagged_body["history"][0]
    assert mentions(detail, *bob_markers(bob), "VIP") == []
    assert mentions(client.get(DEALS), *bob_markers(bob), "VIP") == []
    # and a refusal reads the same for both, word for word
    body = {"outcome": "won", "amount": "1.00"}
    refusals = [client.post(url(DEALS, d, "close"), body, format="json") for d in (flagged, plain)]
    assert errors_of(refusals[0], 409) == errors_of(refusals[1], 409)


def test_staff_read_the_conflicts_with_the_other_partner(alice, bob, staff_key):
    bobs = make_deal(bob, domain="acme.example")
    flagged = make_deal(alice, domain="acme.example")
    flag_conflict(flagged, other=bobs)

    body = key_client(staff_key).get(url(DEALS, flagged)).json()
    assert [(c["kind"], c["other_partner"], c["other_deal"]) for c in body["conflicts"]] == [
        ("other_partner", "bob", str(bobs.uuid))
    ]
    assert body["conflict_cleared"] is False
    assert body["registered_by"] == alice.sales.username
    assert {event["action"] for event in body["history"]} == {"registered", "conflict_flagged"}


def test_the_deal_list_costs_the_same_queries_for_many_rows(
    alice, alice_key, django_assert_max_num_queries
):
    for _ in range(3):
        make_deal(alice)
    client = key_client(alice_key)
    client.get(DEALS)  # warm up (key lookup caches)
    with CaptureQueriesContext(connection) as few:
        assert client.get(DEALS).json()["count"] == 3
    for _ in range(10):
        make_deal(alice)
    with django_assert_max_num_queries(len(few)):
        assert client.get(DEALS).json()["count"] == 13


# --- registering -------------------------------------------------------------------------


def test_a_partner_key_registers_a_deal(alice, alice_key):
    response = key_client(alice_key).post(DEALS, deal_body(), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["partner"], body["status"], body["domain"]) == (
        "alice",
        "submitted",
        "acme.example",
    )
    assert body["amount"] == "25000.00" and body["products"] == ["backup-suite"]
    assert not STAFF_ONLY & set(body)
    with scopes_disabled():
        assert Deal.objects.get(uuid=body["id"]).partner == alice.partner


def test_a_registration_of_a_customer_another_partner_holds_reads_the_same(
    alice, bob, alice_key, bob_key, staff_key
):
    # given: bob registered acme.example; the vendor protects vip.example
    assert key_client(bob_key).post(DEALS, deal_body(), format="json").status_code == 201
    make_protected_account()

    # when: alice registers both, and a customer nobody holds
    client = key_client(alice_key)
    contested = client.post(DEALS, deal_body(), format="json")
    protected = client.post(DEALS, deal_body(domain="vip.example"), format="json")
    free = client.post(DEALS, deal_body(domain="free.example"), format="json")

    # then: all three answer alike; only staff learn of the conflicts
    bodies = [response.json() for response in (contested, protected, free)]
    assert [r.status_code for r in (contested, protected, free)] == [201, 201, 201]
    assert {body["status"] for body in bodies} == {"submitted"}
    assert len({json.dumps(sorted(body)) for body in bodies}) == 1
    assert [[e["action"] for e in body["history"]] for body in bodies] == [["registered"]] * 3
    for response in (contested, protected, free, client.get(DEALS)):
        assert mentions(response, *bob_markers(bob), "VIP Holdings") == []
    assert client.get(DEALS).json()["count"] == 3
    staff_view = key_client(staff_key).get(url(DEALS, _deal(bodies[0]["id"]))).json()
    assert [c["other_partner"] for c in staff_view["conflicts"]] == ["bob"]


def _deal(uuid: str) -> Deal:
    with scopes_disabled():
        return Deal.objects.get(uuid=uuid)


def test_a_second_registration_by_the_same_partner_is_refused_without_naming_anyone(
    alice, bob, alice_key
):
    make_deal(bob, domain="acme.example")
    client = key_client(alice_key)
    assert client.post(DEALS, deal_body(), format="json").status_code == 201
    before = deal_count()

    again = client.post(DEALS, deal_body(company="Acme again"), format="json")

    assert set(errors_of(again)) == {"domain"}
    assert mentions(again, *bob_markers(bob)) == []
    assert deal_count() == before


def _error_codes(response) -> dict[str, list[str]]:
    return {error["attr"]: error["code"] for error in response.json()["errors"]}


def test_a_staff_key_registers_a_deal_for_the_partner_it_names(alice, bob, alice_key, staff_key):
    # given: the vendor's CRM with a staff key
    client = key_client(staff_key)
    with scopes_disabled():
        key_user = PartnerAPIKey.objects.get_from_key(staff_key).user

    # when: it registers a deal for alice by slug, and one for bob by UUID
    for_alice = client.post(DEALS, deal_body(partner="alice"), format="json")
    for_bob = client.post(DEALS, deal_body(partner=str(bob.partner.uuid)), format="json")

    # then: each deal is that partner's, and the trail names the key's own user
    assert for_alice.status_code == 201, for_alice.content
    assert for_bob.status_code == 201, for_bob.content
    body = for_alice.json()
    assert (body["partner"], body["status"]) == ("alice", "submitted")
    assert for_bob.json()["partner"] == "bob"
    assert body["registered_by"] == key_user.username
    assert [(e["action"], e["actor"]) for e in body["history"]] == [
        ("registered", key_user.username)
    ]
    deal = _deal(body["id"])
    assert (deal.partner, deal.registered_by) == (alice.partner, key_user)
    assert _deal(for_bob.json()["id"]).partner == bob.partner
    # and alice reads it as her own registration, without who registered it
    mine = key_client(alice_key).get(url(DEALS, deal)).json()
    assert (mine["partner"], mine["status"]) == ("alice", "submitted")
    assert not STAFF_ONLY & set(mine)
    assert [event["action"] for event in mine["history"]] == ["registered"]
    assert key_client(alice_key).get(DEALS).json()["count"] == 1


@pytest.mark.parametrize("partner", [None, "", "   "])
def test_a_staff_key_that_names_no_partner_is_told_partner_is_required(staff_key, partner):
    body = deal_body() if partner is None else deal_body(partner=partner)
    response = key_client(staff_key).post(DEALS, body, format="json")

    assert list(errors_of(response)) == ["partner"]
    assert _error_codes(response) == {"partner": "required"}
    assert deal_count() == 0


def test_a_staff_key_naming_an_unknown_or_inactive_partner_stores_nothing(alice, staff_key):
    client = key_client(staff_key)
    for ref in ("nobody", "00000000-0000-4000-8000-000000000000"):
        response = client.post(DEALS, deal_body(partner=ref), format="json")
        assert errors_of(response) == {"partner": ["No partner with this UUID or slug."]}
        assert _error_codes(response) == {"partner": "does_not_exist"}
    alice.partner.status = Partner.Status.SUSPENDED
    alice.partner.save(update_fields=["status"])
    suspended = client.post(DEALS, deal_body(partner="alice"), format="json")
    assert errors_of(suspended) == {"partner": ["Only active partners register deals."]}
    assert deal_count() == 0


def test_a_partner_key_may_name_its_own_partner(alice, alice_key):
    client = key_client(alice_key)
    by_slug = client.post(DEALS, deal_body(partner="alice"), format="json")
    by_uuid = client.post(
        DEALS,
        deal_body(partner=str(alice.partner.uuid).upper(), domain="second.example"),
        format="json",
    )

    assert [by_slug.status_code, by_uuid.status_code] == [201, 201], by_uuid.content
    assert {_deal(r.json()["id"]).partner for r in (by_slug, by_uuid)} == {alice.partner}


def test_a_partner_key_naming_another_partner_reads_like_an_unknown_one(alice, bob, alice_key):
    # given: alice's key, and bob, who exists
    client = key_client(alice_key)

    # when: it names bob (slug, UUID), and partners that do not exist
    responses = [
        client.post(DEALS, deal_body(partner=ref), format="json")
        for ref in ("bob", str(bob.partner.uuid), "nobody", "00000000-0000-4000-8000-000000000000")
    ]

    # then: one error on `partner`, word for word, that says nothing of bob; nothing stored
    errors = [errors_of(response) for response in responses]
    assert errors == [{"partner": ["You register deals for your own partner only (alice)."]}] * 4
    assert {json.dumps(response.json()["errors"]) for response in responses} == {
        json.dumps(responses[0].json()["errors"])
    }
    assert [_error_codes(r) for r in responses] == [{"partner": "does_not_exist"}] * 4
    for response in responses:
        assert mentions(response, *bob_markers(bob)) == []
    assert deal_count() == 0


def test_a_bob_session_naming_alice_is_refused_on_partner(alice, bob):
    response = session(bob.sales).post(DEALS, deal_body(partner="alice"), format="json")
    assert list(errors_of(response)) == ["partner"]
    assert deal_count() == 0


def test_who_may_register(alice, staff_users):
    assert session(alice.sales).post(DEALS, deal_body(), format="json").status_code == 201
    body = deal_body(domain="other.example")
    assert session(alice.admin).post(DEALS, body, format="json").status_code == 201
    for user in (alice.marketer, staff_users["channel_manager"]):
        refused = session(user).post(DEALS, deal_body(domain="x.example"), format="json")
        assert refused.status_code == 403
    assert deal_count() == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": "-1.00"}, "amount"),
        ({"amount": 12.5}, "amount"),
        ({"amount": "12.345"}, "amount"),
        ({"currency": "XYZ"}, "currency"),
        ({"country": "ZZ"}, "country"),
        ({"domain": "not a domain"}, "domain"),
        ({"expected_close_date": "2001-01-01"}, "expected_close_date"),
        ({"expected_close_date": "tomorrow"}, "expected_close_date"),
        ({"products": ["no-such-product"]}, "products"),
        ({"products": "backup-suite"}, "products"),
        ({"stage": "won"}, "stage"),
        ({"contact_email": "not-an-email"}, "contact_email"),
        ({"launch": "NOSUCHCODE"}, "launch"),
        ({"company": ""}, "company"),
        ({"partner": ["alice"]}, "partner"),
        ({"partner": "x" * 81}, "partner"),
    ],
)
def test_bad_registration_input_names_the_field_and_saves_nothing(alice_key, change, field):
    response = key_client(alice_key).post(DEALS, {**deal_body(), **change}, format="json")
    assert field in errors_of(response), response.json()
    assert deal_count() == 0


def test_an_unknown_or_read_only_field_is_refused_by_name(alice_key):
    for extra in ({"status": "approved"}, {"conflict_cleared": True}, {"expires_on": "2099-01-01"}):
        response = key_client(alice_key).post(DEALS, {**deal_body(), **extra}, format="json")
        (detail,) = errors_of(response)["non_field_errors"]
        assert next(iter(extra)) in detail
    assert deal_count() == 0


def test_a_registration_replayed_with_its_idempotency_key_is_registered_once(alice_key):
    client = key_client(alice_key)
    first = client.post(DEALS, deal_body(), format="json", HTTP_IDEMPOTENCY_KEY="reg-1")
    again = client.post(DEALS, deal_body(), format="json", HTTP_IDEMPOTENCY_KEY="reg-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert deal_count() == 1


# --- stage, close, extension ----------------------------------------------------------


def test_stage_and_close_of_an_approved_deal(alice, alice_key):
    deal = make_deal(alice, status=Deal.Status.APPROVED)
    client = key_client(alice_key)

    staged = client.post(url(DEALS, deal, "stage"), {"stage": "negotiation"}, format="json")
    assert staged.status_code == 200, staged.content
    assert staged.json()["stage"] == "negotiation"

    won = client.post(
        url(DEALS, deal, "close"), {"outcome": "won", "amount": "24000.00"}, format="json"
    )
    assert won.status_code == 200, won.content
    assert (won.json()["status"], won.json()["won_amount"]) == ("won", "24000.00")
    with scopes_disabled():
        event = ResultEvent.objects.get(external_id=f"deal:{deal.uuid}:won")
    assert (event.partner_id, event.kind) == (alice.partner.pk, "won")


def test_a_lost_deal_says_why(alice, alice_key):
    deal = make_deal(alice, status=Deal.Status.APPROVED)
    response = key_client(alice_key).post(
        url(DEALS, deal, "close"),
        {"outcome": "lost", "reason": "Went with a rival."},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["lost_reason"]) == (
        "lost",
        "Went with a rival.",
    )


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"outcome": "won"}, {"amount"}),
        ({"outcome": "won", "amount": "-5"}, {"amount"}),
        ({"outcome": "won", "amount": 10.5}, {"amount"}),
        ({"outcome": "won", "amount": "10", "reason": "x"}, {"reason"}),
        ({"outcome": "lost"}, {"reason"}),
        ({"outcome": "lost", "reason": "x", "amount": "10"}, {"amount"}),
        ({"outcome": "maybe"}, {"outcome"}),
        ({"outcome": "won", "amount": "10", "occurred_at": "yesterday"}, {"occurred_at"}),
    ],
)
def test_bad_close_input_names_the_field(alice, alice_key, body, fields):
    deal = make_deal(alice, status=Deal.Status.APPROVED)
    response = key_client(alice_key).post(url(DEALS, deal, "close"), body, format="json")
    assert set(errors_of(response)) == fields
    with scopes_disabled():
        assert Deal.objects.get(pk=deal.pk).status == Deal.Status.APPROVED


def test_a_deal_in_the_wrong_state_answers_409(alice, alice_key):
    under_review = make_deal(alice)
    won = make_deal(alice, status=Deal.Status.WON)
    client = key_client(alice_key)
    for deal, verb, body in (
        (under_review, "stage", {"stage": "proposal"}),
        (under_review, "close", {"outcome": "won", "amount": "10.00"}),
        (won, "close", {"outcome": "lost", "reason": "Changed our mind."}),
        (under_review, "extension", {"reason": "Long procurement."}),
    ):
        response = client.post(url(DEALS, deal, verb), body, format="json")
        errors = errors_of(response, 409)
        assert list(errors) == [None] and errors[None][0], (verb, errors)
        assert response.json()["errors"][0]["code"] == "wrong_state"
    with scopes_disabled():
        assert Deal.objects.get(pk=under_review.pk).status == Deal.Status.SUBMITTED


def test_bad_stage_names_the_field(alice, alice_key):
    deal = make_deal(alice, status=Deal.Status.APPROVED)
    client = key_client(alice_key)
    assert set(errors_of(client.post(url(DEALS, deal, "stage"), {}, format="json"))) == {"stage"}
    bad = client.post(url(DEALS, deal, "stage"), {"stage": "won"}, format="json")
    assert set(errors_of(bad)) == {"stage"}


def test_an_extension_is_asked_once(alice, alice_key):
    deal = make_deal(alice, status=Deal.Status.APPROVED)
    client = key_client(alice_key)
    asked = client.post(
        url(DEALS, deal, "extension"), {"reason": "Board meets in May."}, format="json"
    )
    assert asked.status_code == 201, asked.content
    assert [(e["status"], e["reason"]) for e in asked.json()["extensions"]] == [
        ("pending", "Board meets in May.")
    ]
    empty = client.post(url(DEALS, deal, "extension"), {"reason": ""}, format="json")
    assert set(errors_of(empty)) == {"reason"}
    again = client.post(url(DEALS, deal, "extension"), {"reason": "Again."}, format="json")
    assert again.status_code in (400, 409)
    with scopes_disabled():
        assert DealExtension.objects.filter(deal=deal).count() == 1


def test_another_partners_deal_cannot_be_worked(alice, bob, alice_key):
    theirs = make_deal(bob, status=Deal.Status.APPROVED)
    client = key_client(alice_key)
    for verb, body in (
        ("stage", {"stage": "proposal"}),
        ("close", {"outcome": "won", "amount": "1.00"}),
        ("extension", {"reason": "Mine now."}),
    ):
        assert errors_of(client.post(url(DEALS, theirs, verb), body, format="json"), 404)
    with scopes_disabled():
        fresh = Deal.objects.get(pk=theirs.pk)
    assert (fresh.status, fresh.stage) == (Deal.Status.APPROVED, Deal.Stage.QUALIFICATION)


def test_staff_read_a_deal_but_do_not_work_it(alice, staff_key, staff_users):
    deal = make_deal(alice, status=Deal.Status.APPROVED)
    body = {"outcome": "won", "amount": "100.00"}
    manager = session(staff_users["channel_manager"])
    for client in (manager, key_client(staff_key)):
        assert client.get(url(DEALS, deal)).status_code == 200
        assert errors_of(client.post(url(DEALS, deal, "close"), body, format="json"), 403)
        stage = client.post(url(DEALS, deal, "stage"), {"stage": "proposal"}, format="json")
        assert errors_of(stage, 403)
    with scopes_disabled():
        assert Deal.objects.get(pk=deal.pk).status == Deal.Status.APPROVED


# --- leads ---------------------------------------------------------------------------------


def test_a_partner_lists_its_offered_and_accepted_leads_only(alice, bob, alice_key):
    pending = make_offer(alice)
    accepted = make_offer(alice, status=LeadOffer.Status.ACCEPTED)
    make_offer(alice, status=LeadOffer.Status.DECLINED)
    lapsed = make_offer(alice, status=LeadOffer.Status.EXPIRED)
    bobs = make_offer(bob)
    client = key_client(alice_key)

    body = client.get(LEADS).json()
    assert body["count"] == 2
    assert {offer["id"] for offer in body["results"]} == {str(pending.uuid), str(accepted.uuid)}
    offer = client.get(url(LEADS, pending)).json()
    assert offer["lead"]["company"] == "Lead Co" and offer["status"] == "pending"
    assert not {"lead_id", "lead_status", "external_id", "rule", "routing"} & set(offer)
    assert errors_of(client.get(url(LEADS, bobs)), 404)
    # A lapsed offer still opens (an answer to it is told it is no longer offered),
    # and the partner finds its history by status.
    assert client.get(url(LEADS, lapsed)).json()["status"] == "expired"
    listed = client.get(LEADS, {"status": "expired"}).json()["results"]
    assert [offer["id"] for offer in listed] == [str(lapsed.uuid)]


def test_staff_list_every_offer_with_its_lead(alice, bob, staff_key, staff_users):
    lead = make_lead(external_id="crm-1")
    make_offer(alice, lead=lead, status=LeadOffer.Status.DECLINED)
    make_offer(bob, lead=lead)
    body = key_client(staff_key).get(LEADS, {"lead": str(lead.uuid)}).json()
    assert sorted((o["partner"], o["status"], o["external_id"]) for o in body["results"]) == [
        ("alice", "declined", "crm-1"),
        ("bob", "pending", "crm-1"),
    ]
    assert session(staff_users["analyst"]).get(LEADS).status_code == 200
    assert session(staff_users["finance_approver"]).get(LEADS).status_code == 403


def test_a_partner_accepts_a_lead_offered_to_it(alice, alice_key):
    offer = make_offer(alice)
    response = key_client(alice_key).post(url(LEADS, offer, "accept"))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "accepted"
    with scopes_disabled():
        assert LeadOffer.objects.get(pk=offer.pk).status == LeadOffer.Status.ACCEPTED


def test_a_lead_accepted_after_it_moved_on_answers_409_the_same_whoever_holds_it(
    alice, bob, alice_key
):
    lapsed_to_bob = make_lead()
    make_offer(alice, lead=lapsed_to_bob, status=LeadOffer.Status.EXPIRED)
    make_offer(bob, lead=lapsed_to_bob)
    withdrawn = make_lead(status=Lead.Status.NEW)
    mine_withdrawn = make_offer(alice, lead=withdrawn, status=LeadOffer.Status.WITHDRAWN)
    with scopes_disabled():
        mine_lapsed = LeadOffer.objects.get(lead=lapsed_to_bob, partner=alice.partner)
    client = key_client(alice_key)

    answers = [client.post(url(LEADS, offer, "accept")) for offer in (mine_lapsed, mine_withdrawn)]

    details = [errors_of(response, 409)[None] for response in answers]
    assert details[0] == details[1]
    assert mentions(answers[0], *bob_markers(bob)) == []
    with scopes_disabled():
        assert LeadOffer.objects.get(lead=lapsed_to_bob, partner=bob.partner).status == "pending"


def test_a_partner_declines_with_a_reason(alice, alice_key):
    offer = make_offer(alice)
    client = key_client(alice_key)
    assert set(errors_of(client.post(url(LEADS, offer, "decline"), {}, format="json"))) == {
        "reason"
    }
    bad = client.post(url(LEADS, offer, "decline"), {"reason": "bored"}, format="json")
    assert set(errors_of(bad)) == {"reason"}
    response = client.post(
        url(LEADS, offer, "decline"),
        {"reason": "out_of_area", "note": "We only cover the north."},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["decline_reason"]) == (
        "declined",
        "out_of_area",
    )
    assert client.get(LEADS).json()["count"] == 0


def test_leads_are_answered_only_by_sellers_of_the_partner_offered(
    alice, bob, alice_key, staff_key
):
    mine, theirs = make_offer(alice), make_offer(bob)
    client = key_client(alice_key)
    assert errors_of(client.post(url(LEADS, theirs, "accept")), 404)
    reason = {"reason": "no_capacity"}
    assert errors_of(client.post(url(LEADS, theirs, "decline"), reason, format="json"), 404)
    assert session(alice.marketer).post(url(LEADS, mine, "accept")).status_code == 403
    assert key_client(staff_key).post(url(LEADS, mine, "accept")).status_code == 403
    with scopes_disabled():
        assert {o.status for o in LeadOffer.objects.all()} == {"pending"}


def lead_body(**extra):
    return {"external_id": "crm-42", "company": "Inbound GmbH", "country": "DE", **extra}


def test_a_staff_key_hands_a_lead_to_a_partner_by_hand_and_a_resend_changes_nothing(
    alice, staff_key
):
    client = key_client(staff_key)
    first = client.post(LEADS, lead_body(partner="alice"), format="json")
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["external_id"] == "crm-42" and body["status"] == "offered"
    assert [(o["partner"], o["status"]) for o in body["offers"]] == [("alice", "pending")]

    again = client.post(LEADS, lead_body(partner="alice"), format="json")
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    with scopes_disabled():
        assert Lead.objects.count() == 1 and LeadOffer.objects.count() == 1


def test_a_lead_routed_by_the_rules_is_offered_to_a_partner_they_choose(alice, bob, staff_key):
    RoutingRule.objects.create(name="Everyone", position=1)
    response = key_client(staff_key).post(LEADS, lead_body(route="rules"), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "offered"
    assert [offer["status"] for offer in body["offers"]] == ["pending"]
    assert body["offers"][0]["partner"] in {"alice", "bob"}
    assert [entry["action"] for entry in body["routing"]] == ["created", "offered"]


def test_a_declined_lead_moves_on_without_the_decliner_learning_where(
    alice, bob, alice_key, bob_key, staff_key
):
    # given: a rule for everyone; staff offer the lead to alice by hand
    RoutingRule.objects.create(name="Everyone", position=1)
    created = key_client(staff_key).post(LEADS, lead_body(partner="alice"), format="json")
    (offer,) = created.json()["offers"]

    # when: alice declines it
    declined = key_client(alice_key).post(
        f"{LEADS}{offer['id']}/decline/", {"reason": "no_capacity"}, format="json"
    )

    # then: bob holds it now; alice's answer and lists say nothing of bob
    assert declined.status_code == 200, declined.content
    assert mentions(declined, *bob_markers(bob)) == []
    assert key_client(bob_key).get(LEADS).json()["count"] == 1
    history = key_client(alice_key).get(LEADS, {"status": "declined"})
    assert history.json()["count"] == 1 and mentions(history, *bob_markers(bob)) == []


def test_a_lead_routed_by_the_rules_with_no_partner_left_stays_with_staff(alice, staff_key):
    response = key_client(staff_key).post(LEADS, lead_body(route="rules"), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["status"] in ("new", "returned")  # no routing rule exists


def test_a_lead_with_neither_route_nor_partner_waits_with_staff(staff_key):
    response = key_client(staff_key).post(LEADS, lead_body(), format="json")
    assert response.status_code == 201, response.content
    assert (response.json()["status"], response.json()["offers"]) == ("new", [])


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"company": ""}, "company"),
        ({"amount": "-3"}, "amount"),
        ({"amount": 3.5}, "amount"),
        ({"route": "random"}, "route"),
        ({"route": "rules", "partner": "alice"}, "route"),
        ({"partner": "nobody"}, "partner"),
        ({"region": "atlantis"}, "region"),
        ({"contact_email": "nope"}, "contact_email"),
        ({"priority": "high"}, "non_field_errors"),
    ],
)
def test_bad_lead_input_names_the_field_and_keeps_nothing(alice, staff_key, change, field):
    response = key_client(staff_key).post(LEADS, {**lead_body(), **change}, format="json")
    assert field in errors_of(response)
    assert not Lead.objects.exists()


def test_partners_and_staff_without_the_permission_do_not_create_leads(
    alice, alice_key, staff_users
):
    assert key_client(alice_key).post(LEADS, lead_body(), format="json").status_code == 403
    assert session(staff_users["analyst"]).post(LEADS, lead_body()).status_code == 403
    assert not Lead.objects.exists()
    created = session(staff_users["channel_manager"]).post(LEADS, lead_body(), format="json")
    assert created.status_code == 201


def test_a_lead_for_a_region_offered_by_hand(alice, staff_key):
    Region.objects.get_or_create(code="emea", defaults={"name": "EMEA"})
    body = lead_body(
        region="emea", partner=str(alice.partner.uuid), amount="5000.00", currency="EUR"
    )
    response = key_client(staff_key).post(LEADS, body, format="json")
    assert response.status_code == 201, response.content
    assert (response.json()["region"], response.json()["amount"]) == ("emea", "5000.00")


# --- protected accounts ---------------------------------------------------------------


def test_partners_are_refused_protected_accounts_whatever_they_ask(alice, alice_key):
    make_protected_account()
    client = key_client(alice_key)
    for response in (
        client.get(ACCOUNTS),
        client.post(ACCOUNTS, {"domain": "x.example", "company": "X"}, format="json"),
        client.delete(f"{ACCOUNTS}vip.example/"),
        client.delete(f"{ACCOUNTS}missing.example/"),
        session(alice.admin).get(ACCOUNTS),
    ):
        assert errors_of(response, 403)
    assert list(ProtectedAccount.objects.values_list("domain", flat=True)) == ["vip.example"]


def test_a_staff_key_lists_adds_and_removes_protected_accounts(staff_key):
    client = key_client(staff_key)
    added = client.post(
        ACCOUNTS, {"domain": "https://www.Keep.example/path", "company": "Keep AG"}, format="json"
    )
    assert added.status_code == 201, added.content
    assert (added.json()["domain"], added.json()["company"]) == ("keep.example", "Keep AG")
    listed = client.get(ACCOUNTS, {"search": "keep"}).json()
    assert [a["domain"] for a in listed["results"]] == ["keep.example"]

    duplicate = client.post(ACCOUNTS, {"domain": "keep.example", "company": "K"}, format="json")
    assert set(errors_of(duplicate)) == {"domain"}
    assert errors_of(client.post(ACCOUNTS, {"domain": "keep2.example"}, format="json")) == {
        "company": ["This field is required."]
    }

    assert client.delete(f"{ACCOUNTS}keep.example/").status_code == 204
    assert errors_of(client.delete(f"{ACCOUNTS}keep.example/"), 404)
    assert not ProtectedAccount.objects.exists()
    # who added and removed it stays in the admin's history, as the staff key's user
    trail = LogEntry.objects.order_by("pk")
    assert [(entry.action_flag, entry.object_repr) for entry in trail] == [
        (ADDITION, "Keep AG (keep.example)"),
        (DELETION, "Keep AG (keep.example)"),
    ]
    assert {entry.user.username for entry in trail} == {added.json()["added_by"]}


def test_staff_users_need_the_protected_account_permissions(staff_users):
    make_protected_account()
    assert session(staff_users["analyst"]).get(ACCOUNTS).status_code == 200
    assert session(staff_users["finance_approver"]).get(ACCOUNTS).status_code == 403
    body = {"domain": "new.example", "company": "New"}
    assert session(staff_users["analyst"]).post(ACCOUNTS, body).status_code == 403
    assert (
        session(staff_users["channel_manager"]).delete(f"{ACCOUNTS}vip.example/").status_code == 403
    )
    assert (
        session(staff_users["marketing_admin"]).delete(f"{ACCOUNTS}vip.example/").status_code == 204
    )

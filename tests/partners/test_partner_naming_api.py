"""Naming a partner through the API: every endpoint that takes a partner's name (a body's
`partner`, an event's, `?partner=`) reads it as `partners.selectors.partner_named` does.

A caller's own partner by slug or UUID, in upper or lower case, is accepted alike by
every endpoint; a staff caller names any partner the same ways. Another partner's name
and one that does not exist answer the same error, word for word but for the name the
caller sent back in it, so an error never tells whether another partner exists."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone
from django_scopes import scopes_disabled
from rest_framework.test import APIClient

from analytics.models import ResultEvent
from partners.models import Partner, PartnerAPIKey
from partners.selectors import partner_named, partners_named
from partners.services import partner_create, rating_save
from tests.analytics.results_fixtures import event
from tests.campaigns.factories import make_kit, make_launch
from tests.conftest import key_client
from tests.deals.api_factories import deal_body, make_deal, make_offer
from tests.mdf.conftest import after_activity, approved_request

pytestmark = pytest.mark.django_db

# Alice's own partner, as a caller may write it.
OWN_NAMES: dict[str, Callable[[Partner], str]] = {
    "slug": lambda partner: partner.slug,
    "upper-case slug": lambda partner: partner.slug.upper(),
    "uuid": lambda partner: str(partner.uuid),
    "upper-case uuid": lambda partner: str(partner.uuid).upper(),
}
UNKNOWN_SLUG = "carol"
UNKNOWN_UUID = "00000000-0000-4000-8000-00000000c0de"


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    cache.clear()
    yield
    cache.clear()


# --- the endpoints that take a partner ----------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    """One API call that names a partner: `send` makes it with the name given, `named`
    reads from its answer the slug of the partner it acted for."""

    id: str
    send: Callable[[APIClient, dict[str, Any], str], Any]
    named: Callable[[Any], str]
    ok: int
    refused: int
    refused_attr: str = "partner"
    partner_callers: bool = True  # leads come from the vendor: partners get a 403 first
    needs: Callable[[pytest.FixtureRequest], dict[str, Any]] = lambda request: {}


def _kit(request: pytest.FixtureRequest) -> dict[str, Any]:
    return {"kit": make_kit(channels=("email",))}


def _launch_body(kit, name: str) -> dict[str, Any]:
    today = timezone.localdate()
    return {
        "partner": name,
        "kit": kit.slug,
        "channel": "email",
        "start_date": today.isoformat(),
        "end_date": (today + timedelta(days=10)).isoformat(),
    }


def _funds(request: pytest.FixtureRequest) -> dict[str, Any]:
    allocation, activity_type = request.getfixturevalue("funds")
    return {"allocation": allocation, "activity_type": activity_type}


def _approved(request: pytest.FixtureRequest) -> dict[str, Any]:
    allocation, activity_type = request.getfixturevalue("funds")
    alice, staff_users = request.getfixturevalue("alice"), request.getfixturevalue("staff_users")
    return {"request": approved_request(alice, allocation, activity_type, staff_users)}


def _request_body(things: dict[str, Any], name: str) -> dict[str, Any]:
    start = timezone.localdate() + timedelta(days=20)
    return {
        "partner": name,
        "allocation": str(things["allocation"].uuid),
        "activity_type": things["activity_type"].slug,
        "title": "Cloud roadshow",
        "description": "Three city breakfasts",
        "activity_start": start.isoformat(),
        "activity_end": (start + timedelta(days=2)).isoformat(),
        "requested_amount": "2500.00",
    }


def _send_claim(client: APIClient, things: dict[str, Any], name: str) -> Any:
    fund_request = things["request"]
    body = {"partner": name, "request": str(fund_request.uuid), "amount": "900.00"}
    with after_activity(fund_request):
        return client.post("/api/v1/mdf/claims/", body, format="json")


def _slug_of_uuid(value: str) -> str:
    return Partner.objects.get(uuid=value).slug


def _result_partner(response: Any) -> str:
    with scopes_disabled():
        return ResultEvent.objects.select_related("partner").get().partner.slug


ENDPOINTS = [
    Endpoint(
        "launch create",
        send=lambda client, things, name: client.post(
            "/api/v1/launches/", _launch_body(things["kit"], name), format="json"
        ),
        named=lambda response: response.json()["partner"],
        ok=201,
        refused=400,
        needs=_kit,
    ),
    Endpoint(
        "lead create",
        send=lambda client, things, name: client.post(
            "/api/v1/leads/",
            {"external_id": "crm-42", "company": "Inbound GmbH", "country": "DE", "partner": name},
            format="json",
        ),
        named=lambda response: response.json()["offers"][0]["partner"],
        ok=201,
        refused=400,
        partner_callers=False,
    ),
    Endpoint(
        "feedback",
        send=lambda client, things, name: client.post(
            "/api/v1/feedback/",
            {"partner": name, "kit": things["kit"].slug, "rating": 4},
            format="json",
        ),
        named=lambda response: response.json()["partner"],
        ok=201,
        refused=400,
        needs=_kit,
    ),
    Endpoint(
        "mdf request create",
        send=lambda client, things, name: client.post(
            "/api/v1/mdf/requests/", _request_body(things, name), format="json"
        ),
        named=lambda response: _slug_of_uuid(response.json()["partner"]),
        ok=201,
        refused=400,
        needs=_funds,
    ),
    Endpoint(
        "mdf claim create",
        send=_send_claim,
        named=lambda response: _slug_of_uuid(response.json()["partner"]),
        ok=201,
        refused=400,
        needs=_approved,
    ),
    Endpoint(
        "metrics",
        send=lambda client, things, name: client.get("/api/v1/metrics/", {"partner": name}),
        named=lambda response: response.json()["partner"],
        ok=200,
        refused=404,
        refused_attr=None,  # a 404 names no field; its message says `partner`
    ),
    Endpoint(
        "results sync",
        send=lambda client, things, name: client.post(
            "/api/v1/results/",
            json.dumps({"events": [event("e-1", partner=name)]}),
            content_type="application/json",
        ),
        named=_result_partner,
        ok=201,
        refused=400,
        refused_attr="events.0.partner",
    ),
    Endpoint(
        "deal create",
        send=lambda client, things, name: client.post(
            "/api/v1/deals/", deal_body(partner=name), format="json"
        ),
        named=lambda response: response.json()["partner"],
        ok=201,
        refused=400,
    ),
]
PARTNER_ENDPOINTS = [endpoint for endpoint in ENDPOINTS if endpoint.partner_callers]


def endpoint_params(endpoints: list[Endpoint]) -> list[Any]:
    return [pytest.param(endpoint, id=endpoint.id) for endpoint in endpoints]


def refusal(response: Any, endpoint: Endpoint, name: str) -> str:
    """The error as the caller reads it, with the name it sent (echoed by some
    endpoints) replaced, so two refusals can be compared word for word."""
    assert response.status_code == endpoint.refused, response.content
    body = response.json()
    assert [error["attr"] for error in body["errors"]] == [endpoint.refused_attr], body
    return response.content.decode().replace(name, "<name>")


# --- a body's (or an event's) partner and ?partner= -------------------------------------


@pytest.mark.parametrize("form", list(OWN_NAMES))
@pytest.mark.parametrize("endpoint", endpoint_params(PARTNER_ENDPOINTS))
def test_a_partner_key_names_its_own_partner_every_way_alike(
    request, alice, alice_key, endpoint, form
):
    things = endpoint.needs(request)
    name = OWN_NAMES[form](alice.partner)

    response = endpoint.send(key_client(alice_key), things, name)

    assert response.status_code == endpoint.ok, response.content
    assert endpoint.named(response) == "alice"


@pytest.mark.parametrize("form", list(OWN_NAMES))
@pytest.mark.parametrize("endpoint", endpoint_params(ENDPOINTS))
def test_a_staff_key_names_a_partner_every_way_alike(
    request, alice, bob, staff_key, endpoint, form
):
    things = endpoint.needs(request)
    name = OWN_NAMES[form](alice.partner)

    response = endpoint.send(key_client(staff_key), things, name)

    assert response.status_code == endpoint.ok, response.content
    assert endpoint.named(response) == "alice"


@pytest.mark.parametrize("endpoint", endpoint_params(PARTNER_ENDPOINTS))
def test_another_partner_reads_like_one_that_does_not_exist(
    request, alice, bob, alice_key, endpoint
):
    # given: alice's key, and bob, who exists
    things = endpoint.needs(request)
    client = key_client(alice_key)

    # when: it names bob by slug and UUID, and partners that do not exist
    names = [
        "bob",
        UNKNOWN_SLUG,
        str(bob.partner.uuid),
        UNKNOWN_UUID,
        str(bob.partner.uuid).upper(),
    ]
    errors = [refusal(endpoint.send(client, things, name), endpoint, name) for name in names]

    # then: one error, word for word, with nothing of bob in it
    assert len(set(errors)) == 1, errors
    assert "Bob" not in errors[0] and str(bob.partner.uuid) not in errors[0]


@pytest.mark.parametrize("endpoint", endpoint_params(ENDPOINTS))
def test_a_staff_key_naming_no_partner_there_is_refused_alike(request, alice, staff_key, endpoint):
    things = endpoint.needs(request)
    client = key_client(staff_key)
    names = [UNKNOWN_SLUG, UNKNOWN_SLUG.upper(), UNKNOWN_UUID]
    errors = [refusal(endpoint.send(client, things, name), endpoint, name) for name in names]
    assert len(set(errors)) == 1, errors


def test_a_nul_in_the_metrics_partner_is_not_found_not_a_crash(alice, staff_key, alice_key):
    for raw in (staff_key, alice_key):
        response = key_client(raw).get("/api/v1/metrics/", {"partner": "ali\x00ce"})
        assert response.status_code == 404, response.content


# --- ?partner= on lists ---------------------------------------------------------------------


def _key_user(partner: Partner) -> Any:
    with scopes_disabled():
        return PartnerAPIKey.objects.get(partner=partner).user


def _launches(alice, bob) -> None:
    kit = make_kit()
    make_launch(alice, kit)
    make_launch(bob, kit)


def _ratings(alice, bob) -> None:
    kit = make_kit()
    rating_save(actor=_key_user(alice.partner), partner=alice.partner, kit=kit, rating=4)
    rating_save(actor=bob.admin, partner=bob.partner, kit=kit, rating=2)


def _deals(alice, bob) -> None:
    make_deal(alice)
    make_deal(bob)


def _offers(alice, bob) -> None:
    make_offer(alice)
    make_offer(bob)


LISTS = [
    pytest.param("/api/v1/launches/", _launches, id="launches"),
    pytest.param("/api/v1/feedback/", _ratings, id="feedback"),
    pytest.param("/api/v1/deals/", _deals, id="deals"),
    pytest.param("/api/v1/leads/", _offers, id="leads"),
]


def listed_partners(client: APIClient, path: str, name: str) -> list[str]:
    response = client.get(path, {"partner": name})
    assert response.status_code == 200, response.content
    return [row["partner"] for row in response.json()["results"]]


@pytest.mark.parametrize(("path", "rows"), LISTS)
def test_a_list_filter_reads_a_partners_name_as_every_api_does(
    alice, bob, alice_key, staff_key, path, rows
):
    # given: a row of alice's and one of bob's
    rows(alice, bob)
    mine, staff = key_client(alice_key), key_client(staff_key)

    # then: alice's own names list her row, to her and to staff alike
    for form, name_of in OWN_NAMES.items():
        name = name_of(alice.partner)
        assert listed_partners(mine, path, name) == ["alice"], form
        assert listed_partners(staff, path, name) == ["alice"], form
    assert listed_partners(staff, path, "BOB") == ["bob"]
    # and, for alice, bob's name lists nothing, as a partner that does not exist
    for name in ("bob", str(bob.partner.uuid), UNKNOWN_SLUG, UNKNOWN_UUID):
        assert listed_partners(mine, path, name) == [], name
    assert listed_partners(staff, path, UNKNOWN_SLUG) == []


# --- the one definition ---------------------------------------------------------------------


def test_both_sides_read_a_name_the_same_way(alice, bob):
    partner = alice.partner
    forms = [
        "alice",
        "Alice",
        "ALICE",
        str(partner.uuid),
        str(partner.uuid).upper(),
        partner.uuid.hex,
        f"{{{partner.uuid}}}",
    ]
    with scopes_disabled():
        staff = partners_named(names=forms, own=None)
    own = partners_named(names=forms, own=partner)
    assert staff == own == dict.fromkeys(forms, partner)
    assert partners_named(names=["bob", str(bob.partner.uuid)], own=partner) == {}
    assert partner_named(name="bob", own=None) == bob.partner


def test_slugs_that_differ_only_in_case_are_told_apart_by_their_spelling(alice, tiers):
    shouting = partner_create(
        actor=None,
        name="Shouting Corp",
        slug="ALICE",
        tier=tiers["silver"],
        partner_type=Partner.Type.RESELLER,
        status=Partner.Status.ACTIVE,
    )
    assert partner_named(name="ALICE", own=None) == shouting
    assert partner_named(name="alice", own=None) == alice.partner
    assert partner_named(name="Alice", own=None) is None  # neither spelt so: no guess
    assert partner_named(name="ALICE", own=shouting) == shouting
    # A partner's caller is read against its own slug only: were the twin's spelling to
    # refuse it, the refusal would tell that a partner spelt so exists.
    assert partner_named(name="ALICE", own=alice.partner) == alice.partner


def test_a_staff_lookup_is_one_query_and_a_partners_none(alice, bob, django_assert_num_queries):
    names = ["ALICE", str(bob.partner.uuid).upper(), UNKNOWN_SLUG, "x\x00y"]
    with django_assert_num_queries(1):
        found = partners_named(names=names, own=None)
    assert found == {"ALICE": alice.partner, names[1]: bob.partner}
    with django_assert_num_queries(0):
        assert partners_named(names=names, own=alice.partner) == {"ALICE": alice.partner}

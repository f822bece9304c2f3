"""The API's edges, whatever the route: unknown URLs, trailing slashes, bodies nested too
deeply, NUL bytes in `?search=`. Every answer is in the API's one error format."""

from __future__ import annotations

import functools
import json
import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled
from rest_framework.test import APIClient

from campaigns.services import review_schedule
from deals.services import lead_offer_to
from mdf import services
from mdf.models import ActivityType, FundRequest, ProofKind
from partners.models import PartnerAPIKey
from partners.services import rating_save
from tests.assets.factories import make_asset
from tests.campaigns.factories import make_kit, make_launch
from tests.campaigns.plan_factories import add_activity
from tests.campaigns.review_factories import current_plan
from tests.conftest import key_client
from tests.deals.deal_factories import register_deal
from tests.deals.lead_factories import lead as make_lead
from tests.mdf.conftest import after_activity, approved_request, draft_request, make_pool

pytestmark = pytest.mark.django_db

# About a thousand levels in 2 KB: Python's json module gives up (RecursionError).
DEEP_JSON = "[" * 1000 + "]" * 1000


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    cache.clear()
    yield
    cache.clear()


def only_error(response, status: int) -> dict:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) == {"type", "errors"} and len(body["errors"]) == 1, body
    return {"type": body["type"], **body["errors"][0]}


@pytest.fixture
def world(alice, staff_users, alice_key):
    """One of everything a route can name: alice's partner, an asset, a draft request,
    a draft claim on an approved request, a rating alice's key gave."""
    admin = staff_users["marketing_admin"]
    allocation = services.allocation_create(
        pool=make_pool(), partner=alice.partner, amount="10000.00", actor=admin, reason="x"
    )
    activity = ActivityType.objects.create(slug="event", name="Event")
    activity.proof_kinds.add(ProofKind.objects.create(slug="invoice", name="Invoice"))
    approved = approved_request(alice, allocation, activity, staff_users)
    with after_activity(approved):
        claim = services.claim_create(fund_request=approved, amount="100.00", actor=alice.marketer)
    kit = make_kit(actor=admin)
    asset = make_asset(actor=admin)
    with scopes_disabled():
        key_user = PartnerAPIKey.objects.get(partner=alice.partner, name="alice sync").user
    rating, _created = rating_save(actor=key_user, partner=alice.partner, asset=asset, rating=4)
    plan = current_plan(alice, custom=False)
    plan_activity = add_activity(plan, alice, activity_type=activity)
    with scopes_disabled():
        target = plan.targets.get()
    review = review_schedule(
        plan=plan,
        actor=staff_users["channel_manager"],
        title="Quarterly review",
        scheduled_at=timezone.now() + timedelta(days=7),
    )
    deal = register_deal(alice)
    offer = lead_offer_to(lead=make_lead(), partner=alice.partner, actor=admin)
    return {
        "deal": deal.uuid,
        "lead": offer.uuid,
        "partner": alice.partner.uuid,
        "kit": kit.slug,
        "launch": make_launch(alice, kit).code,
        "asset": asset.uuid,
        "feedback": rating.uuid,
        "plan": plan.uuid,
        "number": target.position,
        "activity": plan_activity.uuid,
        "review": review.uuid,
        "request": draft_request(alice, allocation, activity).uuid,
        "claim": claim.uuid,
        "allocation": allocation.uuid,
        "activity_type": activity.slug,
    }


# Generated once per test process: the schema follows the code, not the data, and
# generating it takes seconds (it was asked once per route by the deep-JSON test).
@functools.cache
def schema_operations() -> tuple[tuple[str, str, dict], ...]:
    response = APIClient().get(reverse("api-schema"), {"format": "json"})
    schema = json.loads(response.content)
    return tuple(
        (path, method.upper(), operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    )


def concrete(path: str, world: dict) -> str:
    """A schema path with its `{id}` (`{slug}` of a kit, `{code}` of a launch, `{number}`
    of a plan's target, `{activity}` of its activity) pointing at a real object of
    alice's."""
    if "{id}" in path:
        kinds = ("partner", "asset", "request", "claim", "plan", "review", "deal", "lead")
        kind = next((k for k in kinds if f"/{k}s/" in path), "feedback")
        path = path.replace("{id}", str(world[kind]))
    path = path.replace("{slug}", str(world["kit"])).replace("{code}", str(world["launch"]))
    path = path.replace("{number}", str(world["number"])).replace(
        "{activity}", str(world["activity"])
    )
    return re.sub(r"\{[a-z_]+\}", "00000000-0000-0000-0000-000000000000", path)


# --- unknown URLs -------------------------------------------------------------------------


@pytest.mark.parametrize("debug", [True, False])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/no-such-thing/"),
        ("get", "/api/v1/me/x"),
        ("get", "/api/v2/partners/"),
        ("post", "/api/v1/mdf/requestz/"),
        ("delete", "/api/"),
    ],
)
def test_unknown_api_urls_answer_the_json_404_with_debug_on_or_off(debug, method, path, alice_key):
    with override_settings(DEBUG=debug):
        response = getattr(key_client(alice_key), method)(path)
    error = only_error(response, 404)
    assert (error["type"], error["code"], error["attr"]) == ("client_error", "not_found", None)


@pytest.mark.parametrize("path", ["/api/schema", "/api/docs", "/api/redoc"])
def test_the_schema_and_docs_answer_without_the_slash_too(path):
    assert APIClient().get(path).status_code == 200
    assert APIClient().get(path + "/").status_code == 200


def test_an_unknown_url_outside_the_api_keeps_the_portal_page(alice):
    with override_settings(DEBUG=False):
        response = APIClient().get("/portal/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


# --- trailing slashes ---------------------------------------------------------------------


def test_every_get_route_answers_the_same_with_or_without_its_trailing_slash(
    alice_key, staff_key, world
):
    gets = [concrete(path, world) for path, method, _op in schema_operations() if method == "GET"]
    assert "/api/v1/me/" in gets and "/api/v1/mdf/balances/" in gets
    for path in gets:
        assert path.endswith("/"), path
        # The vendor's own lists (protected accounts) are the staff key's to read.
        client = key_client(staff_key if path in VENDOR_ONLY else alice_key)
        with_slash, without = client.get(path), client.get(path[:-1])
        assert with_slash.status_code == 200, (path, with_slash.content[:300])
        assert without.status_code == 200, (path[:-1], without.content[:300])
        assert without.json() == with_slash.json(), path


def test_a_post_without_the_trailing_slash_is_not_lost(alice, alice_key, world):
    body = {
        "allocation": str(world["allocation"]),
        "activity_type": world["activity_type"],
        "title": "No slash webinar",
        "description": "x",
        "activity_start": "2099-01-10",
        "activity_end": "2099-01-10",
        "requested_amount": "100.00",
    }
    with scopes_disabled():
        before = FundRequest.objects.count()
    response = key_client(alice_key).post("/api/v1/mdf/requests", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["title"] == "No slash webinar"
    with scopes_disabled():
        assert FundRequest.objects.count() == before + 1
    patched = key_client(alice_key).patch(
        f"/api/v1/partners/{alice.partner.uuid}", {"display_name": "Alice Slashless"}, "json"
    )
    assert patched.status_code == 200, patched.content
    assert patched.json()["display_name"] == "Alice Slashless"


def test_the_schema_names_each_route_once_with_its_slash():
    paths = {path for path, _method, _op in schema_operations()}
    assert all(path.endswith("/") for path in paths), paths
    assert not {path.rstrip("/") for path in paths} & paths
    assert "/api/v1/me/" in paths and "/api/v1/mdf/balances/" in paths


# --- deeply nested JSON -------------------------------------------------------------------


VENDOR_ONLY = ("/api/v1/protected-accounts/",)
VENDOR_WRITES = ("/api/v1/leads/", *VENDOR_ONLY)


def json_write_operations() -> list[tuple[str, str]]:
    """Every write route."""
    return sorted(
        (path, method)
        for path, method, _operation in schema_operations()
        if method in {"POST", "PUT", "PATCH"}
    )


def reads_a_body(path: str, method: str) -> bool:
    """A route reads what is sent when its schema has a body, or when it takes an
    Idempotency-Key (submit, cancel: the body is part of the key's fingerprint). A
    route with neither (a plan's submit) ignores a body."""
    for found, verb, operation in schema_operations():
        if (found, verb) == (path, method):
            names = {parameter.get("name") for parameter in operation.get("parameters", [])}
            return "requestBody" in operation or "Idempotency-Key" in names
    raise AssertionError((path, method))


def test_the_json_write_routes_are_the_ones_we_know():
    # A write route added later is covered by the deep-JSON test by itself; this
    # only proves that the schema walk finds them.
    assert set(json_write_operations()) >= {
        ("/api/v1/partners/{id}/", "PATCH"),
        ("/api/v1/assets/{id}/download/", "POST"),
        ("/api/v1/mdf/requests/", "POST"),
        ("/api/v1/mdf/requests/{id}/", "PATCH"),
        ("/api/v1/mdf/requests/{id}/submit/", "POST"),
        ("/api/v1/mdf/requests/{id}/cancel/", "POST"),
        ("/api/v1/mdf/claims/", "POST"),
        ("/api/v1/mdf/claims/{id}/", "PATCH"),
        ("/api/v1/mdf/claims/{id}/submit/", "POST"),
    }


@pytest.mark.parametrize(
    "body", [DEEP_JSON, '{"a":' * 1000 + "1" + "}" * 1000, "[" * 40 + "]" * 40]
)
def test_deeply_nested_json_is_a_400_on_every_json_write_route(body, alice_key, staff_key, world):
    for number, (path, method) in enumerate(json_write_operations()):
        # The routes only the vendor writes (a lead handed out, a protected account)
        # refuse a partner's key before they read anything: their body is the staff
        # key's to send.
        client = key_client(staff_key if path in VENDOR_WRITES else alice_key)
        url = concrete(path, world)
        # Routes without a body of their own (submit, cancel) read it only to
        # fingerprint an Idempotency-Key; without one they ignore it.
        without_key = client.generic(method, url, body, content_type="application/json")
        assert without_key.status_code < 500, (method, url)
        if not reads_a_body(path, method):
            continue
        response = client.generic(
            method,
            url,
            body,
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=f"deep-{number}-{len(body)}",
        )
        error = only_error(response, 400)
        assert (error["type"], error["code"], error["attr"]) == (
            "client_error",
            "parse_error",
            None,
        ), (method, url)
        assert "nests deeper than" in error["detail"]


def test_ordinary_nesting_still_parses(alice, alice_key):
    # A body of our shape is two levels deep at most; a list in a field still reaches
    # the serializer, which names the field.
    response = key_client(alice_key).patch(
        f"/api/v1/partners/{alice.partner.uuid}/", {"display_name": [["x"]]}, format="json"
    )
    assert only_error(response, 400)["attr"] == "display_name"


# --- NUL in ?search= ----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/partners/", "/api/v1/mdf/requests/", "/api/v1/deals/"])
def test_a_nul_in_search_is_a_400_naming_search(path, staff_key):
    error = only_error(key_client(staff_key).get(path, {"search": "x\x00y"}), 400)
    assert (error["type"], error["code"], error["attr"]) == (
        "validation_error",
        "null_characters_not_allowed",
        "search",
    )


def test_search_is_documented_only_where_it_searches_and_its_400_names_it():
    for path, method, operation in schema_operations():
        names = {p["name"] for p in operation.get("parameters", [])}
        searched = ("/api/v1/partners/", "/api/v1/mdf/requests/", "/api/v1/kits/")
        if path in (*searched, "/api/v1/deals/", *VENDOR_ONLY) and method == "GET":
            assert "search" in names, path
        else:
            assert "search" not in names, (method, path)
    schema = json.loads(APIClient().get(reverse("api-schema"), {"format": "json"}).content)
    for component in ("PartnersListSearchErrorComponent", "MdfRequestsListSearchErrorComponent"):
        error = schema["components"]["schemas"][component]["properties"]
        assert error["attr"]["enum"] == ["search"]
        assert "null_characters_not_allowed" in error["code"]["enum"]


@pytest.mark.parametrize("path", ["/api/v1/assets/", "/api/v1/mdf/claims/"])
def test_search_is_ignored_where_a_list_has_nothing_to_search(path, alice_key, world):
    client = key_client(alice_key)
    plain = client.get(path)
    assert plain.status_code == 200
    assert client.get(path, {"search": "x\x00y"}).json() == plain.json()

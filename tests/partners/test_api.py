"""The REST API of the partners app: /api/v1/me, partners, tiers, the schema and docs,
and the one error format for every kind of bad request."""

from __future__ import annotations

import io
import json
import logging
import re
import uuid

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse
from django_scopes import scopes_disabled
from drf_spectacular.validation import validate_schema
from PIL import Image
from rest_framework.test import APIClient

from partners.models import Partner, Region
from partners.services import partner_update_cobranding
from tests.conftest import key_client, make_partner_world

pytestmark = pytest.mark.django_db

ME = "/api/v1/me"
PARTNERS = "/api/v1/partners/"
TIERS = "/api/v1/tiers/"


def detail_url(partner: Partner) -> str:
    return f"{PARTNERS}{partner.uuid}/"


def session_client(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def only_error(response, status: int) -> dict:
    """The response is `status` in the API's error format with exactly one error."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"type", "errors"}
    assert len(body["errors"]) == 1, body
    error = body["errors"][0]
    assert set(error) == {"code", "detail", "attr"}
    return {"type": body["type"], **error}


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    cache.clear()
    yield
    cache.clear()


# --- /api/v1/me -------------------------------------------------------------------


def test_me_as_partner_key(alice, alice_key):
    response = key_client(alice_key).get(ME)
    assert response.status_code == 200
    body = response.json()
    assert body["kind"] == "partner_api_key"
    assert body["role"] == "admin"  # what a key is unless made with another role
    assert body["staff_roles"] == []
    assert body["partner"]["id"] == str(alice.partner.uuid)
    assert body["partner"]["slug"] == "alice"
    assert body["partner"]["tier"]["slug"] == "gold"


@pytest.mark.parametrize("role", ["admin", "marketer", "sales"])
def test_me_as_partner_user_names_role_and_partner(alice, role):
    user = getattr(alice, role)
    body = session_client(user).get(ME).json()
    assert body["kind"] == "partner_user"
    assert body["username"] == user.username
    assert body["role"] == role
    assert body["partner"]["slug"] == "alice"


def test_me_as_staff_user_lists_staff_roles(staff_users):
    body = session_client(staff_users["analyst"]).get(ME).json()
    assert body == {
        "kind": "staff_user",
        "username": "andre_analyst",
        "role": None,
        "staff_roles": ["Analyst"],
        "partner": None,
    }


def test_me_as_staff_key(staff_key):
    body = key_client(staff_key).get(ME).json()
    assert body["kind"] == "staff_api_key"
    assert body["partner"] is None
    assert body["username"].startswith("api-key:")


def test_me_without_credentials_is_401_in_the_error_format(api_client):
    response = api_client.get(ME)
    error = only_error(response, 401)
    assert error == {
        "type": "client_error",
        "code": "not_authenticated",
        "detail": "Authentication credentials were not provided.",
        "attr": None,
    }
    # Tells the client which scheme to use.
    assert response["WWW-Authenticate"] == "Api-Key"


# --- partners: who sees what ----------------------------------------------------------


def test_partner_key_lists_only_its_own_partner(alice, bob, alice_key):
    body = key_client(alice_key).get(PARTNERS).json()
    assert body["count"] == 1
    assert [p["id"] for p in body["results"]] == [str(alice.partner.uuid)]
    assert "bob" not in json.dumps(body).lower()


def test_partner_user_lists_only_its_own_partner(alice, bob):
    body = session_client(bob.sales).get(PARTNERS).json()
    assert [p["slug"] for p in body["results"]] == ["bob"]


def test_staff_key_and_staff_users_list_every_partner(alice, bob, staff_key, staff_users):
    for client in (key_client(staff_key), session_client(staff_users["finance_approver"])):
        body = client.get(PARTNERS).json()
        assert body["count"] == 2
        assert [p["slug"] for p in body["results"]] == ["alice", "bob"]


def test_partner_detail_body(alice, alice_key, staff_users):
    body = key_client(alice_key).get(detail_url(alice.partner)).json()
    assert body["id"] == str(alice.partner.uuid)
    assert body["name"] == "Alice Corp"
    assert body["status"] == "active"
    assert body["partner_type"] == "reseller"
    assert body["tier"] == {"slug": "gold", "name": "Gold", "rank": 30, "benefits": ""}
    assert body["channel_manager"] == {"name": "Carl", "email": "carl_channel@example.com"}
    assert body["logo_url"] is None
    # Sequential database ids never appear.
    assert "pk" not in body
    assert body["id"] != str(alice.partner.pk)


def test_logo_url_points_to_the_access_checked_view(alice, alice_key):
    buffer = io.BytesIO()
    Image.new("RGB", (20, 10), "red").save(buffer, format="PNG")
    buffer.seek(0)
    buffer.name = "logo.png"
    partner_update_cobranding(partner=alice.partner, actor=alice.admin, logo=buffer)
    body = key_client(alice_key).get(detail_url(alice.partner)).json()
    assert body["logo_url"] == f"http://testserver/portal/logo/{alice.partner.uuid}/"


def test_other_partners_id_is_404_exactly_like_a_missing_one(alice, bob, alice_key):
    client = key_client(alice_key)
    other = client.get(detail_url(bob.partner))
    missing = client.get(f"{PARTNERS}{uuid.uuid4()}/")
    malformed = client.get(f"{PARTNERS}not-a-uuid/")
    sequential = client.get(f"{PARTNERS}{bob.partner.pk}/")
    assert only_error(other, 404) == {
        "type": "client_error",
        "code": "not_found",
        "detail": "Not found.",
        "attr": None,
    }
    assert other.content == missing.content == malformed.content == sequential.content
    assert "bob" not in other.content.decode().lower()


def test_staff_key_reads_any_partner(bob, staff_key):
    response = key_client(staff_key).get(detail_url(bob.partner))
    assert response.status_code == 200
    assert response.json()["slug"] == "bob"


def test_member_of_a_suspended_partner_is_refused(alice):
    with scopes_disabled():
        Partner.objects.filter(pk=alice.partner.pk).update(status=Partner.Status.SUSPENDED)
    error = only_error(session_client(alice.admin).get(PARTNERS), 403)
    assert error["detail"] == "This partner account is not active."


def test_staff_user_without_a_partner_permission_cannot_read_partners(alice):
    from tests.conftest import make_user

    nobody = make_user("stan_staff_without_role", staff=True)
    error = only_error(session_client(nobody).get(PARTNERS), 403)
    assert error["code"] == "permission_denied"


# --- partners: PATCH co-branding ----------------------------------------------------


COBRANDING = {
    "display_name": "Alice & Co",
    "contact_phone": "+49 30 1234567",
    "contact_email": "marketing@alice.example",
    "contact_website": "https://alice.example",
    "address": "Hauptstraße 1\n10115 Berlin",
}


def test_partner_admin_patches_the_cobranding_profile(alice):
    before = alice.partner.cobranding_revision
    response = session_client(alice.admin).patch(
        detail_url(alice.partner), COBRANDING, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    for field, value in COBRANDING.items():
        assert body[field] == value
    alice.partner.refresh_from_db()
    assert alice.partner.display_name == "Alice & Co"
    assert alice.partner.address == "Hauptstraße 1\n10115 Berlin"
    assert alice.partner.cobranding_revision == before + 1
    assert body["cobranding_revision"] == before + 1


@pytest.mark.parametrize("who", ["partner_key", "staff_key", "marketing_admin", "channel_manager"])
def test_keys_and_staff_who_may_change_partners_can_patch(
    who, alice, alice_key, staff_key, staff_users
):
    client = {
        "partner_key": lambda: key_client(alice_key),
        "staff_key": lambda: key_client(staff_key),
    }.get(who, lambda: session_client(staff_users[who]))()
    response = client.patch(detail_url(alice.partner), {"display_name": who}, format="json")
    assert response.status_code == 200, response.content
    alice.partner.refresh_from_db()
    assert alice.partner.display_name == who


@pytest.mark.parametrize("who", ["marketer", "sales", "analyst", "finance_approver"])
def test_others_cannot_patch(who, alice, staff_users):
    user = getattr(alice, who) if who in ("marketer", "sales") else staff_users[who]
    response = session_client(user).patch(
        detail_url(alice.partner), {"display_name": "Hijacked"}, format="json"
    )
    error = only_error(response, 403)
    assert error["code"] == "permission_denied"
    alice.partner.refresh_from_db()
    assert alice.partner.display_name == ""


def test_partner_key_cannot_patch_another_partner(bob, alice_key):
    response = key_client(alice_key).patch(
        detail_url(bob.partner), {"display_name": "Alice was here"}, format="json"
    )
    assert only_error(response, 404)["code"] == "not_found"
    bob.partner.refresh_from_db()
    assert bob.partner.display_name == ""


@pytest.mark.parametrize("field", ["name", "status", "tier", "slug", "display_nmae"])
def test_patching_anything_but_cobranding_is_400_naming_the_field(field, alice, alice_key):
    response = key_client(alice_key).patch(
        detail_url(alice.partner), {field: "gold", "display_name": "ok"}, format="json"
    )
    error = only_error(response, 400)
    assert error["type"] == "validation_error"
    assert error["code"] == "unknown_field"
    assert error["attr"] == "non_field_errors"  # the body as a whole: not a field of ours
    assert error["detail"] == (
        f"Unknown field “{field}”. The fields you can send are: address, contact_email, "
        "contact_phone, contact_website, display_name."
    )
    alice.partner.refresh_from_db()
    # Nothing was saved, not even the valid part.
    assert (alice.partner.name, alice.partner.status, alice.partner.display_name) == (
        "Alice Corp",
        "active",
        "",
    )


def test_each_unknown_field_is_its_own_error(alice, alice_key):
    response = key_client(alice_key).patch(
        detail_url(alice.partner), {"name": "x", "tier": "gold"}, format="json"
    )
    assert response.status_code == 400
    details = [error["detail"] for error in response.json()["errors"]]
    assert len(details) == 2
    assert "“name”" in details[0] and "“tier”" in details[1]


def test_invalid_cobranding_value_is_400_naming_the_field(alice, alice_key):
    response = key_client(alice_key).patch(
        detail_url(alice.partner), {"contact_email": "not an email"}, format="json"
    )
    error = only_error(response, 400)
    assert (error["type"], error["attr"], error["code"]) == (
        "validation_error",
        "contact_email",
        "invalid",
    )
    assert error["detail"] == "Enter a valid email address."


def test_put_post_delete_are_405(alice, alice_key):
    client = key_client(alice_key)
    for method in ("put", "post", "delete"):
        url = PARTNERS if method == "post" else detail_url(alice.partner)
        error = only_error(getattr(client, method)(url, {}, format="json"), 405)
        assert error["code"] == "method_not_allowed"
        assert method.upper() in error["detail"]
    alice.partner.refresh_from_db()
    assert Partner.objects.filter(pk=alice.partner.pk).exists()


# --- bad input: one error format, no stack trace --------------------------------------


def test_malformed_json_is_400_parse_error(alice, alice_key, caplog):
    with caplog.at_level(logging.WARNING):
        response = key_client(alice_key).patch(
            detail_url(alice.partner), data='{"display_name": "x",', content_type="application/json"
        )
    error = only_error(response, 400)
    assert (error["type"], error["code"], error["attr"]) == ("client_error", "parse_error", None)
    assert error["detail"].startswith("JSON parse error")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


def test_json_that_is_not_an_object_is_400(alice, alice_key):
    response = key_client(alice_key).patch(
        detail_url(alice.partner), data="[1, 2]", content_type="application/json"
    )
    error = only_error(response, 400)
    assert error["type"] == "validation_error"
    assert error["attr"] == "non_field_errors"
    assert "Expected a dictionary" in error["detail"]


def test_nul_bytes_are_400_not_500(alice, alice_key, staff_key):
    # PostgreSQL cannot store NUL in text; the API refuses it before the database sees it.
    response = key_client(alice_key).patch(
        detail_url(alice.partner), {"display_name": "a\x00b"}, format="json"
    )
    error = only_error(response, 400)
    assert (error["attr"], error["code"]) == ("display_name", "null_characters_not_allowed")
    for param in ("search", "region", "tier"):
        response = key_client(staff_key).get(PARTNERS, {param: "x\x00y"})
        assert only_error(response, 400)["code"] == "null_characters_not_allowed"


def test_session_writes_need_the_csrf_token(alice):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(alice.admin)
    response = client.patch(detail_url(alice.partner), {"display_name": "x"}, format="json")
    error = only_error(response, 403)
    assert error["detail"].startswith("CSRF Failed")
    alice.partner.refresh_from_db()
    assert alice.partner.display_name == ""


def test_unsupported_media_type_is_415(alice, alice_key):
    response = key_client(alice_key).patch(
        detail_url(alice.partner), data="display_name=x", content_type="text/plain"
    )
    assert only_error(response, 415)["code"] == "unsupported_media_type"


def test_oversized_body_is_413_before_anything_reads_it(alice, alice_key, settings, caplog):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"address": "x" * 2000})
    with caplog.at_level(logging.WARNING):
        response = key_client(alice_key).patch(
            detail_url(alice.partner), data=body, content_type="application/json"
        )
    error = only_error(response, 413)
    assert error == {
        "type": "client_error",
        "code": "request_too_large",
        "detail": "The request body is larger than the limit of 1000 bytes.",
        "attr": None,
    }
    alice.partner.refresh_from_db()
    assert alice.partner.address == ""
    assert not [r for r in caplog.records if r.exc_info]


def test_oversized_multipart_field_is_413_not_500(alice, alice_key, settings, caplog):
    # Multipart bodies may be large (uploads); Django limits their non-file fields
    # while the parser reads them.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    with caplog.at_level(logging.WARNING):
        response = key_client(alice_key).patch(
            detail_url(alice.partner), {"address": "x" * 2000}, format="multipart"
        )
    assert only_error(response, 413) == {
        "type": "client_error",
        "code": "request_too_large",
        "detail": "The request's form fields are larger than the limit of 1000 bytes.",
        "attr": None,
    }
    assert not [r for r in caplog.records if r.exc_info]


def test_unknown_api_url_is_404_in_the_api_format(alice_key):
    response = key_client(alice_key).get("/api/v1/no-such-thing/")
    assert only_error(response, 404) == {
        "type": "client_error",
        "code": "not_found",
        "detail": "Not found.",
        "attr": None,
    }


def test_missing_or_unknown_scheme_is_401(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer abc")
    assert only_error(api_client.get(PARTNERS), 401)["code"] == "not_authenticated"


# --- pagination, filtering, search, ordering ------------------------------------------


@pytest.fixture
def many_partners(alice, bob, tiers):
    emea = Region.objects.create(code="emea", name="EMEA")
    apac = Region.objects.create(code="apac", name="APAC")
    carol = make_partner_world(
        "carol", tiers["platinum"], partner_type=Partner.Type.DISTRIBUTOR
    ).partner
    dave = make_partner_world(
        "dave", tiers["registered"], status=Partner.Status.ONBOARDING, partner_type="msp"
    ).partner
    alice.partner.regions.add(emea)
    carol.regions.add(emea, apac)
    dave.regions.add(apac)
    return {"alice": alice.partner, "bob": bob.partner, "carol": carol, "dave": dave}


def slugs(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [p["slug"] for p in response.json()["results"]]


def test_pagination(many_partners, staff_key):
    client = key_client(staff_key)
    first = client.get(PARTNERS, {"page_size": 3}).json()
    assert first["count"] == 4
    assert [p["slug"] for p in first["results"]] == ["alice", "bob", "carol"]
    assert first["previous"] is None
    second = client.get(first["next"]).json()
    assert [p["slug"] for p in second["results"]] == ["dave"]
    assert second["next"] is None
    error = only_error(client.get(PARTNERS, {"page": 99}), 404)
    assert error["code"] == "not_found"
    assert error["detail"] == "Invalid page."


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "onboarding"}, ["dave"]),
        ({"partner_type": "distributor"}, ["carol"]),
        ({"tier": "gold"}, ["alice"]),
        ({"region": "emea"}, ["alice", "carol"]),
        ({"region": "apac", "partner_type": "msp"}, ["dave"]),
        ({"search": "caro"}, ["carol"]),
        ({"ordering": "-name"}, ["dave", "carol", "bob", "alice"]),
        ({"ordering": "-tier__rank"}, ["carol", "alice", "bob", "dave"]),
    ],
)
def test_filter_search_ordering(many_partners, staff_key, params, expected):
    assert slugs(key_client(staff_key).get(PARTNERS, params)) == expected


def test_filters_never_widen_a_partners_view(many_partners, alice_key):
    client = key_client(alice_key)
    assert slugs(client.get(PARTNERS, {"region": "emea"})) == ["alice"]
    assert slugs(client.get(PARTNERS, {"search": "carol"})) == []


@pytest.mark.parametrize("page_size", ["0", "-1", "abc", "null", "2.5"])
def test_invalid_page_size_is_400_naming_it(many_partners, staff_key, page_size):
    error = only_error(key_client(staff_key).get(PARTNERS, {"page_size": page_size}), 400)
    assert error == {
        "type": "validation_error",
        "code": "invalid",
        "detail": "Give a whole number from 1 to 500.",
        "attr": "page_size",
    }


def test_page_size_above_the_maximum_is_capped(many_partners, staff_key, settings):
    body = key_client(staff_key).get(PARTNERS, {"page_size": "100000"}).json()
    assert len(body["results"]) == 4


def test_invalid_filter_value_is_400_naming_the_parameter(many_partners, staff_key):
    error = only_error(key_client(staff_key).get(PARTNERS, {"status": "bogus"}), 400)
    assert (error["type"], error["attr"], error["code"]) == (
        "validation_error",
        "status",
        "invalid_choice",
    )


def test_list_query_count_does_not_grow_with_partners(
    alice, staff_key, tiers, django_assert_max_num_queries
):
    client = key_client(staff_key)
    client.get(PARTNERS)  # the key's last_used_at is written on first use
    with django_assert_max_num_queries(8) as few:
        client.get(PARTNERS)
    for index in range(6):
        make_partner_world(f"extra{index}", tiers["silver"])
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get(PARTNERS).json()["results"]) == 7


# --- throttling -----------------------------------------------------------------------


def test_each_key_is_throttled_on_its_own(settings, alice, bob, alice_key, bob_key):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"client": "3/minute"},
    }
    alice_client = key_client(alice_key)
    assert [alice_client.get(ME).status_code for _ in range(3)] == [200, 200, 200]
    throttled = alice_client.get(ME)
    error = only_error(throttled, 429)
    assert error["code"] == "throttled"
    assert "available in" in error["detail"]
    assert int(throttled["Retry-After"]) > 0
    # Another key has its own budget.
    assert key_client(bob_key).get(ME).status_code == 200


# --- tiers, schema, docs ----------------------------------------------------------------


def test_tiers_lowest_first(alice_key, tiers):
    body = key_client(alice_key).get(TIERS).json()
    assert [t["slug"] for t in body] == ["registered", "silver", "gold", "platinum"]
    assert body[0] == {"slug": "registered", "name": "Registered", "rank": 10, "benefits": ""}


def test_schema_is_valid_openapi_3_describing_our_operations(api_client):
    response = api_client.get(reverse("api-schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    validate_schema(schema)  # raises on an invalid document
    assert schema["openapi"].startswith("3.")
    operations = {
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }
    assert operations == {
        ("GET", "/api/v1/me/"),
        ("GET", "/api/v1/partners/"),
        ("GET", "/api/v1/partners/{id}/"),
        ("PATCH", "/api/v1/partners/{id}/"),
        ("GET", "/api/v1/tiers/"),
        ("GET", "/api/v1/assets/"),
        ("GET", "/api/v1/assets/{id}/"),
        ("POST", "/api/v1/assets/{id}/download/"),
        ("GET", "/api/v1/mdf/balances/"),
        ("GET", "/api/v1/mdf/requests/"),
        ("POST", "/api/v1/mdf/requests/"),
        ("GET", "/api/v1/mdf/requests/{id}/"),
        ("PATCH", "/api/v1/mdf/requests/{id}/"),
        ("POST", "/api/v1/mdf/requests/{id}/submit/"),
        ("POST", "/api/v1/mdf/requests/{id}/cancel/"),
        ("GET", "/api/v1/mdf/claims/"),
        ("POST", "/api/v1/mdf/claims/"),
        ("GET", "/api/v1/mdf/claims/{id}/"),
        ("PATCH", "/api/v1/mdf/claims/{id}/"),
        ("POST", "/api/v1/mdf/claims/{id}/submit/"),
        ("POST", "/api/v1/mdf/claims/{id}/proof/"),
        ("DELETE", "/api/v1/mdf/claims/{id}/proof/{proof_id}/"),
        ("GET", "/api/v1/kits/"),
        ("GET", "/api/v1/kits/{slug}/"),
        ("GET", "/api/v1/launches/"),
        ("POST", "/api/v1/launches/"),
        ("GET", "/api/v1/launches/{code}/"),
        ("PATCH", "/api/v1/launches/{code}/"),
        ("GET", "/api/v1/plan-periods/"),
        ("GET", "/api/v1/plans/"),
        ("POST", "/api/v1/plans/"),
        ("GET", "/api/v1/plans/{id}/"),
        ("PATCH", "/api/v1/plans/{id}/"),
        ("POST", "/api/v1/plans/{id}/submit/"),
        ("GET", "/api/v1/plans/{id}/targets/"),
        ("POST", "/api/v1/plans/{id}/targets/"),
        ("PATCH", "/api/v1/plans/{id}/targets/{number}/"),
        ("DELETE", "/api/v1/plans/{id}/targets/{number}/"),
        ("POST", "/api/v1/plans/{id}/targets/{number}/actual/"),
        ("GET", "/api/v1/plans/{id}/activities/"),
        ("POST", "/api/v1/plans/{id}/activities/"),
        ("PATCH", "/api/v1/plans/{id}/activities/{activity}/"),
        ("DELETE", "/api/v1/plans/{id}/activities/{activity}/"),
        ("GET", "/api/v1/mdf/activity-types/"),
        ("POST", "/api/v1/results/"),
        ("GET", "/api/v1/metrics/"),
        ("GET", "/api/v1/reviews/"),
        ("GET", "/api/v1/reviews/{id}/"),
        ("GET", "/api/v1/feedback/"),
        ("POST", "/api/v1/feedback/"),
        ("GET", "/api/v1/feedback/{id}/"),
        ("PATCH", "/api/v1/feedback/{id}/"),
        ("GET", "/api/v1/deals/"),
        ("POST", "/api/v1/deals/"),
        ("GET", "/api/v1/deals/{id}/"),
        ("POST", "/api/v1/deals/{id}/stage/"),
        ("POST", "/api/v1/deals/{id}/close/"),
        ("POST", "/api/v1/deals/{id}/extension/"),
        ("GET", "/api/v1/leads/"),
        ("POST", "/api/v1/leads/"),
        ("GET", "/api/v1/leads/{id}/"),
        ("POST", "/api/v1/leads/{id}/accept/"),
        ("POST", "/api/v1/leads/{id}/decline/"),
        ("GET", "/api/v1/protected-accounts/"),
        ("POST", "/api/v1/protected-accounts/"),
        ("DELETE", "/api/v1/protected-accounts/{domain}/"),
    }
    patch = schema["paths"]["/api/v1/partners/{id}/"]["patch"]
    assert set(patch["responses"]) >= {"200", "400", "401", "403", "404", "413", "429"}
    request = schema["components"]["schemas"]["PatchedCobrandingUpdateRequest"]
    assert request["additionalProperties"] is False
    assert schema["components"]["securitySchemes"]["ApiKeyAuth"]["name"] == "Authorization"


def test_spectacular_command_validates_without_warnings(tmp_path):
    """What CI runs: any drf-spectacular warning about one of our views fails it."""
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert "/api/v1/partners/{id}/" in out.read_text()


def test_swagger_docs_work_offline(api_client):
    response = api_client.get(reverse("api-docs"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert reverse("api-schema") in html
    # Nothing is loaded from another host: every script, style and link is our own.
    # (A bare "cdn" may well be part of the page's random CSRF token.)
    urls = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert urls and all(url.startswith("/") and not url.startswith("//") for url in urls), urls

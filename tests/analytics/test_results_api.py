"""POST /api/v1/results/: what an integration sees (status, counts, errors by index and
field), who may send, and the body limits."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from analytics.models import ResultEvent
from partners.services import api_key_create
from tests.analytics.results_fixtures import event, make_kit, make_launch, won
from tests.conftest import key_client

pytestmark = pytest.mark.django_db
URL = "/api/v1/results/"


def post(client, events, **extra):
    return client.post(
        URL, json.dumps({"events": events}), content_type="application/json", **extra
    )


def stored_count() -> int:
    with scopes_disabled():
        return ResultEvent.objects.count()


def attrs(response) -> list[str | None]:
    return [error["attr"] for error in response.json()["errors"]]


def test_the_route_is_named_and_answers_without_its_slash_too(alice_key):
    assert reverse("api:results") == URL.rstrip("/")
    response = key_client(alice_key).post(
        URL.rstrip("/"), json.dumps({"events": [event("a")]}), content_type="application/json"
    )
    assert response.status_code == 201


def test_a_partner_key_sends_a_batch_and_a_replay_counts_duplicates(alice, alice_key):
    client = key_client(alice_key)
    launch = make_launch(alice.partner, make_kit("promo"), alice.admin)
    batch = [event("a", launch=launch.code), won("b", amount="99.50", launch=launch.code)]

    first = post(client, batch)
    replay = post(client, batch)

    assert (first.status_code, first.json()) == (201, {"created": 2, "duplicates": 0})
    assert (replay.status_code, replay.json()) == (200, {"created": 0, "duplicates": 2})
    assert stored_count() == 2
    with scopes_disabled():
        assert set(ResultEvent.objects.values_list("launch_id", flat=True)) == {launch.pk}


def test_errors_name_index_and_field_in_the_apis_format_and_nothing_is_stored(alice_key):
    batch = [event("a"), event("b", kind="deal"), won("c", amount="-1.00")]

    response = post(key_client(alice_key), batch)

    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "validation_error"
    assert attrs(response) == ["events.1.kind", "events.2.amount"]
    first = body["errors"][0]
    assert (first["index"], first["field"], first["code"]) == (1, "kind", "invalid")
    assert "lead, mql, opportunity, won, lost" in first["detail"]
    assert stored_count() == 0


def test_an_amount_sent_as_a_json_number_is_refused(alice_key):
    response = post(key_client(alice_key), [won("a", amount=1250.5)])
    assert response.status_code == 400
    assert attrs(response) == ["events.0.amount"]
    assert "decimal strings" in response.json()["errors"][0]["detail"]


def test_the_same_id_with_other_values_answers_already_recorded(alice_key):
    client = key_client(alice_key)
    post(client, [won("deal", amount="10.00")])
    response = post(client, [event("new"), won("deal", amount="11.00")])
    assert response.status_code == 400
    assert attrs(response) == ["events.1.external_id"]
    assert response.json()["errors"][0]["code"] == "already_recorded"
    assert stored_count() == 1


def test_5001_events_are_one_error_on_the_batch(alice_key):
    response = post(key_client(alice_key), [event(f"e{i}") for i in range(5001)])
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["attr"], error["code"], error["index"]) == ("events", "too_many_events", None)
    assert "5,000" in error["detail"]


def test_5000_long_events_fit_although_the_api_limit_is_smaller(alice_key, settings):
    batch = [event(f"{i:0>150}", company="C" * 200) for i in range(5000)]
    body = json.dumps({"events": batch})
    assert len(body) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    response = key_client(alice_key).post(URL, body, content_type="application/json")
    assert (response.status_code, response.json()) == (201, {"created": 5000, "duplicates": 0})


def test_a_body_over_the_results_limit_answers_413(alice_key, settings):
    settings.RESULTS_MAX_BODY_SIZE = 1000
    settings.REQUEST_BODY_LIMITS = {"/api/v1/results": 1000}
    response = post(key_client(alice_key), [event(f"e{i}") for i in range(20)])
    assert response.status_code == 413
    assert response.json()["errors"][0]["code"] == "request_too_large"
    assert stored_count() == 0


@pytest.mark.parametrize(
    ("body", "content_type", "status", "attr"),
    [
        ("{not json", "application/json", 400, None),
        ("", "application/json", 400, None),
        ("events=1", "application/x-www-form-urlencoded", 415, None),
    ],
)
def test_a_body_that_is_not_a_json_batch(alice_key, body, content_type, status, attr):
    response = key_client(alice_key).post(URL, body, content_type=content_type)
    assert response.status_code == status
    assert attrs(response) == [attr]
    assert response.json()["type"] == "client_error"  # as DRF's parser answers these


def test_a_partner_key_cannot_send_for_another_partner(alice, bob, alice_key):
    bob_launch = make_launch(bob.partner, make_kit("bob-kit", partners=[bob.partner]), bob.admin)
    batch = [event("a", partner="bob"), event("b", launch=bob_launch.code)]
    response = post(key_client(alice_key), batch)
    assert response.status_code == 400
    assert attrs(response) == ["events.0.partner", "events.1.launch"]
    assert "bob" not in json.dumps(response.json()["errors"][1]).lower()
    assert stored_count() == 0


def test_a_staff_key_must_name_the_partner(alice, staff_key):
    client = key_client(staff_key)
    missing = post(client, [event("a")])
    assert missing.status_code == 400
    assert attrs(missing) == ["events.0.partner"]

    named = post(client, [event("a", partner=str(alice.partner.uuid))])
    assert (named.status_code, named.json()) == (201, {"created": 1, "duplicates": 0})
    with scopes_disabled():
        assert ResultEvent.objects.get().source == "vendor"


def test_partner_admins_and_marketers_may_send_sales_reps_may_not(alice, api_client):
    sales_key = api_key_create(
        name="sales crm", partner=alice.partner, created_by=alice.admin, role="sales"
    ).raw_key
    assert post(key_client(sales_key), [event("a")]).status_code == 403
    api_client.force_login(alice.sales)
    assert post(api_client, [event("a")]).status_code == 403
    api_client.force_login(alice.marketer)
    assert post(api_client, [event("a")]).status_code == 201


def test_staff_users_without_the_permission_and_anonymous_callers_are_refused(
    staff_users, api_client
):
    assert post(api_client, [event("a", partner="alice")]).status_code == 401
    api_client.force_login(staff_users["marketing_admin"])
    response = post(api_client, [event("a", partner="alice")])
    assert response.status_code == 403
    assert "staff integration key" in response.json()["errors"][0]["detail"]


def test_the_schema_documents_the_batch_and_its_answers(api_client):
    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/json")
    schema = json.loads(response.content)
    operation = schema["paths"]["/api/v1/results/"]["post"]
    assert set(operation["responses"]) >= {"200", "201", "400", "401", "403"}
    batch = schema["components"]["schemas"]["ResultBatchRequest"]
    assert batch["properties"]["events"]["maxItems"] == 5000

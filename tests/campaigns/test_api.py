"""The campaigns API: kits available to the caller, launches by tracking code (list,
create, read, status, name and notes), partner keys limited to their own partner."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from campaigns.models import Launch
from tests.assets.factories import make_asset
from tests.campaigns.factories import make_kit, make_launch
from tests.conftest import key_client

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def launch_body(kit, **extra):
    return {
        "kit": kit.slug,
        "channel": kit.channels[0],
        "start_date": TODAY.isoformat(),
        "end_date": (TODAY + timedelta(days=10)).isoformat(),
        **extra,
    }


def fields_of(response) -> set[str]:
    return {error["attr"] for error in response.json()["errors"]}


def test_a_partner_key_lists_the_kits_of_its_audience(alice, bob, alice_key, staff_key):
    shared = make_asset(title="Shared")
    hidden = make_asset(title="Bob's", audience={"partners": [bob.partner]})
    mine = make_kit(slug="mine", assets=[shared, hidden], channels=("email",))
    make_kit(slug="bobs", audience={"partners": [bob.partner]}, channels=("social",))
    make_kit(slug="draft", publish=False)

    body = key_client(alice_key).get("/api/v1/kits/").json()
    assert [kit["slug"] for kit in body["results"]] == ["mine"]
    assert body["results"][0]["assets"] == [str(shared.uuid)]
    assert body["results"][0]["channels"] == ["email"]

    staff = key_client(staff_key).get("/api/v1/kits/").json()
    assert {kit["slug"] for kit in staff["results"]} == {"mine", "bobs"}
    filtered = key_client(staff_key).get("/api/v1/kits/", {"channel": "social"}).json()
    assert [kit["slug"] for kit in filtered["results"]] == ["bobs"]
    assert key_client(alice_key).get(f"/api/v1/kits/{mine.slug}/").status_code == 200
    assert key_client(alice_key).get("/api/v1/kits/bobs/").status_code == 404


def test_the_kits_search(alice_key):
    make_kit(slug="a", name="Backup basics")
    make_kit(slug="b", name="Zero trust")
    body = key_client(alice_key).get("/api/v1/kits/", {"search": "trust"}).json()
    assert [kit["slug"] for kit in body["results"]] == ["b"]


def test_a_partner_key_launches_a_kit_for_its_partner(alice, alice_key):
    kit = make_kit()
    response = key_client(alice_key).post("/api/v1/launches/", launch_body(kit), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    with scopes_disabled():
        launch = Launch.objects.get()
    assert body["code"] == launch.code and body["partner"] == "alice"
    assert body["tracking_url"] == f"http://testserver/t/{launch.code}"
    assert "utm_content=" + launch.code in body["destination_url"]
    assert "id" not in body  # launches are named by code, never a sequential id


def test_a_partner_key_cannot_launch_for_another_partner_nor_a_kit_outside_its_audience(
    alice, bob, alice_key
):
    kit = make_kit()
    response = key_client(alice_key).post(
        "/api/v1/launches/", launch_body(kit, partner="bob"), format="json"
    )
    assert response.status_code == 400 and fields_of(response) == {"partner"}
    bobs = make_kit(slug="bobs", audience={"partners": [bob.partner]})
    response = key_client(alice_key).post("/api/v1/launches/", launch_body(bobs), format="json")
    assert response.status_code == 400 and fields_of(response) == {"kit"}
    with scopes_disabled():
        assert not Launch.objects.exists()


def test_a_staff_key_must_name_the_partner(alice, staff_key):
    kit = make_kit()
    response = key_client(staff_key).post("/api/v1/launches/", launch_body(kit), format="json")
    assert response.status_code == 400 and fields_of(response) == {"partner"}
    for ref in ("alice", str(alice.partner.uuid)):
        response = key_client(staff_key).post(
            "/api/v1/launches/", launch_body(kit, partner=ref), format="json"
        )
        assert response.status_code == 201
        assert response.json()["partner"] == "alice"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"channel": "webinar"}, "channel"),
        ({"end_date": (TODAY - timedelta(days=3)).isoformat()}, "end_date"),
        ({"kit": "no-such-kit"}, "kit"),
    ],
)
def test_bad_launch_input_names_the_field(alice_key, change, field):
    kit = make_kit(channels=("email",))
    response = key_client(alice_key).post(
        "/api/v1/launches/", {**launch_body(kit), **change}, format="json"
    )
    assert response.status_code == 400
    assert field in fields_of(response)


def test_launches_are_listed_read_and_changed_by_code_and_others_answer_404(alice, bob, alice_key):
    kit = make_kit()
    mine = make_launch(alice, kit)
    theirs = make_launch(bob, kit)
    client = key_client(alice_key)

    listed = client.get("/api/v1/launches/").json()["results"]
    assert [launch["code"] for launch in listed] == [mine.code]
    assert client.get(f"/api/v1/launches/{theirs.code}/").status_code == 404
    assert (
        client.patch(
            f"/api/v1/launches/{theirs.code}/", {"status": "active"}, format="json"
        ).status_code
        == 404
    )

    response = client.patch(
        f"/api/v1/launches/{mine.code}/", {"status": "active", "name": "Renamed"}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["name"]) == ("active", "Renamed")
    refused = client.patch(f"/api/v1/launches/{mine.code}/", {"status": "planned"}, format="json")
    assert refused.status_code == 400 and fields_of(refused) == {"status"}


def test_an_unknown_field_is_refused_by_name(alice_key):
    response = key_client(alice_key).post(
        "/api/v1/launches/", {**launch_body(make_kit()), "launch_id": 3}, format="json"
    )
    assert response.status_code == 400
    assert "launch_id" in response.json()["errors"][0]["detail"]


def test_a_refused_status_leaves_the_name_as_it_was(alice, alice_key):
    launch = make_launch(alice, make_kit(), name="Before")
    response = key_client(alice_key).patch(
        f"/api/v1/launches/{launch.code}/", {"status": "paused", "name": "After"}, format="json"
    )
    assert response.status_code == 400
    with scopes_disabled():
        assert Launch.objects.get(pk=launch.pk).name == "Before"


def test_sales_reps_read_but_do_not_launch(client, alice):
    kit = make_kit()
    client.force_login(alice.sales)
    assert client.get("/api/v1/launches/").status_code == 200
    response = client.post("/api/v1/launches/", launch_body(kit), content_type="application/json")
    assert response.status_code == 403

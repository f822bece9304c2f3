"""API keys: hashed at rest, revocable, expiring, bound to one partner (or staff)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from django_scopes import scopes_disabled

from partners.models import Partner, PartnerAPIKey
from partners.services import api_key_create, api_key_revoke
from tests.conftest import key_client

pytestmark = pytest.mark.django_db

ME = "/api/v1/me"
PARTNERS = "/api/v1/partners/"


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    cache.clear()


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["type"] == "client_error"
    [error] = body["errors"]
    return error


def key_row(raw_key: str) -> PartnerAPIKey:
    with scopes_disabled():
        return PartnerAPIKey.objects.get(prefix=raw_key.partition(".")[0])


def test_raw_key_is_stored_nowhere_in_the_key_table(alice, alice_key, staff_key):
    # given two keys created through the service
    secrets = [raw.partition(".")[2] for raw in (alice_key, staff_key)]
    assert all(len(secret) >= 32 for secret in secrets)
    # when every column of every row is read back as text
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM partners_partnerapikey")
        columns = [col.name for col in cursor.description]
        rows = cursor.fetchall()
    # then neither the raw key nor its secret part is in any of them
    assert len(rows) == 2
    assert "hashed_key" in columns
    cells = [str(value) for row in rows for value in row]
    for raw, secret in zip((alice_key, staff_key), secrets, strict=True):
        assert not [cell for cell in cells if raw in cell or secret in cell]
    # while the visible prefix is stored, so people can tell keys apart
    assert alice_key.partition(".")[0] in cells


def test_a_valid_key_works_and_records_its_use(alice, alice_key):
    assert key_row(alice_key).last_used_at is None
    response = key_client(alice_key).get(ME)
    assert response.status_code == 200
    assert response.json()["partner"]["slug"] == "alice"
    assert key_row(alice_key).last_used_at is not None


def test_revoked_key_is_rejected_saying_so(alice, alice_key):
    assert key_client(alice_key).get(ME).status_code == 200
    api_key_revoke(api_key=key_row(alice_key), actor=alice.admin)
    error = error_of(key_client(alice_key).get(ME), 401)
    assert error["code"] == "authentication_failed"
    assert error["detail"] == "This API key has been revoked."


def test_expired_key_is_rejected_saying_so(alice, alice_key):
    with scopes_disabled():
        PartnerAPIKey.objects.filter(pk=key_row(alice_key).pk).update(
            expiry_date=timezone.now() - timedelta(minutes=1)
        )
    error = error_of(key_client(alice_key).get(PARTNERS), 401)
    assert error["detail"] == "This API key has expired."


def test_key_with_the_right_prefix_but_wrong_secret_is_rejected(alice, alice_key):
    prefix = alice_key.partition(".")[0]
    error = error_of(key_client(f"{prefix}.{'x' * 32}").get(ME), 401)
    assert error["detail"] == "Invalid API key."


@pytest.mark.parametrize("raw", ["nodot", "pre\x00fix.secret", "ünï.cøde", ".secret"])
def test_malformed_keys_are_401_not_500(raw, alice):
    error = error_of(key_client(raw).get(ME), 401)
    assert error["code"] == "authentication_failed"
    assert error["detail"].startswith("Malformed API key")


def test_key_of_a_suspended_partner_is_rejected(alice, alice_key):
    with scopes_disabled():
        Partner.objects.filter(pk=alice.partner.pk).update(status=Partner.Status.SUSPENDED)
    error = error_of(key_client(alice_key).get(ME), 401)
    assert error["detail"] == "This partner account is not active."


def test_partner_key_cannot_read_another_partner(alice, bob, alice_key):
    client = key_client(alice_key)
    listing = client.get(PARTNERS).json()
    assert str(bob.partner.uuid) not in str(listing)
    assert [p["slug"] for p in listing["results"]] == ["alice"]
    other = client.get(f"{PARTNERS}{bob.partner.uuid}/")
    assert error_of(other, 404)["code"] == "not_found"
    assert "bob" not in other.content.decode().lower()


def test_staff_key_sees_every_partner(alice, bob, staff_key):
    client = key_client(staff_key)
    assert [p["slug"] for p in client.get(PARTNERS).json()["results"]] == ["alice", "bob"]
    assert client.get(f"{PARTNERS}{bob.partner.uuid}/").json()["slug"] == "bob"


def test_only_staff_create_staff_keys(alice):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc_info:
        api_key_create(name="sneaky", partner=None, created_by=alice.admin)
    assert "partner" in exc_info.value.message_dict
    with scopes_disabled():
        assert not PartnerAPIKey.objects.filter(name="sneaky").exists()


# --- manage.py create_api_key ----------------------------------------------------------


def run_create_api_key(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_key", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


def test_create_api_key_for_a_partner_prints_a_working_key(alice, bob):
    raw, notes = run_create_api_key("--partner", "bob", "--name", "HubSpot sync")
    assert raw.count(".") == 1
    assert "Bob Corp" in notes and "only this once" in notes
    row = key_row(raw)
    assert (row.name, row.partner_id) == ("HubSpot sync", bob.partner.pk)
    body = key_client(raw).get(ME).json()
    assert (body["kind"], body["partner"]["slug"]) == ("partner_api_key", "bob")
    listing = key_client(raw).get(PARTNERS).json()
    assert [p["slug"] for p in listing["results"]] == ["bob"]


def test_create_api_key_for_staff_prints_a_working_staff_key(alice, bob):
    raw, _notes = run_create_api_key("--staff", "--name", "CRM")
    assert key_row(raw).partner is None
    assert key_client(raw).get(ME).json()["kind"] == "staff_api_key"
    assert key_client(raw).get(PARTNERS).json()["count"] == 2


def test_create_api_key_with_unknown_slug_fails_cleanly(alice):
    with scopes_disabled():
        before = PartnerAPIKey.objects.count()
    with pytest.raises(CommandError, match="No partner with slug 'nobody'"):
        run_create_api_key("--partner", "nobody", "--name", "x")
    with scopes_disabled():
        assert PartnerAPIKey.objects.count() == before


def test_create_api_key_needs_a_partner_or_staff(alice):
    with pytest.raises(CommandError, match="one of the arguments --partner --staff is required"):
        run_create_api_key("--name", "x")

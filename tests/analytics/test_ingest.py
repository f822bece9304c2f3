"""The results sync's module (`analytics.ingest`): every field and limit, atomic
rejection, replays, the same id with other values, partner keys limited to their own
partner, overlapping batches sent at once, and the portable (SQLite) write path."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone
from django_scopes import scopes_disabled

from analytics import ingest
from analytics.ingest import MAX_EVENTS, BatchRejected, Caller, ingest_events
from analytics.models import ResultEvent
from tests.analytics.results_fixtures import event, make_kit, make_launch, won

pytestmark = pytest.mark.django_db


def stored(**filters) -> list[ResultEvent]:
    with scopes_disabled():
        return list(ResultEvent.objects.filter(**filters).order_by("external_id"))


def errors_of(excinfo) -> list[tuple[int | None, str]]:
    return [(error.index, error.field) for error in excinfo.value.errors]


def message_of(excinfo, index, field) -> str:
    return next(e.message for e in excinfo.value.errors if (e.index, e.field) == (index, field))


@pytest.fixture
def as_alice(alice) -> Caller:
    return Caller(user=alice.marketer, partner=alice.partner)


@pytest.fixture
def as_vendor(staff_users) -> Caller:
    return Caller(user=staff_users["marketing_admin"], partner=None)


# --- a good batch -------------------------------------------------------------------


def test_a_valid_batch_is_stored_with_its_partner_kit_and_day(alice, as_alice):
    # given a launch of alice's on a kit for everyone
    kit = make_kit("spring-promo")
    launch = make_launch(alice.partner, kit, alice.admin)
    batch = [
        event("crm-1", launch=launch.code, email_domain="Initech.Example"),
        won("crm-2", amount="0.00", occurred_at="2026-03-01T23:30:00-05:00", kit="spring-promo"),
        event("crm-3", kind="mql", company=None, email_domain=None),
    ]

    # when
    result = ingest_events(payload=json.dumps({"events": batch}).encode(), caller=as_alice)

    # then
    assert (result.created, result.duplicates) == (3, 0)
    first, second, third = stored()
    assert first.partner_id == alice.partner.pk
    assert (first.launch_id, first.kit_id) == (launch.pk, kit.pk)  # the kit from the launch
    assert first.email_domain == "initech.example"
    assert first.source == f"partner:{alice.partner.uuid}"
    assert (second.kind, second.amount, second.currency) == ("won", Decimal("0.00"), "EUR")
    assert second.occurred_at == datetime(2026, 3, 2, 4, 30, tzinfo=UTC)
    assert second.day == date(2026, 3, 2)  # the day in settings.TIME_ZONE (UTC)
    assert (second.kit_id, second.launch_id) == (kit.pk, None)
    assert (third.company, third.email_domain, third.amount, third.currency) == ("", "", None, "")
    assert len({first.fingerprint, second.fingerprint, third.fingerprint}) == 3
    assert not first.bot_reason and not first.repeat and not first.visitor_key


def test_the_day_is_the_local_date_of_settings_time_zone(alice, as_alice, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    ingest_events(payload=[event("late", occurred_at="2026-03-01T23:30:00+00:00")], caller=as_alice)
    assert stored()[0].day == date(2026, 3, 2)


def test_a_partner_may_name_itself_by_uuid_or_slug(alice, as_alice):
    batch = [
        event("a", partner=str(alice.partner.uuid).upper()),
        event("b", partner="alice"),
        event("c", partner=None),
    ]
    assert ingest_events(payload=batch, caller=as_alice).created == 3


# --- replays and conflicts --------------------------------------------------------------


def test_a_replay_stores_nothing_and_answers_the_same_counts_as_duplicates(alice, as_alice):
    body = json.dumps({"events": [event("a"), won("b")]}).encode()
    first = ingest_events(payload=body, caller=as_alice)
    replay = ingest_events(payload=body, caller=as_alice)
    assert (first.created, first.duplicates) == (2, 0)
    assert (replay.created, replay.duplicates) == (0, 2)
    assert len(stored()) == 2


def test_the_same_instant_written_with_another_offset_is_a_replay(alice, as_alice):
    ingest_events(payload=[event("a", occurred_at="2026-03-01T10:00:00Z")], caller=as_alice)
    again = [event("a", occurred_at="2026-03-01T11:00:00+01:00")]
    assert ingest_events(payload=again, caller=as_alice).duplicates == 1


def test_a_part_replayed_batch_counts_new_and_duplicate_events(alice, as_alice):
    ingest_events(payload=[event("a"), event("b")], caller=as_alice)
    result = ingest_events(payload=[event("b"), event("c"), event("a")], caller=as_alice)
    assert (result.created, result.duplicates) == (1, 2)


def test_the_same_id_with_other_values_rejects_the_batch(alice, as_alice):
    ingest_events(payload=[won("deal-1", amount="100.00")], caller=as_alice)

    with pytest.raises(BatchRejected) as excinfo:
        ingest_events(
            payload=[event("new-1"), won("deal-1", amount="120.00"), event("new-2")],
            caller=as_alice,
        )

    assert errors_of(excinfo) == [(1, "external_id")]
    assert "already recorded with other values" in message_of(excinfo, 1, "external_id")
    assert [e.external_id for e in stored()] == ["deal-1"]  # the new ones were not kept
    assert stored()[0].amount == Decimal("100.00")


def test_an_identical_event_twice_in_a_batch_is_created_once_and_a_duplicate_once(as_alice):
    result = ingest_events(payload=[event("a"), event("a"), event("b")], caller=as_alice)
    assert (result.created, result.duplicates) == (2, 1)
    assert len(stored()) == 2


def test_the_same_id_twice_in_a_batch_with_other_values_is_an_error_on_the_later(as_alice):
    with pytest.raises(BatchRejected) as excinfo:
        ingest_events(payload=[event("a"), event("b"), event("a", kind="mql")], caller=as_alice)
    assert errors_of(excinfo) == [(2, "external_id")]
    assert "event 0" in message_of(excinfo, 2, "external_id")
    assert stored() == []


def test_rotating_a_key_or_moving_to_csv_keeps_the_source(alice, as_alice):
    ingest_events(payload=[event("a")], caller=as_alice)
    by_admin = Caller(user=alice.admin, partner=alice.partner)  # another key, or the CSV
    assert ingest_events(payload=[event("a")], caller=by_admin).duplicates == 1


def test_the_vendor_and_a_partner_are_separate_sources(alice, as_alice, as_vendor):
    ingest_events(payload=[event("a")], caller=as_alice)
    result = ingest_events(payload=[event("a", partner="alice")], caller=as_vendor)
    assert result.created == 1
    assert {e.source for e in stored()} == {f"partner:{alice.partner.uuid}", "vendor"}


# --- atomicity and batch limits -------------------------------------------------------------


def test_one_bad_event_rejects_the_whole_batch_with_every_error(as_alice):
    batch = [event("a"), event("b", kind="deal"), event("c"), won("d", amount="-5.00")]
    with pytest.raises(BatchRejected) as excinfo:
        ingest_events(payload=batch, caller=as_alice)
    assert errors_of(excinfo) == [(1, "kind"), (3, "amount")]
    assert stored() == []


def test_a_batch_of_the_limit_is_accepted(as_alice):
    batch = [event(f"e-{i}") for i in range(MAX_EVENTS)]
    body = json.dumps({"events": batch}).encode()
    assert ingest_events(payload=body, caller=as_alice).created == MAX_EVENTS


@pytest.mark.parametrize("as_json", [True, False])
def test_one_event_over_the_limit_is_one_error_naming_the_limit(as_alice, as_json):
    batch = [event(f"e-{i}") for i in range(MAX_EVENTS + 1)]
    payload = json.dumps({"events": batch}).encode() if as_json else batch
    with pytest.raises(BatchRejected) as excinfo:
        ingest_events(payload=payload, caller=as_alice)
    assert errors_of(excinfo) == [(None, "events")]
    assert "at most 5,000 events" in excinfo.value.errors[0].message
    assert "5,001" in excinfo.value.errors[0].message
    assert stored() == []


@pytest.mark.parametrize(
    ("body", "field", "text"),
    [
        (b'{"events": []}', "events", "no events"),
        (b'{"events": [', "body", "JSON parse error"),
        (b"\xff\xfe", "body", "JSON parse error"),
        (b"[" * 40 + b"]" * 40, "body", "nests deeper than 32 levels"),
        (b'{"a":' * 1000 + b"1" + b"}" * 1000, "body", "nests deeper than 32 levels"),
        (b"[]", "body", '{"events"'),
        (b'{"events": {}}', "events", "list"),
        (b'{"events": [], "extra": 1}', "extra", "Unknown field"),
        (b'{"events": ["crm-1"]}', "event", "object"),
    ],
)
def test_a_body_of_the_wrong_shape_is_one_clear_error(as_alice, body, field, text):
    with pytest.raises(BatchRejected) as excinfo:
        ingest_events(payload=body, caller=as_alice)
    assert [e.field for e in excinfo.value.errors] == [field]
    assert text in excinfo.value.errors[0].message


def test_type_errors_of_every_event_are_listed_with_the_valid_events_checked_too(as_alice):
    batch = [
        won("a", amount=1250.5),  # a JSON number: a float
        event("b", amout="1.00"),  # misspelt
        event("c", kind="deal"),  # well-formed, but a bad kind: reported in the same answer
    ]
    with pytest.raises(BatchRejected) as excinfo:
        ingest_events(payload=json.dumps({"events": batch}).encode(), caller=as_alice)
    assert errors_of(excinfo)[:2] == [(0, "amount"), (1, "amout")]
    assert "decimal strings" in message_of(excinfo, 0, "amount")
    assert "Unknown field “amout”" in message_of(excinfo, 1, "amout")


# --- every field ----------------------------------------------------------------------------

FUTURE = (timezone.now() + timedelta(minutes=30)).isoformat()


@pytest.mark.parametrize(
    ("fields", "field", "text"),
    [
        ({"external_id": None}, "external_id", "id in your system"),
        ({"external_id": "  "}, "external_id", "id in your system"),
        ({"external_id": "x" * 201}, "external_id", "At most 200 characters"),
        ({"kind": None}, "kind", "Give the kind"),
        ({"kind": "click"}, "kind", "lead, mql, opportunity, won, lost"),
        ({"occurred_at": None}, "occurred_at", "ISO 8601"),
        ({"occurred_at": "yesterday"}, "occurred_at", "ISO 8601"),
        ({"occurred_at": "2026-03-01T10:00:00"}, "occurred_at", "offset"),
        ({"occurred_at": "2026-03-01"}, "occurred_at", "offset"),
        ({"occurred_at": FUTURE}, "occurred_at", "future"),
        ({"occurred_at": "0001-01-01T00:00:00+01:00"}, "occurred_at", "before 2000"),
        ({"kind": "opportunity"}, "amount", "Give the amount"),
        ({"amount": "10.00", "currency": "EUR"}, "amount", "Only opportunities"),
        ({"kind": "won", "amount": "-1.00", "currency": "EUR"}, "amount", "negative"),
        ({"kind": "won", "amount": "10.005", "currency": "EUR"}, "amount", "two decimals"),
        ({"kind": "won", "amount": "1e13", "currency": "EUR"}, "amount", "at most"),
        ({"kind": "won", "amount": "ten", "currency": "EUR"}, "amount", "like 1250.00"),
        ({"kind": "won", "amount": "12,5", "currency": "EUR"}, "amount", "point for decimals"),
        ({"kind": "won", "amount": "NaN", "currency": "EUR"}, "amount", "like 1250.00"),
        ({"kind": "won", "amount": "10.00"}, "currency", "Give the currency"),
        ({"kind": "won", "amount": "10.00", "currency": "EURO"}, "currency", "ISO 4217"),
        ({"kind": "won", "amount": "10.00", "currency": "XYZ"}, "currency", "ISO 4217"),
        ({"currency": "EUR"}, "currency", "goes with an amount"),
        ({"company": "c" * 201}, "company", "At most 200 characters"),
        ({"email_domain": "jane.doe@initech.example"}, "email_domain", "only the domain"),
        ({"email_domain": "localhost"}, "email_domain", "like example.com"),
        ({"email_domain": "bad_domain.example"}, "email_domain", "like example.com"),
        ({"email_domain": "-x.example"}, "email_domain", "like example.com"),
        ({"partner": "nobody"}, "partner", "your own partner"),
        ({"launch": "NOSUCHCODE"}, "launch", "No launch of this partner"),
        ({"kit": "no-such-kit"}, "kit", "No campaign kit"),
    ],
)
def test_each_bad_field_is_an_error_naming_index_and_field(as_alice, fields, field, text):
    batch = [event("ok"), event("bad", **fields)]
    with pytest.raises(BatchRejected) as excinfo:
        ingest_events(payload=json.dumps({"events": batch}).encode(), caller=as_alice)
    assert errors_of(excinfo) == [(1, field)]
    assert text in message_of(excinfo, 1, field)
    assert stored() == []


@pytest.mark.parametrize(
    ("fields", "stored_as"),
    [
        ({"kind": "opportunity", "amount": "999999999999.99", "currency": "usd"}, "USD"),
        ({"kind": "won", "amount": "1,250.50", "currency": "JPY"}, "JPY"),
        ({"email_domain": "Bücher.Example"}, "xn--bcher-kva.example"),
        ({"external_id": "x" * 200, "company": "c" * 200}, None),
        ({"occurred_at": (timezone.now() + timedelta(minutes=4)).isoformat()}, None),
    ],
)
def test_values_at_the_limits_are_accepted(as_alice, fields, stored_as):
    assert ingest_events(payload=[event("edge", **fields)], caller=as_alice).created == 1
    row = stored()[0]
    if stored_as:
        assert stored_as in (row.currency, row.email_domain)


def test_a_partner_cannot_send_another_partners_events_launches_or_kits(alice, bob, as_alice):
    # given bob's launch, a kit only bob may see, and alice's own kit
    bob_kit = make_kit("bob-only", partners=[bob.partner])
    bob_launch = make_launch(bob.partner, bob_kit, bob.admin)
    make_kit("alice-only", partners=[alice.partner])
    batch = [
        event("a", partner="bob"),
        event("b", partner=str(bob.partner.uuid)),
        event("c", launch=bob_launch.code),
        event("d", kit="bob-only"),
        event("e", kit="alice-only"),
        event("f", launch="NOSUCHCODE"),
        event("g", kit="draft-kit"),
    ]
    make_kit("draft-kit", published=False)

    with pytest.raises(BatchRejected) as excinfo:
        ingest_events(payload=batch, caller=as_alice)

    assert errors_of(excinfo) == [
        (0, "partner"),
        (1, "partner"),
        (2, "launch"),
        (3, "kit"),
        (5, "launch"),
        (6, "kit"),
    ]
    # another partner's code or kit reads exactly like one that does not exist
    assert message_of(excinfo, 2, "launch") == message_of(excinfo, 5, "launch")
    assert message_of(excinfo, 3, "kit") == message_of(excinfo, 6, "kit")
    for error in excinfo.value.errors:
        assert "bob" not in error.message.lower()
    assert stored() == []


def test_a_kit_named_beside_a_launch_must_be_the_launchs_kit(alice, as_alice):
    launch = make_launch(alice.partner, make_kit("one"), alice.admin)
    make_kit("two")
    with pytest.raises(BatchRejected) as excinfo:
        ingest_events(payload=[event("a", launch=launch.code, kit="two")], caller=as_alice)
    assert errors_of(excinfo) == [(0, "kit")]
    result = ingest_events(payload=[event("a", launch=launch.code, kit="one")], caller=as_alice)
    assert result.created == 1


def test_the_vendor_must_name_the_partner_and_its_launches_belong_to_it(
    alice, bob, as_vendor, staff_users
):
    launch = make_launch(alice.partner, make_kit("promo"), alice.admin)
    batch = [
        event("a", partner="alice", launch=launch.code),
        event("b", partner=str(bob.partner.uuid)),
        event("c"),  # no partner
        event("d", partner="nobody"),
        event("e", partner="bob", launch=launch.code),  # alice's launch, for bob
    ]
    with pytest.raises(BatchRejected) as excinfo:
        ingest_events(payload=batch, caller=as_vendor)
    assert errors_of(excinfo) == [(2, "partner"), (3, "partner"), (4, "launch")]
    assert "Name the partner" in message_of(excinfo, 2, "partner")

    result = ingest_events(payload=batch[:2], caller=as_vendor)
    assert result.created == 2
    assert [(e.partner_id, e.launch_id, e.source) for e in stored()] == [
        (alice.partner.pk, launch.pk, "vendor"),
        (bob.partner.pk, None, "vendor"),
    ]


# --- after commit -------------------------------------------------------------------------


def test_a_batch_that_creates_events_asks_for_a_rollup_after_commit(
    as_alice, monkeypatch, django_capture_on_commit_callbacks
):
    calls = []
    monkeypatch.setattr("analytics.tasks.rollup_metrics.delay", lambda: calls.append(1))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        ingest_events(payload=[event("a")], caller=as_alice)
    assert len(callbacks) == 1 and calls == [1]
    with django_capture_on_commit_callbacks() as callbacks:
        ingest_events(payload=[event("a")], caller=as_alice)  # only a duplicate
    assert callbacks == []


def test_a_broker_that_is_down_does_not_fail_the_batch(
    as_alice, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down():
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr("analytics.tasks.rollup_metrics.delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = ingest_events(payload=[event("a")], caller=as_alice)
    assert len(callbacks) == 1  # it ran, raised, and was logged (robust), not raised
    assert result.created == 1 and len(stored()) == 1


# --- the portable path (any database but PostgreSQL) ---------------------------------------


def test_the_portable_path_gives_the_same_answers(as_alice, monkeypatch):
    monkeypatch.setattr(ingest, "_insert_copy", ingest._insert_portable)
    assert ingest_events(payload=[event("a"), won("b")], caller=as_alice).created == 2
    replay = ingest_events(payload=[event("a"), won("b"), event("c")], caller=as_alice)
    assert (replay.created, replay.duplicates) == (1, 2)
    with pytest.raises(BatchRejected) as excinfo:
        ingest_events(payload=[event("d"), won("b", amount="1.00")], caller=as_alice)
    assert errors_of(excinfo) == [(1, "external_id")]
    assert sorted(e.external_id for e in stored()) == ["a", "b", "c"]


SQLITE_SCRIPT = """
import json
from django.contrib.auth.models import User
from partners.models import Partner, Tier
from partners.services import partner_create
from analytics.ingest import BatchRejected, Caller, ingest_events
from analytics.models import ResultEvent
from django_scopes import scopes_disabled

tier, _ = Tier.objects.get_or_create(slug="gold", defaults={"name": "Gold", "rank": 30})
partner = partner_create(actor=None, name="Lite Corp", slug="lite", tier=tier,
                         partner_type=Partner.Type.RESELLER, status=Partner.Status.ACTIVE)
caller = Caller(user=User.objects.create(username="lite"), partner=partner)
def ev(i, amount="10.00"):
    return {"external_id": f"e{i}", "kind": "won", "amount": amount, "currency": "EUR",
            "occurred_at": "2026-03-01T10:00:00+01:00"}
out = []
r = ingest_events(payload=json.dumps({"events": [ev(i) for i in range(600)]}), caller=caller)
out.append([r.created, r.duplicates])
r = ingest_events(payload=[ev(i) for i in range(590, 610)], caller=caller)
out.append([r.created, r.duplicates])
try:
    ingest_events(payload=[ev(700), ev(5, amount="11.00")], caller=caller)
except BatchRejected as exc:
    out.append([[e.index, e.field] for e in exc.errors])
with scopes_disabled():
    out.append(ResultEvent.objects.count())
print("RESULT", json.dumps(out))
"""


@pytest.mark.slow
def test_the_portable_path_on_a_real_sqlite_database(tmp_path):
    from tests.platform.conftest import child_env, manage

    env = child_env(tmp_path / "var", DATABASE_URL=f"sqlite:///{tmp_path / 'results.sqlite3'}")
    migrate = manage("migrate", "--no-input", env=env)
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr

    run = manage("shell", "-c", SQLITE_SCRIPT, env=env)

    assert run.returncode == 0, run.stdout + run.stderr
    line = next(line for line in run.stdout.splitlines() if line.startswith("RESULT "))
    assert json.loads(line.removeprefix("RESULT ")) == [
        [600, 0],
        [10, 10],
        [[1, "external_id"]],
        610,
    ]


# --- two clients at once (PostgreSQL) -------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_overlapping_batches_sent_at_once_never_duplicate_and_both_count_right(alice):
    if connection.vendor != "postgresql":
        pytest.skip("ON CONFLICT under real concurrency is PostgreSQL's path")
    caller = Caller(user=alice.admin, partner=alice.partner)
    rounds = 5
    for round_ in range(rounds):
        ids_a = [f"r{round_}-{i}" for i in range(0, 600)]
        ids_b = [f"r{round_}-{i}" for i in range(300, 900)]
        results: dict[str, object] = {}
        barrier = threading.Barrier(2)

        def send(name, ids, results=results, barrier=barrier):
            try:
                body = json.dumps({"events": [event(i) for i in ids]}).encode()
                barrier.wait()
                results[name] = ingest_events(payload=body, caller=caller)
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                results[name] = exc
            finally:
                connection.close()

        threads = [
            threading.Thread(target=send, args=("a", ids_a)),
            threading.Thread(target=send, args=("b", ids_b[::-1])),  # another order
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        a, b = results["a"], results["b"]
        assert isinstance(a, ingest.IngestResult), a
        assert isinstance(b, ingest.IngestResult), b
        assert a.created + b.created == 900
        assert a.duplicates + b.duplicates == 300
        assert a.created + a.duplicates == 600 and b.created + b.duplicates == 600
    assert len(stored()) == 900 * rounds
    with scopes_disabled():
        assert (
            ResultEvent.objects.values("source", "external_id").distinct().count() == 900 * rounds
        )

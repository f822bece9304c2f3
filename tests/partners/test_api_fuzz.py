"""The whole API fuzzed from its own OpenAPI schema (schemathesis), as a partner key
and as a staff key: no 5xx, and every response conforms to the schema (status code,
content type, headers, body).

The schema is fetched from /api/schema/ through the WSGI application at import time
(it needs no database), so each operation is its own test. Each test runs a bounded
number of hypothesis examples inside one pytest-django transaction; the
function-scoped fixtures are set up once per operation, which is what we want (the
data only grows), hence the suppressed `function_scoped_fixture` health check.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.core.cache import cache
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from config.wsgi import application

# JSON Schema's "uri" and "email" formats are wider than what a co-branding profile
# accepts (Django's URLValidator wants an http(s) URL with a domain; "mailto:x" is a
# valid URI). Generate the values a client would send; the server's answer to other
# strings is covered by tests/partners/test_api.py.
schemathesis.openapi.format(
    "uri",
    st.builds(
        "https://{}.example.com/{}".format,
        st.from_regex(r"[a-z0-9]{1,20}", fullmatch=True),
        st.from_regex(r"[a-z0-9/_-]{0,30}", fullmatch=True),
    ),
)
schemathesis.openapi.format(
    "email",
    st.builds(
        "{}@{}.example.com".format,
        st.from_regex(r"[a-z0-9._+-]{0,20}[a-z0-9]", fullmatch=True),
        st.from_regex(r"[a-z0-9]{1,20}", fullmatch=True),
    ),
)


def load_schema(*, coverage_phase: bool):
    config = schemathesis.Config.from_dict(
        {
            # NUL bytes in text are refused on purpose (DRF's CharField; PostgreSQL
            # cannot store them), which JSON Schema cannot express; test_api.py
            # covers that 400.
            "generation": {"allow-x00": False},
            "checks": {
                # Like DRF and django-filter, the API treats an empty query value
                # (`?status=`) as not given; this check calls that "accepting invalid
                # data". Negative cases still run every other check: no 5xx, and error
                # responses that conform to the schema.
                "negative_data_rejection": {"enabled": False},
            },
            # The coverage phase (boundary values, missing and malformed parameters,
            # unexpected methods) is the slow part: run it once, as the partner key.
            "phases": {"coverage": {"enabled": coverage_phase}},
            "operations": [
                {
                    # MDF writes name objects by id (an allocation, a request) and follow
                    # rules a schema cannot state (dates in order, amounts within what is
                    # available, a draft submitted once, only drafts changed, an
                    # Idempotency-Key naming one request): a schema-valid body may be
                    # refused with a 400 naming the field, or a 422 for a reused key.
                    # Every other check still applies.
                    "include-tag": "mdf",
                    "include-method": ["POST", "PATCH", "DELETE"],
                    "checks": {
                        "positive_data_acceptance": {
                            # schemathesis' defaults, plus 400 and 422
                            "expected-statuses": [
                                *("2xx", "3xx", "401", "403", "404", "409", "429", "5xx"),
                                *("400", "422"),
                            ]
                        }
                    },
                },
                {
                    # The metrics period follows rules a schema cannot state (from on or
                    # before to, at most three years): a schema-valid query may be a
                    # 400 naming the field.
                    "include-path": "/api/v1/metrics/",
                    "include-method": ["GET"],
                    "checks": {
                        "positive_data_acceptance": {
                            "expected-statuses": [
                                *("2xx", "3xx", "401", "403", "404", "409", "429", "5xx"),
                                "400",
                            ]
                        }
                    },
                },
            ],
        }
    )
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", application, config=config)


partner_schema = load_schema(coverage_phase=True)
staff_schema = load_schema(coverage_phase=False)

FUZZ_SETTINGS = settings(
    max_examples=25,  # per operation and key, after schemathesis' coverage phase
    deadline=None,
    derandomize=True,  # the same cases on every run: a failure here is reproducible
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)


def make_mdf_world(alice, bob, staff_users) -> dict[str, str]:
    """Funds to aim the MDF operations at: allocations for alice and bob, alice's draft
    request, her approved request whose activity is over, and a draft claim on it."""
    from datetime import datetime, time, timedelta
    from decimal import Decimal

    import time_machine
    from django.utils import timezone

    from mdf import services
    from mdf.models import ActivityType, FundPool, ProofKind

    today = timezone.localdate()
    pool = FundPool.objects.create(
        name="Fuzz funds",
        currency="EUR",
        total=Decimal("100000.00"),
        period_start=today - timedelta(days=60),
        period_end=today + timedelta(days=120),
        request_deadline=today + timedelta(days=60),
        claim_deadline=today + timedelta(days=120),
    )
    admin = staff_users["marketing_admin"]
    allocation = services.allocation_create(
        pool=pool, partner=alice.partner, amount="5000.00", actor=admin, reason="fuzz"
    )
    services.allocation_create(
        pool=pool, partner=bob.partner, amount="5000.00", actor=admin, reason="fuzz"
    )
    activity = ActivityType.objects.create(slug="fuzz-event", name="Event")
    activity.proof_kinds.add(ProofKind.objects.create(slug="invoice", name="Invoice"))

    def draft(starts_in: int):
        start = timezone.localdate() + timedelta(days=starts_in)
        return services.request_create(
            partner=alice.partner,
            allocation=allocation,
            activity_type=activity,
            title="Fuzz webinar",
            description="x",
            activity_start=start,
            activity_end=start,
            requested_amount="1000.00",
            actor=alice.marketer,
        )

    past = timezone.make_aware(datetime.combine(today - timedelta(days=20), time(12)))
    with time_machine.travel(past, tick=False):
        approved = draft(starts_in=10)
        services.request_submit(fund_request=approved, actor=alice.marketer)
        approved = services.request_decide(
            fund_request=approved, actor=admin, approve=True, note="ok"
        )
    claim = services.claim_create(fund_request=approved, amount="100.00", actor=alice.marketer)
    return {
        "partner": str(alice.partner.uuid),
        "allocation": str(allocation.uuid),
        "activity_type": activity.slug,
        "draft": str(draft(starts_in=10).uuid),
        "approved": str(approved.uuid),
        "claim": str(claim.uuid),
    }


@pytest.fixture
def fuzz_world(alice, bob, alice_key, staff_key, staff_users):
    # schemathesis calls the real WSGI handler, whose request_started/finished signals
    # close the database connection, and with it the test's transaction. Django's test
    # Client disconnects them the same way (django.test.client.ClientHandler).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    cache.clear()  # throttle counters from other tests
    try:
        yield {
            "alice": alice,
            "bob": bob,
            "alice_key": alice_key,
            "staff_key": staff_key,
            "mdf": make_mdf_world(alice, bob, staff_users),
        }
    finally:
        cache.clear()
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


HEX = "0123456789abcd"


def aim_at_real_partners(case, partner_ids: list[str]) -> None:
    """Random UUIDs only ever reach the 404 branch; point most cases at real partners
    (the caller's own, or for staff either one) so the 200 and PATCH paths run too."""
    path_id = (case.path_parameters or {}).get("id")
    if isinstance(path_id, str) and path_id[:1] in HEX:
        case.path_parameters["id"] = partner_ids[int(path_id[:1], 16) % len(partner_ids)]


def aim_at_mdf_objects(case, mdf: dict[str, str]) -> None:
    """The same for MDF: ids in the path and in bodies point, mostly, at alice's funds
    (random ones only reach "not found"), so creates and submits run too."""
    targets = {"requests": [mdf["draft"], mdf["approved"]], "claims": [mdf["claim"]]}
    path_id = (case.path_parameters or {}).get("id")
    for segment, choices in targets.items():
        if f"/mdf/{segment}/" in case.path and isinstance(path_id, str) and path_id[:1] in HEX:
            case.path_parameters["id"] = choices[int(path_id[:1], 16) % len(choices)]
    if isinstance(case.body, dict):
        for field, real in (
            ("partner", mdf["partner"]),
            ("allocation", mdf["allocation"]),
            ("request", mdf["approved"]),
            ("activity_type", mdf["activity_type"]),
        ):
            value = case.body.get(field)
            if isinstance(value, str) and value[:1] in HEX:
                case.body[field] = real


def aim(case, world, partner_ids: list[str]) -> None:
    if "/mdf/" in case.path:
        aim_at_mdf_objects(case, world["mdf"])
    else:
        aim_at_real_partners(case, partner_ids)


def call_and_validate(case, raw_key: str):
    response = case.call_and_validate(headers={"Authorization": f"Api-Key {raw_key}"})
    assert response.status_code < 500, response.text
    return response


@pytest.mark.django_db
@partner_schema.parametrize()
@FUZZ_SETTINGS
def test_api_as_partner_key(case, fuzz_world):
    alice, bob = fuzz_world["alice"], fuzz_world["bob"]
    aim(case, fuzz_world, [str(alice.partner.uuid)])
    response = call_and_validate(case, fuzz_world["alice_key"])
    # Whatever was asked, a partner key never gets to see the other partner.
    assert str(bob.partner.uuid) not in response.text
    assert "Bob Corp" not in response.text


@pytest.mark.django_db
@staff_schema.parametrize()
@FUZZ_SETTINGS
def test_api_as_staff_key(case, fuzz_world):
    alice, bob = fuzz_world["alice"], fuzz_world["bob"]
    aim(case, fuzz_world, [str(alice.partner.uuid), str(bob.partner.uuid)])
    call_and_validate(case, fuzz_world["staff_key"])


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/partners/", "/api/v1/mdf/requests/"])
@pytest.mark.parametrize("value", ["x\x00y", "\x00"])
def test_a_nul_in_search_answers_what_the_schema_documents(path, value, fuzz_world):
    """The fuzzing above generates no NUL bytes (allow-x00 is off, for bodies); a NUL
    in `?search=` is aimed at on purpose: the 400 must conform to the documented one
    (its `attr` was null, which the schema did not allow)."""
    case = staff_schema[path]["GET"].Case(query={"search": value})
    response = call_and_validate(case, fuzz_world["staff_key"])
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "search"


@pytest.mark.django_db
def test_an_error_about_a_list_item_answers_what_the_schema_documents(fuzz_world):
    """An error about one item of a list names it by position ("products.2"); the schema
    documented the attr as "products.INDEX", so such an answer did not conform (the
    fuzzing found it as the staff key). A bad product in a deal registration:"""
    alice = fuzz_world["alice"]
    body = {
        "partner": alice.partner.slug,
        "company": "Fabrikam Shipping",
        "domain": "fabrikam-shipping.example",
        "country": "DE",
        "amount": "-1.00",
        "currency": "EUR",
        "expected_close_date": "2030-01-31",
        "products": ["a", "b", "not a slug!"],
    }
    case = staff_schema["/api/v1/deals/"]["POST"].Case(body=body, media_type="application/json")
    response = call_and_validate(case, fuzz_world["staff_key"])
    assert response.status_code == 400
    attrs = {error["attr"] for error in response.json()["errors"]}
    assert "products.2" in attrs and "amount" in attrs

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


@pytest.fixture
def fuzz_world(alice, bob, alice_key, staff_key):
    # schemathesis calls the real WSGI handler, whose request_started/finished signals
    # close the database connection, and with it the test's transaction. Django's test
    # Client disconnects them the same way (django.test.client.ClientHandler).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    cache.clear()  # throttle counters from other tests
    try:
        yield {"alice": alice, "bob": bob, "alice_key": alice_key, "staff_key": staff_key}
    finally:
        cache.clear()
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def aim_at_real_partners(case, partner_ids: list[str]) -> None:
    """Random UUIDs only ever reach the 404 branch; point most cases at real partners
    (the caller's own, or for staff either one) so the 200 and PATCH paths run too."""
    path_id = (case.path_parameters or {}).get("id")
    if isinstance(path_id, str) and path_id[:1] in "0123456789abcd":
        case.path_parameters["id"] = partner_ids[int(path_id[:1], 16) % len(partner_ids)]


def call_and_validate(case, raw_key: str):
    response = case.call_and_validate(headers={"Authorization": f"Api-Key {raw_key}"})
    assert response.status_code < 500, response.text
    return response


@pytest.mark.django_db
@partner_schema.parametrize()
@FUZZ_SETTINGS
def test_api_as_partner_key(case, fuzz_world):
    alice, bob = fuzz_world["alice"], fuzz_world["bob"]
    aim_at_real_partners(case, [str(alice.partner.uuid)])
    response = call_and_validate(case, fuzz_world["alice_key"])
    # Whatever was asked, a partner key never gets to see the other partner.
    assert str(bob.partner.uuid) not in response.text
    assert "Bob Corp" not in response.text


@pytest.mark.django_db
@staff_schema.parametrize()
@FUZZ_SETTINGS
def test_api_as_staff_key(case, fuzz_world):
    alice, bob = fuzz_world["alice"], fuzz_world["bob"]
    aim_at_real_partners(case, [str(alice.partner.uuid), str(bob.partner.uuid)])
    call_and_validate(case, fuzz_world["staff_key"])

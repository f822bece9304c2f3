"""An invitation's secret never passes through the Celery broker: the service queues the
invitation's id alone, and the worker mints the token it emails (a real worker on Redis,
as production runs it)."""

from __future__ import annotations

import base64
import json
import re

import pytest
import redis
from django.db import connection

from partners.services.recruitment import invitation_by_token, invitation_create
from tests.conftest import skip_or_fail
from tests.platform.conftest import spawn, wait_until
from tests.platform.test_celery_worker import (
    _read_message,
    celery_on_redis,
    database_url,
    queue,
    redis_url,
    start_worker,
)

# Fixtures of the worker test, used by name.
__all__ = ["celery_on_redis", "queue", "redis_url", "spawn", "start_worker"]

pytestmark = [pytest.mark.celery_worker, pytest.mark.slow]


def everything_in(client: redis.Redis) -> bytes:
    """Every value in the test's Redis database (queues, unacked messages, results)."""
    values = []
    for key in client.scan_iter():
        kind = client.type(key)
        if kind == b"string":
            values.append(client.get(key) or b"")
        elif kind == b"list":
            values.extend(client.lrange(key, 0, -1))
        elif kind == b"hash":
            values.extend(v for pair in client.hgetall(key).items() for v in pair)
        elif kind == b"set":
            values.extend(client.smembers(key))
        elif kind == b"zset":
            values.extend(client.zrange(key, 0, -1))
    return b"\n".join(values)


# Committed for real, so the worker process sees it; the staff role groups, made by a
# data migration, are restored from the serialized copy.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_invitation_token_never_passes_through_redis(
    alice, start_worker, queue, redis_url, tmp_path
):
    if connection.vendor != "postgresql":
        skip_or_fail("the worker process needs a server database shared with the test")
    client = redis.Redis.from_url(redis_url)

    # given: an invitation queued after commit, before any worker runs
    invitation = invitation_create(
        partner=alice.partner, email="nia@alice.example", role="marketer", actor=alice.admin
    )
    queued = [
        raw for key in client.scan_iter(match=f"{queue}*") for raw in client.lrange(key, 0, -1)
    ]
    assert len(queued) == 1, queued
    message = json.loads(queued[0])
    args, kwargs, _embed = json.loads(base64.b64decode(message["body"]))
    assert message["headers"]["task"] == "partners.tasks.send_invitation_email"
    assert (args, kwargs) == ([invitation.pk], {})

    # when: a worker takes it
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    worker = start_worker(DATABASE_URL=database_url(), EMAIL_URL=f"filemail:///{outbox}")
    result_key = f"celery-task-meta-{message['headers']['id']}"
    if not wait_until(lambda: client.exists(result_key), timeout=20):
        pytest.fail(f"the worker did not finish within 20 s; its log:\n{worker.log_text()}")

    # then: the invitee's email carries a link that works, and its token was in no
    # message, result or anything else Redis held
    emails = [_read_message(path) for path in outbox.iterdir()]
    assert [m["to"] for m in emails] == ["nia@alice.example"]
    body = emails[0].get_body().get_content()
    token = re.search(r"/invitations/([^/\s]+)/", body).group(1)
    assert invitation_by_token(token) == invitation
    assert token.encode() not in queued[0]
    assert json.loads(client.get(result_key))["result"] == 1
    assert token.encode() not in everything_in(client)

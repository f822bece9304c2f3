"""GET /healthz: 200 when the database, the broker and the storage answer; 503 naming
what is down, without exception messages (they can carry hosts, paths or credentials)."""

from __future__ import annotations

import logging
import socket
import threading
import time

import pytest

from config import health
from config.celery import app


def test_all_components_up(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["down"] == []
    assert {name: check["ok"] for name, check in body["checks"].items()} == {
        "database": True,
        "broker": True,
        "storage": True,
    }


@pytest.fixture
def broker_down():
    """Point the Celery app at a port where nothing listens."""
    saved = {name: app.conf[name] for name in ("broker_url", "broker_transport_options")}
    app.conf.update(broker_url="redis://127.0.0.1:1/0", broker_transport_options={})
    yield
    app.conf.update(saved)


def test_broker_down_answers_503_naming_it(client, db, broker_down):
    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["down"] == ["broker"]
    assert body["checks"]["database"]["ok"] is True
    text = response.content.decode()
    assert "127.0.0.1:1" not in text
    assert "refused" not in text.lower()


def test_an_embedded_broker_that_cannot_be_opened_answers_503(client, db, tmp_path):
    # given: the embedded broker's database file lies in a folder that does not exist
    saved = {name: app.conf[name] for name in ("broker_url", "broker_transport_options")}
    app.conf.update(
        broker_url=f"sqla+sqlite:///{tmp_path / 'missing' / 'broker.sqlite3'}",
        broker_transport_options={},
    )
    try:
        # when
        response = client.get("/healthz")
    finally:
        app.conf.update(saved)

    # then: connecting alone would have said "ok"; the check opens the file
    assert response.status_code == 503
    assert response.json()["down"] == ["broker"]
    assert str(tmp_path) not in response.content.decode()


def test_storage_down_answers_503_naming_it(client, db, settings, tmp_path):
    not_a_folder = tmp_path / "media-is-a-file"
    not_a_folder.write_text("")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(not_a_folder)},
        },
    }

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["down"] == ["storage"]
    text = response.content.decode()
    assert str(tmp_path) not in text
    assert "errno" not in text.lower()
    assert "not a directory" not in text.lower()


def test_a_503_is_one_warning_naming_the_component_not_an_error(client, db, broker_down, caplog):
    # given: error monitoring listens to ERROR records (django.request logs 5xx there)
    caplog.set_level(logging.INFO)

    # when
    response = client.get("/healthz")

    # then: one WARNING from the health view naming the broker, and no ERROR at all
    assert response.status_code == 503
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [(r.name, r.getMessage().split(":")[:2]) for r in warnings] == [
        ("config.health", ["healthz", " broker is down"])
    ]


def test_a_refused_broker_is_reported_within_a_second(db, broker_down):
    started = time.monotonic()
    with pytest.raises(Exception):  # noqa: B017, PT011 - any failure means "down"
        health.check_broker()
    assert time.monotonic() - started < 1.0


def test_a_broker_that_never_answers_is_given_up_after_about_a_second(db):
    # given: something accepts the connection on the broker's port and never replies
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        saved = {name: app.conf[name] for name in ("broker_url", "broker_transport_options")}
        app.conf.update(
            broker_url=f"redis://127.0.0.1:{silent.getsockname()[1]}/0",
            broker_transport_options={},
        )
        outcome: list[object] = []

        def probe() -> None:
            try:
                health.check_broker()
            except Exception as exc:  # noqa: BLE001
                outcome.append(exc)
            else:
                outcome.append(None)

        # when
        started = time.monotonic()
        thread = threading.Thread(target=probe, daemon=True)
        thread.start()
        thread.join(timeout=5)
        elapsed = time.monotonic() - started
        app.conf.update(saved)

    # then
    assert outcome and outcome[0] is not None, "the check neither failed nor gave up"
    assert elapsed < 2.0

"""GET /healthz: 200 when the database, the broker and the storage answer; 503 naming
what is down, without exception messages (they can carry hosts, paths or credentials)."""

from __future__ import annotations

import pytest

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

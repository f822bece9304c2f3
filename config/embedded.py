"""The files the embedded defaults make for themselves in VAR_DIR: the secret key and the
Celery broker's and results' SQLite files. Read by config/settings.py, before Django is
set up, so nothing here imports Django."""

from __future__ import annotations

import contextlib
import os
import secrets
import sqlite3
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path


def made_once(path: Path, make: Callable[[Path], None]) -> Path:
    """The file at `path`, made by `make` under a temporary name (mkstemp: readable by
    the owner only) and linked into place, which fails if another process got there
    first: processes starting together (the web server, the worker, beat) agree on one
    file, and none ever reads one half made."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, draft = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        os.close(handle)
        try:
            make(Path(draft))
            with contextlib.suppress(FileExistsError):
                os.link(draft, path)
        finally:
            os.unlink(draft)
    return path


def random_secret_key(path: Path) -> None:
    path.write_text(secrets.token_urlsafe(50))


def sqlite_database_in_wal_mode(path: Path) -> None:
    """Write-ahead logging, which the file keeps: readers and the one writer work at
    once, and a commit syncs one file. For the embedded broker's SQLite files, whose
    connections SQLAlchemy opens (Django's own file sets it in init_command)."""
    with contextlib.closing(sqlite3.connect(path)) as database:
        database.execute("PRAGMA journal_mode=WAL")


def embedded_broker_database(path: Path, *, queue: str) -> None:
    """The broker's file with kombu's tables and the default queue, made by kombu
    itself before any process sends: processes that declare the queue at once on an
    empty file would each insert it, and all but one fail (kombu's lock is per process).
    Its connections are closed before the file is linked into place."""
    from kombu import Connection

    sqlite_database_in_wal_mode(path)
    with Connection(f"sqla+sqlite:///{path}") as connection:
        channel = connection.default_channel
        channel.queue_declare(queue=queue, durable=True, auto_delete=False)
        channel.session.close()
        channel.session.get_bind().dispose()


def embedded_broker(path: Path, *, queue: str) -> Path:
    """The embedded broker's file, made whole once, with `queue` declared."""
    return made_once(path, partial(embedded_broker_database, queue=queue))

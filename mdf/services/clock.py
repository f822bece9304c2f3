"""The date the MDF rules check against (deadlines, "before the activity starts",
payment dates): today, unless a block runs `as_of` another day.

Only the demo uses `as_of`, to write a history dated in the past through the same
services; timestamps (`submitted_at`, `decided_at`, …) stay real. The override is a
context variable, so it holds for the code inside the block and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date

from django.utils import timezone

_as_of: ContextVar[date | None] = ContextVar("mdf_as_of", default=None)


def today() -> date:
    return _as_of.get() or timezone.localdate()


@contextmanager
def as_of(day: date) -> Iterator[None]:
    """Run the services as if today were `day`."""
    token = _as_of.set(day)
    try:
        yield
    finally:
        _as_of.reset(token)

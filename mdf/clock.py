"""The date and time the MDF services go by: the date their rules check (deadlines,
"before the activity starts", payment dates) and the time they record (submitted,
decided, ledger entries, the decision trail). Now, unless a block runs `as_of`
another day.

Only the demo uses `as_of`, to write a history dated in the past through the same
services (its steps run in date order, so each allocation's ledger stays in time
order). The override is a context variable: it holds for the code inside the block
and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime

from django.utils import timezone

_as_of: ContextVar[date | None] = ContextVar("mdf_as_of", default=None)


def today() -> date:
    return _as_of.get() or timezone.localdate()


def now() -> datetime:
    """The current time; under `as_of`, that day at the current time of day."""
    moment = timezone.now()
    day = _as_of.get()
    if day is None:
        return moment
    local = timezone.localtime(moment)
    return local.replace(year=day.year, month=day.month, day=day.day)


@contextmanager
def as_of(day: date) -> Iterator[None]:
    """Run the services as if today were `day`."""
    token = _as_of.set(day)
    try:
        yield
    finally:
        _as_of.reset(token)

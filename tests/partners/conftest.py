"""Fixtures the partners tests share."""

from __future__ import annotations

import pytest

from mdf import services as mdf_services
from mdf.models import ActivityType, Allocation
from tests.mdf.conftest import make_pool


@pytest.fixture
def funds(alice, staff_users) -> tuple[Allocation, ActivityType]:
    """alice's allocation of 10,000 EUR and an activity type to request funds for."""
    allocation = mdf_services.allocation_create(
        pool=make_pool(),
        partner=alice.partner,
        amount="10000.00",
        actor=staff_users["marketing_admin"],
        reason="H1 plan",
    )
    return allocation, ActivityType.objects.create(slug="event", name="Event")

"""Creating a fund pool (`services.pool_create`, which the admin's add page uses)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from mdf import services
from mdf.models import FundPool
from tests.mdf.conftest import make_pool

D = Decimal


def unsaved_pool(**fields) -> FundPool:
    today = timezone.localdate()
    values = {
        "name": "FY28 H1",
        "currency": "EUR",
        "total": D("50000.00"),
        "period_start": today,
        "period_end": today + timedelta(days=180),
        "request_deadline": today + timedelta(days=120),
        "claim_deadline": today + timedelta(days=200),
    }
    return FundPool(**(values | fields))


@pytest.mark.django_db
def test_a_new_pool_is_saved_with_nothing_allocated():
    pool = services.pool_create(pool=unsaved_pool())

    saved = FundPool.objects.get(pk=pool.pk)
    assert (saved.name, saved.total, saved.allocated) == ("FY28 H1", D("50000.00"), D("0.00"))


@pytest.mark.django_db
def test_a_pool_breaking_its_rules_is_refused_field_by_field_and_not_saved():
    dollars = make_pool(name="FY27 USD", currency="USD")

    with pytest.raises(ValidationError) as refused:
        services.pool_create(
            pool=unsaved_pool(rollover_policy=FundPool.Rollover.CARRY_OVER, rollover_pool=dollars)
        )

    assert "same currency" in " ".join(refused.value.message_dict["rollover_pool"])
    assert not FundPool.objects.filter(name="FY28 H1").exists()


@pytest.mark.django_db
def test_a_new_pool_cannot_start_with_money_allocated():
    with pytest.raises(ValidationError) as refused:
        services.pool_create(pool=unsaved_pool(allocated=D("100.00")))

    assert "allocated" in refused.value.message_dict
    assert not FundPool.objects.filter(name="FY28 H1").exists()

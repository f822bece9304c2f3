"""Deal registration: the services of docs/deals.md."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

from deals.models import Deal
from tests.deals.deal_factories import deals_in_every_state, products  # noqa: F401

pytestmark = pytest.mark.django_db


def test_factories_make_a_deal_in_every_state(alice, staff_users):
    deals = deals_in_every_state(alice, actor=staff_users["channel_manager"])
    with scopes_disabled():
        assert {status: Deal.objects.get(pk=d.pk).status for status, d in deals.items()} == {
            s: s for s in Deal.Status.values
        }

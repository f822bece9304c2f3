"""Lead services: receive, offer by hand, accept, decline, withdraw, work, convert;
bad input; emails; what a partner may read."""

from __future__ import annotations

import pytest

from deals.models import Lead, LeadOffer
from deals.services import lead_accept, lead_route
from tests.deals import lead_factories as f

pytestmark = pytest.mark.django_db


def test_smoke_route_and_accept(alice, bob, tiers):
    emea = f.region("emea")
    alice.partner.regions.set([emea])
    f.rule("all")
    lead = f.lead(region=emea)
    offer = lead_route(lead=lead)
    assert offer is not None and offer.partner == alice.partner
    accepted = lead_accept(offer=offer, user=alice.sales)
    assert accepted.status == LeadOffer.Status.ACCEPTED
    assert f.fresh(lead).status == Lead.Status.ACCEPTED

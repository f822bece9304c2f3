"""The demo library: realistic generated files, every audience shape, idempotent."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

from assets.demo import ASSETS, seed_assets
from assets.models import Asset, AssetVersion, LibraryVisit
from partners.models import Partner

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_seed_twice_creates_once_and_partners_see_their_share(demo):
    assert demo.created["assets"] == len(ASSETS)  # the first run's report
    assert seed_assets(actor=None) == 0  # idempotent
    assert Asset.objects.count() == len(ASSETS)
    assert AssetVersion.objects.filter(preview_state="ready").count() >= 20
    northwind = Partner.objects.get(slug="northwind")  # Gold reseller, NA, English
    contoso = Partner.objects.get(slug="contoso")  # Platinum MSP, NA + EMEA, en/fr
    seen_by = {
        slug: set(Asset.objects.available_to(p).values_list("title", flat=True))
        for slug, p in (("northwind", northwind), ("contoso", contoso))
    }
    assert "2027 roadmap preview (Platinum only)" in seen_by["contoso"] - seen_by["northwind"]
    assert "Managed services pricing guide" in seen_by["contoso"] - seen_by["northwind"]
    assert "Q1 campaign brochure" not in seen_by["northwind"]  # publishes in two weeks
    assert "2025 price list" not in seen_by["northwind"]  # archived
    assert northwind.logo and Asset.objects.filter(cobrandable=True).count() >= 4
    with scopes_disabled():
        assert LibraryVisit.objects.filter(partner=northwind).exists()

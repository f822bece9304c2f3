"""The audience matrix: tier × partner type × region × language × allow-list × dates.

`Asset.objects.available_to(partner)` (SQL) is compared with a plain-Python reading
of the rule for every asset × partner of a grid, then the status and date cases.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from assets import services
from assets.models import Asset, AudienceScope
from partners.models import Partner
from tests.conftest import make_partner_world

pytestmark = pytest.mark.django_db

TIERS = ("silver", "gold")
TYPES = (Partner.Type.RESELLER, Partner.Type.MSP)
REGIONS = ("na", "emea")
LANGUAGES = ("en", "de")


def expected(rules: dict, partner: dict) -> bool:
    """The rule as written in the admin, in Python."""
    has_rules = any(rules[name] for name in ("tiers", "types", "regions", "languages"))
    listed = partner["slug"] in rules["partners"]
    if not has_rules:
        return listed if rules["partners"] else True
    matches = (
        (not rules["tiers"] or partner["tier"] in rules["tiers"])
        and (not rules["types"] or partner["type"] in rules["types"])
        and (not rules["regions"] or bool(partner["regions"] & set(rules["regions"])))
        and (not rules["languages"] or bool(partner["languages"] & set(rules["languages"])))
    )
    return matches or listed


@pytest.fixture
def grid(tiers, regions, languages):
    """16 partners: every tier × type × region × language, plus a two-region,
    two-language partner."""
    partners = {}
    combos = list(itertools.product(TIERS, TYPES, REGIONS, LANGUAGES))
    for index, (tier, kind, region, language) in enumerate(combos):
        slug = f"p{index}"
        partner = make_partner_world(slug, tiers[tier], partner_type=kind).partner
        partner.regions.set([regions[region]])
        partner.languages.set([languages[language]])
        partners[slug] = (
            partner,
            {
                "slug": slug,
                "tier": tier,
                "type": kind,
                "regions": {region},
                "languages": {language},
            },
        )
    wide = make_partner_world("wide", tiers["silver"], partner_type=Partner.Type.RESELLER).partner
    wide.regions.set([regions["na"], regions["apac"]])
    wide.languages.set([languages["fr"], languages["de"]])
    partners["wide"] = (
        wide,
        {
            "slug": "wide",
            "tier": "silver",
            "type": "reseller",
            "regions": {"na", "apac"},
            "languages": {"fr", "de"},
        },
    )
    return partners


def publish_without_file(assets):
    now = timezone.now()
    Asset.objects.filter(pk__in=[a.pk for a in assets]).update(
        status=Asset.Status.PUBLISHED, published_at=now, live_at=now
    )


def test_every_rule_combination_against_every_partner(grid, tiers, regions, languages):
    # given: an asset per combination of (no rule | one value) per dimension × allow-list
    cases = []
    for tier, kind, region, language, listed in itertools.product(
        (None, "gold"), (None, Partner.Type.MSP), (None, "emea"), (None, "de"), (None, "p0")
    ):
        rules = {
            "tiers": [tier] if tier else [],
            "types": [kind] if kind else [],
            "regions": [region] if region else [],
            "languages": [language] if language else [],
            "partners": [listed] if listed else [],
        }
        asset = services.asset_create(
            actor=None,
            title=f"rules {len(cases)}",
            audience={
                "tiers": [tiers[t] for t in rules["tiers"]],
                "partner_types": rules["types"],
                "regions": [regions[r] for r in rules["regions"]],
                "languages": [languages[code] for code in rules["languages"]],
                "partners": [grid[slug][0] for slug in rules["partners"]],
            },
        )
        cases.append((asset, rules))
    # Several values in one rule: any of them matches.
    multi = {
        "tiers": ["silver", "gold"],
        "types": [],
        "regions": ["apac", "emea"],
        "languages": ["fr", "ja"],
        "partners": [],
    }
    asset = services.asset_create(
        actor=None,
        title="multi",
        audience={
            "tiers": [tiers["silver"], tiers["gold"]],
            "regions": [regions["apac"], regions["emea"]],
            "languages": [languages["fr"], languages["ja"]],
        },
    )
    cases.append((asset, multi))
    publish_without_file([asset for asset, _rules in cases])

    # when / then
    mismatches = []
    for partner, facts in grid.values():
        visible = set(Asset.objects.available_to(partner).values_list("pk", flat=True))
        for asset, rules in cases:
            if (asset.pk in visible) != expected(rules, facts):
                mismatches.append((asset.title, facts["slug"], rules, asset.pk in visible))
    assert not mismatches, mismatches[:5]
    assert len(cases) == 33


def test_scope_is_kept_by_the_service(tiers, alice):
    asset = services.asset_create(actor=None, title="scoped")
    assert asset.audience_scope == AudienceScope.EVERYONE
    services.audience_set(obj=asset, partners=[alice.partner])
    assert asset.audience_scope == AudienceScope.LISTED
    services.audience_set(obj=asset, tiers=[tiers["gold"]])
    assert asset.audience_scope == AudienceScope.RULES
    services.audience_set(obj=asset, tiers=[], partners=[])
    asset.refresh_from_db()
    assert asset.audience_scope == AudienceScope.EVERYONE
    with pytest.raises(Exception, match="Unknown partner type"):
        services.audience_set(obj=asset, partner_types=["pirate"])


@pytest.mark.parametrize(
    ("status", "publish_delta", "expire_delta", "visible"),
    [
        (Asset.Status.PUBLISHED, None, None, True),
        (Asset.Status.DRAFT, None, None, False),
        (Asset.Status.ARCHIVED, None, None, False),
        (Asset.Status.PUBLISHED, timedelta(hours=1), None, False),  # not yet
        (Asset.Status.PUBLISHED, -timedelta(hours=1), None, True),
        (Asset.Status.PUBLISHED, None, -timedelta(seconds=1), False),  # expired
        (Asset.Status.PUBLISHED, None, timedelta(days=1), True),
        (Asset.Status.PUBLISHED, -timedelta(days=2), -timedelta(days=1), False),
        (Asset.Status.PUBLISHED, -timedelta(days=1), timedelta(days=1), True),
    ],
)
def test_status_and_dates(alice, status, publish_delta, expire_delta, visible):
    now = timezone.now()
    asset = services.asset_create(
        actor=None,
        title="dated",
        publish_at=now + publish_delta if publish_delta is not None else None,
        expire_at=now + expire_delta if expire_delta is not None else None,
    )
    Asset.objects.filter(pk=asset.pk).update(status=status, published_at=now, live_at=now)
    assert (
        Asset.objects.available_to(alice.partner, now=now).filter(pk=asset.pk).exists() is visible
    )


def test_publish_date_in_the_future_becomes_visible_on_time(alice, time_machine):
    now = timezone.now()
    from tests.assets.factories import make_asset

    asset = make_asset(publish_at=now + timedelta(days=3))
    assert not Asset.objects.available_to(alice.partner).filter(pk=asset.pk).exists()
    assert asset.live_at == asset.publish_at  # "new" and "newest" count from then
    time_machine.move_to(now + timedelta(days=3, seconds=1))
    assert Asset.objects.available_to(alice.partner).filter(pk=asset.pk).exists()


def test_a_changed_partner_is_seen_at_once(alice, regions):
    """The rule reads the partner's regions when asked, not from a stale copy."""
    asset = services.asset_create(
        actor=None, title="EMEA only", audience={"regions": [regions["emea"]]}
    )
    publish_without_file([asset])
    assert not Asset.objects.available_to(alice.partner).filter(pk=asset.pk).exists()
    alice.partner.regions.add(regions["emea"])
    assert Asset.objects.available_to(alice.partner).filter(pk=asset.pk).exists()

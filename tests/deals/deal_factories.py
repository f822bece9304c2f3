"""Deal registrations for tests, made through the services (docs/deals.md).

Partners come from tests/conftest.py: `alice` (channel manager `carl_channel`) and
`bob` (no channel manager; the Marketing admins decide). Import what you need:

    from tests.deals.deal_factories import make_deal, products_fixture  # noqa: F401

`products_fixture` and `protected_account_fixture` are the fixtures `products` and
`protected_account` (importing them into a test module makes them available there);
the rest are plain functions.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from itertools import count
from typing import Any

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from deals import services
from deals.models import Deal, DealProgram, Product, ProtectedAccount
from mdf import clock

_numbers = count(1)


def make_products() -> dict[str, Product]:
    """Two offered products and one no longer offered ("legacy")."""
    result = {}
    for slug, name, active in (
        ("firewall", "Next-gen firewall", True),
        ("edr", "Endpoint detection", True),
        ("legacy", "Legacy VPN", False),
    ):
        result[slug], _ = Product.objects.get_or_create(
            slug=slug, defaults={"name": name, "active": active}
        )
    return result


@pytest.fixture(name="products")
def products_fixture(db) -> dict[str, Product]:
    return make_products()


def make_protected_account(
    domain: str = "bigbank.example", company: str = "Big Bank", actor: Any = None
) -> ProtectedAccount:
    account, _ = ProtectedAccount.objects.get_or_create(
        domain=domain, defaults={"company": company, "country": "DE", "added_by": actor}
    )
    return account


@pytest.fixture(name="protected_account")
def protected_account_fixture(db) -> ProtectedAccount:
    return make_protected_account()


def deal_input(**overrides: Any) -> services.DealInput:
    """A valid registration; a fresh domain each call unless `domain` is given."""
    number = next(_numbers)
    values: dict[str, Any] = {
        "company": f"Customer {number} GmbH",
        "domain": f"customer{number}.example",
        "country": "DE",
        "products": ["firewall"],
        "amount": Decimal("25000.00"),
        "currency": "EUR",
        "expected_close_date": timezone.localdate() + timedelta(days=60),
        "stage": Deal.Stage.QUALIFICATION,
        "notes": "Refresh of their perimeter.",
        "contact_name": "Dana Buyer",
        "contact_email": "dana@customer.example",
        "launch": "",
    }
    values.update(overrides)
    if "products" not in overrides:
        make_products()
    return services.DealInput(**values)


def register_deal(world: Any, *, user: Any = None, **overrides: Any) -> Deal:
    """A registration by the world's sales rep (or `user`), under review."""
    return services.deal_register(
        partner=world.partner, user=user or world.sales, data=deal_input(**overrides)
    )


def decider(world: Any, staff_users: dict[str, Any]) -> Any:
    """Who decides the world's deals: its channel manager, else a Marketing admin."""
    with scopes_disabled():
        manager = world.partner.channel_manager
    return manager or staff_users["marketing_admin"]


def make_deal(world: Any, status: str, *, actor: Any, user: Any = None, **overrides: Any) -> Deal:
    """A deal of `world` in `status`, taken there through the services by `actor`
    (staff deciding) and `user` (the partner's rep, default its sales rep)."""
    user = user or world.sales
    S = Deal.Status
    if status == S.EXPIRED:
        # Approved long enough ago that its protection has ended, then the daily job
        # (other deals approved today are far from their expiry).
        days = DealProgram.current().exclusivity_days + 1
        with clock.as_of(timezone.localdate() - timedelta(days=days)):
            deal = make_deal(world, S.APPROVED, actor=actor, user=user, **overrides)
        services.deals_expire()
        with scopes_disabled():
            return Deal.objects.get(pk=deal.pk)
    deal = register_deal(world, user=user, **overrides)
    if status == S.SUBMITTED:
        return deal
    if status == S.MORE_INFO:
        return services.deal_request_info(
            deal=deal, actor=actor, question="Which sites are in scope?"
        )
    if status == S.REJECTED:
        return services.deal_reject(deal=deal, actor=actor, reason="Customer already served.")
    if deal.conflict_cleared is False and _has_conflicts(deal):
        deal = services.deal_clear_conflict(deal=deal, actor=actor, note="Checked.")
    deal = services.deal_approve(deal=deal, actor=actor, note="Go ahead.")
    if status == S.APPROVED:
        return deal
    if status == S.WON:
        return services.deal_close_won(deal=deal, user=user, amount=Decimal("24000.00"))
    if status == S.LOST:
        return services.deal_close_lost(deal=deal, user=user, reason="Went with a competitor.")
    raise ValueError(f"unknown status {status!r}")


def _has_conflicts(deal: Deal) -> bool:
    with scopes_disabled():
        return deal.conflicts.exists()


def deals_in_every_state(world: Any, *, actor: Any) -> dict[str, Deal]:
    """One deal of `world` per status (keyed by status value)."""
    make_products()
    return {status: make_deal(world, status, actor=actor) for status in Deal.Status.values}

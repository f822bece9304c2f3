"""Membership writes: a role change and a removal go through the services, which lock
the row and write the partner's audit trail in the same transaction."""

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django_scopes import scopes_disabled

from partners.models import Membership, PartnerAuditEntry
from partners.services import membership_change_role, membership_create, membership_remove
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def membership_entries(partner):
    with scopes_disabled():
        return list(
            PartnerAuditEntry.objects.filter(partner=partner, field="membership")
            .order_by("id")
            .values_list("actor__username", "old_value", "new_value", "reason")
        )


def membership_of(user):
    with scopes_disabled():
        return Membership.objects.filter(user=user).first()


def test_role_change_is_audited_once(alice, staff_users):
    admin = staff_users["marketing_admin"]
    membership = membership_of(alice.sales)

    membership_change_role(
        membership=membership, role=Membership.Role.MARKETER, actor=admin, reason="Moved team"
    )
    membership_change_role(membership=membership, role=Membership.Role.MARKETER, actor=admin)

    assert membership_of(alice.sales).role == Membership.Role.MARKETER
    assert membership_entries(alice.partner) == [
        (
            "maya_marketing",
            "Alice <alice_sales>: Sales rep",
            "Alice <alice_sales>: Marketer",
            "Moved team",
        )
    ]


def test_unknown_role_is_refused_on_the_field(alice, staff_users):
    with pytest.raises(ValidationError) as caught:
        membership_change_role(
            membership=membership_of(alice.sales),
            role="owner",
            actor=staff_users["marketing_admin"],
        )
    assert caught.value.message_dict == {"role": ["Unknown role."]}
    assert membership_of(alice.sales).role == Membership.Role.SALES
    assert membership_entries(alice.partner) == []


def test_removal_is_audited_and_the_account_stays(alice, staff_users):
    membership_remove(
        membership=membership_of(alice.sales),
        actor=staff_users["marketing_admin"],
        reason="Left the company",
    )

    assert membership_of(alice.sales) is None
    alice.sales.refresh_from_db()  # the user account itself is kept
    assert membership_entries(alice.partner) == [
        ("maya_marketing", "Alice <alice_sales>: Sales rep", "", "Left the company")
    ]


def test_a_failed_audit_write_undoes_the_role_change(alice, staff_users, monkeypatch):
    # A database that refuses the audit row (simulated: no other way to make only that
    # insert fail) must leave the role as it was: change and trail are one transaction.
    def refuse(*args, **kwargs):
        raise DatabaseError("audit table unavailable")

    monkeypatch.setattr(PartnerAuditEntry.objects, "create", refuse)
    with pytest.raises(DatabaseError):
        membership_change_role(
            membership=membership_of(alice.sales),
            role=Membership.Role.ADMIN,
            actor=staff_users["marketing_admin"],
        )
    assert membership_of(alice.sales).role == Membership.Role.SALES


def test_staff_adding_someone_is_audited(alice, staff_users):
    newcomer = make_user("nina_new")
    membership_create(
        partner=alice.partner,
        user=newcomer,
        role=Membership.Role.MARKETER,
        actor=staff_users["channel_manager"],
    )
    assert membership_entries(alice.partner) == [
        ("carl_channel", "", "Nina <nina_new>: Marketer", "")
    ]

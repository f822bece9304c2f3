"""Partner decisions, the audit trail and the emails they send."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django_scopes import scopes_disabled

from partners.models import Membership, Partner, PartnerAuditEntry
from partners.services import membership_create, partner_decide
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def audit_rows(partner):
    with scopes_disabled():
        return list(
            PartnerAuditEntry.objects.filter(partner=partner)
            .exclude(field=PartnerAuditEntry.Field.CREATED)
            .order_by("id")
            .values_list("field", "old_value", "new_value", "reason", "actor__username")
        )


def test_decision_records_who_what_old_new_and_why(
    alice, tiers, staff_users, django_capture_on_commit_callbacks
):
    manager = staff_users["channel_manager"]
    with django_capture_on_commit_callbacks(execute=True):
        partner_decide(
            partner=alice.partner,
            actor=manager,
            status=Partner.Status.SUSPENDED,
            tier=tiers["platinum"],
            reason="Missed two quarterly reviews",
        )
    alice.partner.refresh_from_db()
    assert alice.partner.status == Partner.Status.SUSPENDED
    assert alice.partner.tier == tiers["platinum"]
    assert audit_rows(alice.partner) == [
        ("status", "Active", "Suspended", "Missed two quarterly reviews", manager.username),
        ("tier", "Gold", "Platinum", "Missed two quarterly reviews", manager.username),
    ]
    # The partner's admins hear about it, with the reason.
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [alice.admin.email]
    assert "Missed two quarterly reviews" in mail.outbox[0].body
    assert "Suspended" in mail.outbox[0].body


def test_decision_without_reason_changes_nothing(alice, staff_users):
    with pytest.raises(ValidationError) as exc_info:
        partner_decide(
            partner=alice.partner,
            actor=staff_users["channel_manager"],
            status="suspended",
            reason=" ",
        )
    assert "reason" in exc_info.value.message_dict
    alice.partner.refresh_from_db()
    assert alice.partner.status == Partner.Status.ACTIVE
    assert audit_rows(alice.partner) == []


@pytest.mark.parametrize(
    ("start", "target", "allowed"),
    [
        ("applicant", "onboarding", True),
        ("applicant", "active", False),
        ("onboarding", "active", True),
        ("active", "suspended", True),
        ("suspended", "active", True),
        ("active", "applicant", False),
        ("terminated", "active", False),
    ],
)
def test_status_moves_only_along_the_lifecycle(alice, staff_users, start, target, allowed):
    Partner.objects.filter(pk=alice.partner.pk).update(status=start)
    alice.partner.refresh_from_db()
    if allowed:
        partner_decide(
            partner=alice.partner, actor=staff_users["marketing_admin"], status=target, reason="x"
        )
        alice.partner.refresh_from_db()
        assert alice.partner.status == target
    else:
        with pytest.raises(ValidationError, match="cannot move"):
            partner_decide(
                partner=alice.partner,
                actor=staff_users["marketing_admin"],
                status=target,
                reason="x",
            )
        alice.partner.refresh_from_db()
        assert alice.partner.status == start


def test_channel_manager_must_be_staff(alice, bob, staff_users):
    with pytest.raises(ValidationError) as exc_info:
        partner_decide(
            partner=alice.partner,
            actor=staff_users["marketing_admin"],
            channel_manager=bob.admin,
            reason="x",
        )
    assert "channel_manager" in exc_info.value.message_dict


def test_channel_manager_change_is_audited_without_email(
    alice, staff_users, django_capture_on_commit_callbacks
):
    new_manager = make_user("nina_channel", staff=True)
    with django_capture_on_commit_callbacks(execute=True):
        partner_decide(
            partner=alice.partner,
            actor=staff_users["marketing_admin"],
            channel_manager=new_manager,
            reason="Rebalancing",
        )
    [(field, old, new, reason, actor)] = audit_rows(alice.partner)
    assert field == "channel_manager"
    assert "carl_channel" in old and "nina_channel" in new
    assert mail.outbox == []


def test_same_values_record_nothing(alice, staff_users):
    assert (
        partner_decide(
            partner=alice.partner,
            actor=staff_users["marketing_admin"],
            status="active",
            tier=alice.partner.tier,
            reason="x",
        )
        == []
    )
    assert audit_rows(alice.partner) == []


def test_a_user_belongs_to_at_most_one_partner(alice, bob):
    with pytest.raises(ValidationError, match="already belongs"):
        membership_create(partner=bob.partner, user=alice.marketer, role=Membership.Role.ADMIN)


def test_staff_cannot_be_partner_members(alice, staff_users):
    with pytest.raises(ValidationError, match="Staff"):
        membership_create(
            partner=alice.partner, user=staff_users["analyst"], role=Membership.Role.SALES
        )

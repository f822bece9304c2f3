"""Deal registration services (docs/deals.md): register, conflicts that never leak,
the staff decision with exclusivity, extensions, stage and close into the results
stream, every bad input, and two registrations of one domain at once.

Alice's company registers; bob's company competes for the same customers and must
never show through alice's side: not in her deal, its history, an error, or a count.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections
from django.utils import timezone
from django_scopes import scopes_disabled

from analytics.models import ResultEvent
from campaigns.models import Launch
from deals import selectors, services
from deals.models import (
    Deal,
    DealConflict,
    DealEvent,
    DealExtension,
    DealProgram,
    LeadOffer,
)
from tests.campaigns.factories import make_kit, make_launch
from tests.deals.deal_factories import (
    deal_input,
    deals_in_every_state,
    make_deal,
    make_protected_account,
    products_fixture,  # noqa: F401 - the fixture `products`
    register_deal,
)

pytestmark = pytest.mark.django_db
S = Deal.Status
A = DealEvent.Action


@pytest.fixture
def carl(staff_users):
    """Alice's channel manager: decides her deals."""
    return staff_users["channel_manager"]


def reload(deal: Deal) -> Deal:
    with scopes_disabled():
        return Deal.objects.get(pk=deal.pk)


def partner_view(world, deal: Deal) -> dict:
    """Everything the partner can read of its deal through the selectors."""
    own = selectors.deal_for_partner(partner=world.partner, uuid=deal.uuid)
    return {
        "status": own.status,
        "status_label": str(own.get_status_display()),
        "events": [
            (e.action, e.old_value, e.new_value, e.detail)
            for e in selectors.deal_events_for_partner(deal=own)
        ],
        "listed": selectors.deals_for_partner(partner=world.partner).count(),
        "under_review": selectors.deals_for_partner(
            partner=world.partner, status=S.SUBMITTED
        ).count(),
    }


# --- register ---------------------------------------------------------------------------


def test_a_sales_rep_registers_a_deal_that_waits_for_review(alice, products):
    deal = services.deal_register(
        partner=alice.partner,
        user=alice.sales,
        data=deal_input(
            company="  Acme Retail  ",
            domain="https://www.ACME-retail.example/contact?x=1",
            country="de",
            products=["firewall", products["edr"].pk],
            amount="12500.50",
            currency="eur",
        ),
    )
    deal = reload(deal)
    assert (deal.company, deal.domain, deal.country, deal.currency) == (
        "Acme Retail",
        "acme-retail.example",
        "DE",
        "EUR",
    )
    assert deal.amount == Decimal("12500.50")
    assert deal.status == S.SUBMITTED and deal.registered_by == alice.sales
    with scopes_disabled():
        assert sorted(deal.products.values_list("slug", flat=True)) == ["edr", "firewall"]
    assert partner_view(alice, deal)["events"] == [(A.REGISTERED, "", S.SUBMITTED, "")]


def test_the_admin_may_register_but_not_a_marketer_staff_or_another_partner(
    alice, bob, carl, products
):
    services.deal_register(partner=alice.partner, user=alice.admin, data=deal_input())
    for user in (alice.marketer, carl, bob.sales):
        with pytest.raises(PermissionDenied):
            services.deal_register(partner=alice.partner, user=user, data=deal_input())
    with scopes_disabled():
        assert Deal.objects.filter(partner=alice.partner).count() == 1


def test_a_staff_integration_key_registers_for_the_partner_it_names(alice, staff_users, products):
    from partners.services import api_key_create

    key = api_key_create(name="vendor crm", partner=None, created_by=staff_users["marketing_admin"])
    deal = services.deal_register(partner=alice.partner, user=key.api_key.user, data=deal_input())
    assert reload(deal).registered_by == key.api_key.user
    assert reload(deal).partner == alice.partner


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("example.com", "example.com"),
        ("WWW.Example.COM.", "example.com"),
        ("https://www.example.com/path/to?q=1#x", "example.com"),
        ("http://shop.example.co.uk:8080/", "shop.example.co.uk"),
        ("Müller.de", "xn--mller-kva.de"),
        ("//cdn.example.org", "cdn.example.org"),
    ],
)
def test_domains_are_normalised(given, stored):
    assert services.normalise_domain(given) == stored


@pytest.mark.parametrize(
    "given",
    [
        "",
        "   ",
        "localhost",
        "not a domain",
        "sales@example.com",
        "-bad.example",
        "1.2.3.4",
        "exa_mple.com",
        "a" * 64 + ".com",
    ],
)
def test_a_bad_domain_is_an_error_on_domain(given):
    with pytest.raises(ValidationError) as error:
        services.normalise_domain(given)
    assert list(error.value.message_dict) == ["domain"]


def _other_launch(bob) -> Launch:
    return make_launch(bob, make_kit(name="Other partner's kit"))


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"currency": "XYZ"}, "currency", "ISO 4217"),
        ({"currency": ""}, "currency", "ISO 4217"),
        ({"amount": "-1.00"}, "amount", "cannot be negative"),
        ({"amount": "10.001"}, "amount", "two decimals"),
        ({"amount": 10.5}, "amount", "not floating-point"),
        ({"amount": "ten"}, "amount", "like 1250.00"),
        ({"amount": "1000000000000.00"}, "amount", "at most"),
        ({"expected_close_date": "yesterday"}, "expected_close_date", "Enter a date"),
        ({"expected_close_date": None}, "expected_close_date", "Enter a date"),
        ({"products": []}, "products", "at least one"),
        ({"products": ["no-such-product"]}, "products", "from the list"),
        ({"products": ["legacy"]}, "products", "from the list"),
        ({"products": [999999]}, "products", "from the list"),
        ({"launch": "NOSUCHCODE"}, "launch", "No such launch."),
        ({"domain": "not a domain"}, "domain", "web domain"),
        ({"country": "XX"}, "country", "from the list"),
        ({"country": "Germany"}, "country", "from the list"),
        ({"company": " "}, "company", "required"),
        ({"stage": "won"}, "stage", "from the list"),
        ({"contact_email": "not-an-email"}, "contact_email", "valid email"),
    ],
)
def test_bad_input_is_an_error_at_its_field_and_nothing_is_saved(
    alice, products, overrides, field, message
):
    with pytest.raises(ValidationError) as error:
        services.deal_register(
            partner=alice.partner, user=alice.sales, data=deal_input(**overrides)
        )
    assert field in error.value.message_dict
    assert message in " ".join(error.value.message_dict[field])
    with scopes_disabled():
        assert not Deal.objects.exists()
        assert not DealEvent.objects.exists()


def test_a_close_date_in_the_past_is_refused_today_is_fine(alice, products):
    today = timezone.localdate()
    with pytest.raises(ValidationError) as error:
        register_deal(alice, expected_close_date=today - timedelta(days=1))
    assert error.value.message_dict == {
        "expected_close_date": ["The close date cannot be in the past."]
    }
    assert register_deal(alice, expected_close_date=today).expected_close_date == today


def test_every_error_of_a_registration_is_reported_at_once(alice, products):
    with pytest.raises(ValidationError) as error:
        register_deal(alice, currency="XYZ", amount="-5", country="ZZ", domain="nope")
    assert set(error.value.message_dict) == {"currency", "amount", "country", "domain"}


def test_another_partners_launch_reads_exactly_like_an_unknown_one(alice, bob, products):
    theirs = _other_launch(bob)
    messages = []
    for code in (theirs.code, "NOSUCHCODE"):
        with pytest.raises(ValidationError) as error:
            register_deal(alice, launch=code)
        messages.append(error.value.message_dict)
    assert messages[0] == messages[1] == {"launch": ["No such launch."]}


def test_a_deal_names_its_own_launch(alice, products):
    launch = make_launch(alice, make_kit())
    deal = register_deal(alice, launch=launch.code)
    assert reload(deal).launch == launch


def test_a_second_open_registration_of_the_same_domain_is_refused(alice, products):
    register_deal(alice, domain="acme.example")
    with pytest.raises(ValidationError) as error:
        register_deal(alice, domain="https://www.ACME.example/")
    assert error.value.message_dict == {
        "domain": ["You already have an open registration for this customer's domain."]
    }
    with scopes_disabled():
        assert Deal.objects.filter(domain="acme.example").count() == 1


def test_a_closed_registration_does_not_block_a_new_one(alice, carl, products):
    make_deal(alice, S.REJECTED, actor=carl, domain="acme.example")
    assert register_deal(alice, domain="acme.example").status == S.SUBMITTED


def test_a_suspended_partner_does_not_register(alice, products):
    with scopes_disabled():
        alice.partner.status = alice.partner.Status.SUSPENDED
        alice.partner.save()
    with pytest.raises(PermissionDenied):
        register_deal(alice)


# --- conflicts: flagged to staff, invisible to the partner -------------------------------


def test_a_conflict_with_another_partner_is_flagged_to_staff_only(alice, bob, carl, products):
    # given: bob registered the customer first; alice registers another customer too
    bobs = register_deal(bob, domain="contested.example", company="Contested AG")
    clean = register_deal(alice, domain="clean.example")
    # when
    contested = register_deal(alice, domain="www.contested.example")
    # then: staff see the conflict on both registrations, each naming the other
    conflicts = list(selectors.deal_conflicts(deal=contested))
    assert [(c.deal_id, c.kind, c.other_deal_id) for c in conflicts] == [
        (contested.pk, DealConflict.Kind.OTHER_PARTNER, bobs.pk),
        (bobs.pk, DealConflict.Kind.OTHER_PARTNER, contested.pk),
    ]
    with scopes_disabled():
        flag = DealEvent.objects.get(deal=contested, action=A.CONFLICT_FLAGGED)
        bobs_flag = DealEvent.objects.get(deal=bobs, action=A.CONFLICT_FLAGGED)
    assert flag.shared is False and "Bob" not in flag.detail
    assert bobs_flag.shared is False and "Alice" not in bobs_flag.detail
    # and alice's side of the contested deal reads exactly like the clean one
    seen_contested, seen_clean = partner_view(alice, contested), partner_view(alice, clean)
    assert seen_contested["status"] == seen_clean["status"] == S.SUBMITTED
    assert seen_contested["status_label"] == "Under review"
    assert seen_contested["events"] == seen_clean["events"]
    assert seen_contested["listed"] == 2 and seen_contested["under_review"] == 2
    # and nothing of bob's can be read through alice's selectors
    with pytest.raises(Deal.DoesNotExist):
        selectors.deal_for_partner(partner=alice.partner, uuid=bobs.uuid)
    assert not selectors.deals_for_partner(partner=alice.partner, search="Contested AG").filter(
        partner=bob.partner
    )
    text = repr(partner_view(alice, contested))
    assert "Bob" not in text and "onflict" not in text


def test_a_protected_account_is_flagged_to_staff_only(alice, products):
    account = make_protected_account(domain="bigbank.example")
    deal = register_deal(alice, domain="bigbank.example")
    assert [(c.kind, c.protected_account_id) for c in selectors.deal_conflicts(deal=deal)] == [
        (DealConflict.Kind.PROTECTED_ACCOUNT, account.pk)
    ]
    assert partner_view(alice, deal)["events"] == [(A.REGISTERED, "", S.SUBMITTED, "")]


def test_a_conflicted_deal_is_approved_only_after_staff_review_the_conflict(
    alice, bob, carl, products
):
    register_deal(bob, domain="contested.example")
    deal = register_deal(alice, domain="contested.example")
    with pytest.raises(ValidationError) as error:
        services.deal_approve(deal=deal, actor=carl)
    assert list(error.value.message_dict) == ["status"]
    assert reload(deal).status == S.SUBMITTED

    services.deal_clear_conflict(deal=deal, actor=carl, note="Bob's is stale.")
    approved = services.deal_approve(deal=deal, actor=carl)
    assert approved.status == S.APPROVED
    with scopes_disabled():
        cleared = DealEvent.objects.get(deal=deal, action=A.CONFLICT_CLEARED)
    assert cleared.shared is False and cleared.actor == carl
    assert [e[0] for e in partner_view(alice, deal)["events"]] == [A.APPROVED, A.REGISTERED]


def test_approval_finds_a_conflict_the_registration_could_not_see(alice, bob, carl, products):
    # given: two registrations of one domain that committed at the same moment, so
    # neither saw the other (made here one after the other, then their flags removed)
    alices = register_deal(alice, domain="race.example")
    register_deal(bob, domain="race.example")
    with scopes_disabled():
        DealConflict.objects.filter(deal__domain="race.example").delete()
    assert not selectors.deal_conflicts(deal=alices).exists()
    # when: staff approve alice's
    with pytest.raises(ValidationError):
        services.deal_approve(deal=alices, actor=carl)
    # then: the conflict is now recorded against hers, and it stays under review
    assert selectors.deal_conflicts(deal=alices).filter(deal=alices).count() == 1
    assert reload(alices).status == S.SUBMITTED


def test_the_first_registrant_is_reviewed_and_approved_without_a_refusal_first(
    alice, bob, carl, products
):
    # given: alice registered a customer, then bob registered the same one
    alices = register_deal(alice, domain="first.example")
    register_deal(bob, domain="first.example")
    # when: staff review alice's side of the conflict and approve it
    services.deal_clear_conflict(deal=alices, actor=carl, note="Alice was first.")
    approved = services.deal_approve(deal=alices, actor=carl)
    # then: hers is approved, with no refusal on the way
    assert approved.status == S.APPROVED


def test_clearing_needs_a_conflict_and_staff(alice, carl, products):
    deal = register_deal(alice)
    with pytest.raises(ValidationError):
        services.deal_clear_conflict(deal=deal, actor=carl)
    with pytest.raises(PermissionDenied):
        services.deal_clear_conflict(deal=deal, actor=alice.admin)


# --- the decision -----------------------------------------------------------------------


def test_approval_protects_the_deal_for_the_programs_exclusivity_days(alice, carl, products):
    deal = register_deal(alice, amount="9000.00")
    approved = services.deal_approve(deal=deal, actor=carl, note="Yours.")
    today = timezone.localdate()
    approved = reload(approved)
    assert approved.status == S.APPROVED
    assert approved.expires_on == today + timedelta(days=90)
    assert (approved.decided_by, approved.decision_reason) == (carl, "Yours.")
    with scopes_disabled():
        event = DealEvent.objects.get(deal=deal, action=A.APPROVED)
    assert (event.actor, event.old_value, event.new_value, event.shared) == (
        carl,
        S.SUBMITTED,
        (today + timedelta(days=90)).isoformat(),
        True,
    )


def test_the_exclusivity_period_is_set_per_program(alice, carl, products):
    program = DealProgram.current()
    program.exclusivity_days = 30
    program.save()
    deal = services.deal_approve(deal=register_deal(alice), actor=carl)
    assert deal.expires_on == timezone.localdate() + timedelta(days=30)


def test_any_staff_with_the_permission_decides_others_may_not(alice, carl, staff_users, products):
    deal = register_deal(alice)
    for refused in (staff_users["analyst"], staff_users["finance_approver"], alice.admin):
        with pytest.raises(PermissionDenied):
            services.deal_approve(deal=deal, actor=refused)
    # a Marketing admin acts for the channel manager, and is recorded
    approved = services.deal_approve(deal=deal, actor=staff_users["marketing_admin"])
    assert reload(approved).decided_by == staff_users["marketing_admin"]


def test_reject_with_a_reason(alice, carl, products):
    deal = register_deal(alice)
    with pytest.raises(ValidationError) as error:
        services.deal_reject(deal=deal, actor=carl, reason="  ")
    assert list(error.value.message_dict) == ["reason"]
    rejected = reload(services.deal_reject(deal=deal, actor=carl, reason="Not a fit."))
    assert (rejected.status, rejected.decision_reason, rejected.decided_by) == (
        S.REJECTED,
        "Not a fit.",
        carl,
    )
    with pytest.raises(ValidationError) as error:
        services.deal_approve(deal=deal, actor=carl)
    assert list(error.value.message_dict) == ["status"]


def test_more_information_then_the_partners_answer_puts_it_back_under_review(alice, carl, products):
    deal = register_deal(alice)
    asked = services.deal_request_info(deal=deal, actor=carl, question="Which sites?")
    assert asked.status == S.MORE_INFO
    with pytest.raises(ValidationError):
        services.deal_request_info(deal=deal, actor=carl, question="Again?")
    with pytest.raises(PermissionDenied):
        services.deal_answer(deal=deal, user=alice.marketer, notes="Berlin.")
    with pytest.raises(ValidationError) as error:
        services.deal_answer(deal=deal, user=alice.sales, notes="")
    assert list(error.value.message_dict) == ["notes"]
    answered = services.deal_answer(deal=deal, user=alice.sales, notes="Berlin and Bonn.")
    assert answered.status == S.SUBMITTED
    events = partner_view(alice, deal)["events"]
    assert events[:2] == [
        (A.ANSWERED, S.MORE_INFO, S.SUBMITTED, "Berlin and Bonn."),
        (A.MORE_INFO, S.SUBMITTED, S.MORE_INFO, "Which sites?"),
    ]
    with pytest.raises(ValidationError):
        services.deal_answer(deal=deal, user=alice.sales, notes="Once more.")


def test_the_partner_edits_while_under_review_not_after(alice, carl, products):
    deal = register_deal(alice, domain="first.example")
    edited = services.deal_update(
        deal=deal, user=alice.sales, amount="30000.00", domain="www.second.example"
    )
    assert (edited.amount, edited.domain) == (Decimal("30000.00"), "second.example")
    with scopes_disabled():
        change = DealEvent.objects.get(deal=deal, action=A.CHANGED)
    assert "estimated amount" in change.detail_text and "customer web domain" in change.detail_text
    # nothing changed: no event
    services.deal_update(deal=deal, user=alice.sales, amount="30000")
    with scopes_disabled():
        assert DealEvent.objects.filter(deal=deal, action=A.CHANGED).count() == 1
    with pytest.raises(ValidationError) as error:
        services.deal_update(deal=deal, user=alice.sales, partner="bob")
    assert list(error.value.message_dict) == ["partner"]
    services.deal_approve(deal=deal, actor=carl)
    with pytest.raises(ValidationError) as error:
        services.deal_update(deal=deal, user=alice.sales, amount="1.00")
    assert list(error.value.message_dict) == ["status"]


def test_an_edit_to_a_domain_already_registered_is_refused(alice, products):
    register_deal(alice, domain="taken.example")
    deal = register_deal(alice, domain="free.example")
    with pytest.raises(ValidationError) as error:
        services.deal_update(deal=deal, user=alice.sales, domain="taken.example")
    assert list(error.value.message_dict) == ["domain"]
    assert reload(deal).domain == "free.example"


def test_an_edit_to_a_contested_domain_is_flagged_and_the_old_flag_dropped(alice, bob, products):
    register_deal(bob, domain="one.example")
    register_deal(bob, domain="two.example")
    deal = register_deal(alice, domain="one.example")
    services.deal_update(deal=deal, user=alice.sales, domain="two.example")
    with scopes_disabled():
        assert [c.other_deal.domain for c in DealConflict.objects.filter(deal=deal)] == [
            "two.example"
        ]


# --- extensions -------------------------------------------------------------------------


def test_extension_approved_adds_the_programs_days(alice, carl, products):
    deal = make_deal(alice, S.APPROVED, actor=carl)
    first_expiry = deal.expires_on
    with pytest.raises(ValidationError) as error:
        services.extension_request(deal=deal, user=alice.sales, reason="")
    assert list(error.value.message_dict) == ["reason"]
    extension = services.extension_request(deal=deal, user=alice.sales, reason="Budget slips.")
    with pytest.raises(ValidationError) as error:
        services.extension_request(deal=deal, user=alice.admin, reason="Again.")
    assert list(error.value.message_dict) == ["status"]
    approved = services.extension_approve(extension=extension, actor=carl)
    assert (approved.status, approved.days, approved.decided_by) == (
        DealExtension.Status.APPROVED,
        30,
        carl,
    )
    assert reload(deal).expires_on == first_expiry + timedelta(days=30)
    with pytest.raises(ValidationError):
        services.extension_approve(extension=extension, actor=carl)
    # a new request may follow a decided one, for the days staff choose
    second = services.extension_request(deal=deal, user=alice.sales, reason="Legal review.")
    services.extension_approve(extension=second, actor=carl, days=10)
    assert reload(deal).expires_on == first_expiry + timedelta(days=40)


def test_extension_rejected_keeps_the_expiry(alice, carl, staff_users, products):
    deal = make_deal(alice, S.APPROVED, actor=carl)
    extension = services.extension_request(deal=deal, user=alice.sales, reason="More time.")
    with pytest.raises(PermissionDenied):
        services.extension_reject(extension=extension, actor=staff_users["analyst"], reason="x")
    with pytest.raises(ValidationError) as error:
        services.extension_reject(extension=extension, actor=carl, reason="")
    assert list(error.value.message_dict) == ["reason"]
    rejected = services.extension_reject(extension=extension, actor=carl, reason="Close it.")
    assert (rejected.status, rejected.decision_reason) == (
        DealExtension.Status.REJECTED,
        "Close it.",
    )
    assert reload(deal).expires_on == deal.expires_on
    assert [e[0] for e in partner_view(alice, deal)["events"]][:2] == [
        A.EXTENSION_REJECTED,
        A.EXTENSION_REQUESTED,
    ]


@pytest.mark.parametrize("days", [0, -5, 366, "30", True])
def test_extension_days_out_of_range_are_refused(alice, carl, products, days):
    deal = make_deal(alice, S.APPROVED, actor=carl)
    extension = services.extension_request(deal=deal, user=alice.sales, reason="More time.")
    with pytest.raises(ValidationError) as error:
        services.extension_approve(extension=extension, actor=carl, days=days)
    assert list(error.value.message_dict) == ["days"]


def test_only_an_approved_deal_is_extended(alice, carl, products):
    deal = register_deal(alice)
    with pytest.raises(ValidationError) as error:
        services.extension_request(deal=deal, user=alice.sales, reason="Early.")
    assert list(error.value.message_dict) == ["status"]


# --- stage and close, into the results stream --------------------------------------------


def results(deal: Deal) -> dict[str, ResultEvent]:
    with scopes_disabled():
        return {
            e.kind: e
            for e in ResultEvent.objects.filter(external_id__startswith=f"deal:{deal.uuid}")
        }


def test_approval_enters_the_pipeline_and_a_win_the_revenue_with_partner_and_launch(
    alice, carl, products
):
    launch = make_launch(alice, make_kit())
    deal = register_deal(alice, launch=launch.code, amount="9000.00", currency="USD")
    assert results(deal) == {}
    services.deal_approve(deal=deal, actor=carl)
    won = services.deal_close_won(deal=deal, user=alice.sales, amount="8750.25")
    assert (won.status, won.won_amount) == (S.WON, Decimal("8750.25"))
    events = results(deal)
    assert set(events) == {"opportunity", "won"}
    for kind, amount in (("opportunity", "9000.00"), ("won", "8750.25")):
        event = events[kind]
        assert event.source == "deals"
        assert event.external_id == f"deal:{deal.uuid}:{kind}"
        assert (event.partner_id, event.launch_id, event.kit_id) == (
            alice.partner.pk,
            launch.pk,
            launch.kit_id,
        )
        assert (event.amount, event.currency) == (Decimal(amount), "USD")
        assert event.day == timezone.localdate(event.occurred_at)


def test_a_loss_enters_the_stream_without_an_amount(alice, carl, products):
    deal = make_deal(alice, S.APPROVED, actor=carl)
    with pytest.raises(ValidationError) as error:
        services.deal_close_lost(deal=deal, user=alice.sales, reason=" ")
    assert list(error.value.message_dict) == ["reason"]
    yesterday = timezone.now() - timedelta(days=1)
    lost = services.deal_close_lost(
        deal=deal, user=alice.sales, reason="Price.", occurred_at=yesterday
    )
    assert (lost.status, lost.lost_reason) == (S.LOST, "Price.")
    event = results(deal)["lost"]
    assert (event.partner_id, event.launch_id, event.amount, event.currency) == (
        alice.partner.pk,
        None,
        None,
        "",
    )
    assert event.day == timezone.localdate(yesterday)


@pytest.mark.parametrize(
    ("amount", "message"),
    [("-1", "cannot be negative"), ("1.005", "two decimals"), (12.5, "floating-point")],
)
def test_a_bad_won_amount_is_refused_and_nothing_is_closed(alice, carl, products, amount, message):
    deal = make_deal(alice, S.APPROVED, actor=carl)
    with pytest.raises(ValidationError) as error:
        services.deal_close_won(deal=deal, user=alice.sales, amount=amount)
    assert message in error.value.message_dict["amount"][0]
    assert reload(deal).status == S.APPROVED
    assert set(results(deal)) == {"opportunity"}


def test_a_close_in_the_future_or_without_a_zone_is_refused(alice, carl, products):
    deal = make_deal(alice, S.APPROVED, actor=carl)
    for when in (timezone.now() + timedelta(days=1), timezone.now().replace(tzinfo=None)):
        with pytest.raises(ValidationError) as error:
            services.deal_close_won(deal=deal, user=alice.sales, amount="1", occurred_at=when)
        assert list(error.value.message_dict) == ["occurred_at"]


def test_only_an_approved_deal_moves_stage_or_closes(alice, carl, products):
    deals = deals_in_every_state(alice, actor=carl)
    for status, deal in deals.items():
        if status == S.APPROVED:
            continue
        for call in (
            lambda d: services.deal_set_stage(deal=d, user=alice.sales, stage="proposal"),
            lambda d: services.deal_close_won(deal=d, user=alice.sales, amount="1"),
            lambda d: services.deal_close_lost(deal=d, user=alice.sales, reason="x"),
        ):
            with pytest.raises(ValidationError) as error:
                call(deal)
            assert list(error.value.message_dict) == ["status"], status


def test_stage_changes_are_recorded(alice, bob, carl, products):
    deal = make_deal(alice, S.APPROVED, actor=carl)
    with pytest.raises(ValidationError) as error:
        services.deal_set_stage(deal=deal, user=alice.sales, stage="closed")
    assert list(error.value.message_dict) == ["stage"]
    with pytest.raises(PermissionDenied):
        services.deal_set_stage(deal=deal, user=bob.admin, stage="proposal")
    services.deal_set_stage(deal=deal, user=alice.admin, stage="proposal")
    assert partner_view(alice, deal)["events"][0] == (
        A.STAGE_CHANGED,
        "qualification",
        "proposal",
        "",
    )


def test_another_partners_user_cannot_touch_a_deal(alice, bob, carl, products):
    deal = make_deal(alice, S.APPROVED, actor=carl)
    for call in (
        lambda: services.deal_close_won(deal=deal, user=bob.sales, amount="1"),
        lambda: services.extension_request(deal=deal, user=bob.admin, reason="x"),
        lambda: services.deal_update(deal=deal, user=bob.admin, notes="x"),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert reload(deal).status == S.APPROVED


# --- a lead converted into a registration ------------------------------------------------


def test_a_registration_from_an_accepted_offer_links_the_offer(alice, bob, products):
    from deals.models import Lead

    now = timezone.now()
    with scopes_disabled():
        lead = Lead.objects.create(company="Inbound AG", created_at=now)
        offer = LeadOffer.objects.create(
            lead=lead,
            partner=alice.partner,
            offered_at=now,
            due_at=now + timedelta(days=2),
            status=LeadOffer.Status.ACCEPTED,
        )
    with pytest.raises(ValidationError) as error:
        services.deal_register(
            partner=bob.partner, user=bob.sales, data=deal_input(), lead_offer=offer
        )
    assert list(error.value.message_dict) == ["lead"]
    deal = services.deal_register(
        partner=alice.partner, user=alice.sales, data=deal_input(), lead_offer=offer
    )
    with scopes_disabled():
        assert LeadOffer.objects.get(pk=offer.pk).deal == deal
        assert not Deal.objects.filter(partner=bob.partner).exists()


# --- selectors --------------------------------------------------------------------------


def test_the_partners_list_filters_searches_and_sorts_its_own_deals_only(
    alice, bob, carl, products
):
    register_deal(alice, company="Zeta Ltd", amount="100.00")
    register_deal(alice, company="Alpha plc", amount="300.00", domain="alpha.example")
    make_deal(alice, S.APPROVED, actor=carl, company="Mid GmbH", amount="200.00")
    register_deal(bob, company="Alpha plc", domain="alpha.example")

    def names(**kwargs):
        deals = selectors.deals_for_partner(partner=alice.partner, **kwargs)
        return [d.company for d in deals]

    assert names(sort="company") == ["Alpha plc", "Mid GmbH", "Zeta Ltd"]
    assert names(sort="-amount") == ["Alpha plc", "Mid GmbH", "Zeta Ltd"]
    assert names(sort="amount") == ["Zeta Ltd", "Mid GmbH", "Alpha plc"]
    assert names(status=S.APPROVED) == ["Mid GmbH"]
    assert names(status="nonsense") == []
    assert names(search="alpha") == ["Alpha plc"]
    assert names(search="alpha.example") == ["Alpha plc"]
    assert len(names(sort="nonsense")) == 3


def test_deal_for_partner_answers_not_found_for_others_and_junk(alice, bob, products):
    deal = register_deal(bob)
    for value in (deal.uuid, str(deal.uuid), "not-a-uuid", "00000000-0000-0000-0000-000000000000"):
        with pytest.raises(Deal.DoesNotExist):
            selectors.deal_for_partner(partner=alice.partner, uuid=value)
    assert selectors.deal_for_partner(partner=bob.partner, uuid=str(deal.uuid)) == deal


def test_the_staff_queue_holds_undecided_deals_and_pending_extensions(
    alice, bob, carl, staff_users, products
):
    deals = deals_in_every_state(alice, actor=carl)
    bobs = register_deal(bob)
    extension = services.extension_request(
        deal=deals[S.APPROVED], user=alice.sales, reason="More time."
    )
    register_deal(alice, domain=bobs.domain)  # flagged against bob's
    queue = selectors.deals_awaiting()
    assert {d.pk for d in queue.deals if d.partner_id == bob.partner.pk} == {bobs.pk}
    assert {d.pk: d.has_conflict for d in queue.deals if d.domain == bobs.domain} == {
        bobs.pk: True,
        queue.deals.get(partner=alice.partner, domain=bobs.domain).pk: True,
    }
    assert not queue.deals.get(pk=deals[S.SUBMITTED].pk).has_conflict
    assert [e.pk for e in queue.extensions] == [extension.pk]
    mine = selectors.deals_awaiting(staff=carl)
    assert {d.partner_id for d in mine.deals} == {alice.partner.pk}
    assert {deals[S.SUBMITTED].pk, deals[S.MORE_INFO].pk} < {d.pk for d in mine.deals}
    # a Marketing admin decides for every partner, those without a channel manager too
    everything = selectors.deals_awaiting(staff=staff_users["marketing_admin"])
    assert bobs.pk in {d.pk for d in everything.deals}
    assert {d.pk for d in everything.deals} == {d.pk for d in queue.deals}


# --- two registrations of one domain at once ----------------------------------------------


def run_together(work, items) -> list[str]:
    """Run work(item) in one thread (and database connection) per item, released at
    once; answer each outcome: "ok", "refused: <errors>" or "error: ..."."""
    barrier = threading.Barrier(len(items))
    outcomes: list[str] = []
    lock = threading.Lock()

    def target(item) -> None:
        try:
            barrier.wait(timeout=30)
            work(item)
            result = "ok"
        except ValidationError as error:
            result = f"refused: {error.message_dict}"
        except Exception as error:  # noqa: BLE001 - asserted on below
            result = f"error: {type(error).__name__}: {error}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=target, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck"
    return sorted(outcomes)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_registrations_of_one_domain_at_once_one_wins_the_other_is_told(alice, products):
    outcomes = run_together(
        lambda number: services.deal_register(
            partner=alice.partner,
            user=alice.sales,
            data=deal_input(domain="same.example", company=f"Copy {number}"),
        ),
        [1, 2],
    )
    assert outcomes == [
        "ok",
        "refused: {'domain': [\"You already have an open registration for this customer's "
        'domain."]}',
    ]
    with scopes_disabled():
        assert Deal.objects.filter(domain="same.example").count() == 1
        assert DealEvent.objects.filter(action=A.REGISTERED).count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_approve_and_reject_at_once_one_decision_stands(alice, carl, staff_users, products):
    deal = register_deal(alice)
    outcomes = run_together(
        lambda decide: decide(),
        [
            lambda: services.deal_approve(deal=deal, actor=carl),
            lambda: services.deal_reject(
                deal=deal, actor=staff_users["marketing_admin"], reason="No."
            ),
        ],
    )
    assert outcomes[0] == "ok"
    assert outcomes[1] == ("refused: {'status': ['This registration has been decided already.']}")
    final = reload(deal)
    with scopes_disabled():
        decisions = DealEvent.objects.filter(deal=deal, action__in=[A.APPROVED, A.REJECTED])
        assert [e.action for e in decisions] == [final.status]
        opportunities = ResultEvent.objects.filter(external_id__startswith=f"deal:{deal.uuid}")
        assert opportunities.count() == (1 if final.status == S.APPROVED else 0)


def test_approval_and_win_reach_the_rollup_after_commit(
    alice, carl, products, django_capture_on_commit_callbacks
):
    from analytics.models import DailyMetric

    launch = make_launch(alice, make_kit())
    deal = register_deal(alice, launch=launch.code, amount="9000.00", currency="EUR")
    with django_capture_on_commit_callbacks(execute=True):
        services.deal_approve(deal=deal, actor=carl)
    with django_capture_on_commit_callbacks(execute=True):
        services.deal_close_won(deal=deal, user=alice.sales, amount="8000.00")
    with scopes_disabled():
        rows = DailyMetric.objects.filter(partner=alice.partner, launch=launch, currency="EUR")
        totals = [(r.opportunities, r.pipeline, r.won, r.revenue, r.kit_id) for r in rows]
    assert totals == [(1, Decimal("9000.00"), 1, Decimal("8000.00"), launch.kit_id)]

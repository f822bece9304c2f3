"""Campaign services: kit validation and its status with its history, launches with
their rules (audience, channel, dates) and their status moves with their history."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone
from django_scopes import scopes_disabled

from campaigns import services
from campaigns.models import CampaignKit, CampaignKitEvent, Launch, LaunchStatusChange
from tests.campaigns.factories import make_kit, make_launch

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def errors_of(excinfo) -> dict:
    return excinfo.value.message_dict


# --- kits ---------------------------------------------------------------------------------


def test_a_kit_goes_draft_published_closed_and_back_to_draft_with_its_history(staff_users):
    maya = staff_users["marketing_admin"]
    kit = make_kit(actor=maya, publish=False)
    assert kit.status == "draft" and kit.published_at is None

    kit = services.kit_publish(kit=kit, actor=maya)
    assert kit.status == "published" and kit.published_at is not None
    kit = services.kit_close(kit=kit, actor=maya)
    assert kit.status == "closed"
    kit = services.kit_reopen(kit=kit, actor=maya)
    assert kit.status == "draft"

    actions = list(kit.events.order_by("at", "id").values_list("action", "actor"))
    assert actions == [
        ("created", maya.pk),
        ("published", maya.pk),
        ("closed", maya.pk),
        ("reopened", maya.pk),
    ]


def test_a_draft_cannot_be_closed_nor_a_closed_kit_published(staff_users):
    maya = staff_users["marketing_admin"]
    kit = make_kit(actor=maya, publish=False)
    with pytest.raises(ValidationError) as excinfo:
        services.kit_close(kit=kit, actor=maya)
    assert "status" in errors_of(excinfo)
    services.kit_publish(kit=kit, actor=maya)
    services.kit_close(kit=kit, actor=maya)
    with pytest.raises(ValidationError) as excinfo:
        services.kit_publish(kit=kit, actor=maya)
    assert "status" in errors_of(excinfo)
    assert CampaignKit.objects.get(pk=kit.pk).status == "closed"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"landing_url": "javascript:alert(1)"}, "landing_url"),
        ({"landing_url": "data:text/html,hi"}, "landing_url"),
        ({"landing_url": "ftp://vendor.example.com/"}, "landing_url"),
        ({"end_date": TODAY - timedelta(days=30)}, "end_date"),
        ({"currency": "XXY"}, "currency"),
        ({"suggested_budget": "-1.00"}, "suggested_budget"),
        ({"suggested_budget": "10.001"}, "suggested_budget"),
        ({"suggested_budget": "ten"}, "suggested_budget"),
        ({"channels": ()}, "channels"),
        ({"channels": ("email", "fax")}, "channels"),
    ],
)
def test_a_kit_with_bad_input_is_refused_naming_the_field(fields, field):
    with pytest.raises(ValidationError) as excinfo:
        make_kit(**fields)
    assert field in errors_of(excinfo)
    assert not CampaignKit.objects.exists()


def test_a_kit_keeps_a_budget_with_its_currency_and_zero_is_fine():
    kit = make_kit(suggested_budget="2500.5", currency="eur")
    assert (str(kit.suggested_budget), kit.currency) == ("2500.50", "EUR")
    assert make_kit(name="Free", slug="free", suggested_budget="0").suggested_budget == 0


def test_a_kit_update_records_what_changed_and_its_audience_goes_through_audience_set(
    staff_users, alice, bob
):
    maya = staff_users["marketing_admin"]
    kit = make_kit(actor=maya)
    services.kit_update(
        kit=kit, actor=maya, name="Ransomware 2.0", audience={"partners": [alice.partner]}
    )
    kit.refresh_from_db()
    assert kit.name == "Ransomware 2.0"
    assert kit.audience_scope == "listed"  # written by assets.services.audience_set
    event = kit.events.filter(action=CampaignKitEvent.Action.CHANGED).get()
    assert "name" in event.detail and "audience_partners" in event.detail
    assert list(CampaignKit.objects.available_to(alice.partner)) == [kit]
    assert not CampaignKit.objects.available_to(bob.partner).exists()

    services.kit_update(kit=kit, actor=maya, name="Ransomware 2.0")  # nothing changes
    assert kit.events.filter(action=CampaignKitEvent.Action.CHANGED).count() == 1


def test_a_launched_kit_keeps_its_slug(alice):
    kit = make_kit()
    make_launch(alice, kit)
    with pytest.raises(ValidationError) as excinfo:
        services.kit_update(kit=kit, actor=None, slug="renamed")
    assert "slug" in errors_of(excinfo)


# --- launches -----------------------------------------------------------------------------


def test_a_partner_launches_a_kit_and_gets_a_tracking_code(alice):
    kit = make_kit()
    launch = make_launch(alice, kit, name="Spring newsletter", channel="email")
    assert launch.status == "planned"
    assert len(launch.code) == 10 and launch.code.isalnum()
    assert launch.tracking_path == f"/t/{launch.code}"
    with scopes_disabled():
        change = LaunchStatusChange.objects.get(launch=launch)
    assert (change.old_status, change.new_status, change.actor) == ("", "planned", alice.marketer)


def test_a_kit_outside_the_partners_audience_cannot_be_launched(alice, bob):
    kit = make_kit(audience={"partners": [bob.partner]})
    with pytest.raises(ValidationError) as excinfo:
        make_launch(alice, kit)
    assert "kit" in errors_of(excinfo)


def test_a_draft_or_closed_kit_cannot_be_launched(alice):
    draft = make_kit(publish=False)
    with pytest.raises(ValidationError) as excinfo:
        make_launch(alice, draft)
    assert "kit" in errors_of(excinfo)
    closed = services.kit_close(kit=make_kit(name="Old", slug="old"), actor=None)
    with pytest.raises(ValidationError):
        make_launch(alice, closed)
    with scopes_disabled():
        assert not Launch.objects.exists()


def test_a_channel_the_kit_does_not_offer_and_an_end_before_the_start_are_refused(alice):
    kit = make_kit(channels=("email",))
    with pytest.raises(ValidationError) as excinfo:
        make_launch(alice, kit, channel="webinar")
    assert "channel" in errors_of(excinfo)
    with pytest.raises(ValidationError) as excinfo:
        make_launch(alice, kit, start_date=TODAY, end_date=TODAY - timedelta(days=1))
    assert "end_date" in errors_of(excinfo)


def test_a_clashing_tracking_code_is_drawn_again(alice):
    kit = make_kit()
    first = make_launch(alice, kit)
    codes = iter([first.code, "Zz9Yy8Xx7W"])
    with mock.patch("campaigns.services.kits.new_tracking_code", lambda: next(codes)):
        second = make_launch(alice, kit)
    assert second.code == "Zz9Yy8Xx7W"


def test_another_integrity_error_is_not_swallowed(alice):
    kit = make_kit()
    with (
        mock.patch(
            "campaigns.services.kits.LaunchStatusChange.objects.create", side_effect=IntegrityError
        ),
        pytest.raises(IntegrityError),
    ):
        make_launch(alice, kit)


def test_a_launch_moves_along_its_transitions_with_its_history(alice):
    launch = make_launch(alice, make_kit())
    for status in ("active", "paused", "active", "completed"):
        launch = services.launch_set_status(launch=launch, status=status, actor=alice.admin)
        assert launch.status == status
    with scopes_disabled():
        moves = list(
            LaunchStatusChange.objects.filter(launch=launch)
            .order_by("at", "id")
            .values_list("old_status", "new_status")
        )
    assert moves == [
        ("", "planned"),
        ("planned", "active"),
        ("active", "paused"),
        ("paused", "active"),
        ("active", "completed"),
    ]


@pytest.mark.parametrize(("start", "target"), [("planned", "paused"), ("completed", "active")])
def test_a_move_the_table_does_not_allow_is_refused(alice, start, target):
    launch = make_launch(alice, make_kit())
    if start == "completed":
        launch = services.launch_set_status(launch=launch, status="completed", actor=alice.admin)
    with pytest.raises(ValidationError) as excinfo:
        services.launch_set_status(launch=launch, status=target, actor=alice.admin)
    assert "status" in errors_of(excinfo)
    with scopes_disabled():
        assert Launch.objects.get(pk=launch.pk).status == start


def test_an_unknown_status_is_refused(alice):
    launch = make_launch(alice, make_kit())
    with pytest.raises(ValidationError) as excinfo:
        services.launch_set_status(launch=launch, status="deleted", actor=alice.admin)
    assert "status" in errors_of(excinfo)


def test_a_launch_update_changes_name_notes_and_dates_and_the_channel_only_while_planned(alice):
    kit = make_kit(channels=("email", "social"))
    launch = make_launch(alice, kit, channel="email")
    launch = services.launch_update(
        launch=launch, actor=alice.admin, name="Renamed", notes="Note", channel="social"
    )
    assert (launch.name, launch.notes, launch.channel) == ("Renamed", "Note", "social")
    services.launch_set_status(launch=launch, status="active", actor=alice.admin)
    with pytest.raises(ValidationError) as excinfo:
        services.launch_update(launch=launch, actor=alice.admin, channel="email")
    assert "channel" in errors_of(excinfo)
    with pytest.raises(ValidationError) as excinfo:
        services.launch_update(launch=launch, actor=alice.admin, end_date=TODAY - timedelta(days=9))
    assert "end_date" in errors_of(excinfo)
    with pytest.raises(ValidationError) as excinfo:
        services.launch_update(launch=launch, actor=alice.admin, code="mine")
    assert "code" in errors_of(excinfo)

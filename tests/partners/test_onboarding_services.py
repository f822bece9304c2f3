"""Program agreements and the self-completing onboarding checklist: the services."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_scopes import scopes_disabled

from partners.models import (
    AgreementAcceptance,
    OnboardingCompletion,
    OnboardingStep,
    Partner,
    PartnerAuditEntry,
)
from partners.selectors import agreement_state, onboarding_progress, partners_stalled
from partners.services import (
    agreement_accept,
    agreement_create,
    agreement_current,
    agreement_publish,
    agreement_update,
    onboarding_confirm,
    onboarding_record,
    partner_has_accepted_current,
    partner_update_cobranding,
)
from tests.assets.factories import image_bytes, make_asset, upload
from tests.conftest import make_partner_world

pytestmark = pytest.mark.django_db
Kind = OnboardingStep.Kind


def publish(actor, version_title="Partner program agreement", days_ago=0):
    agreement = agreement_create(
        actor=actor,
        title=version_title,
        text="The partner agrees to market the vendor's products fairly.",
        effective_date=timezone.localdate() - timedelta(days=days_ago),
    )
    return agreement_publish(agreement=agreement, actor=actor)


@pytest.fixture
def maya(staff_users):
    return staff_users["marketing_admin"]


@pytest.fixture
def newcomer(tiers, staff_users):
    """A partner in onboarding (alice's and bob's are active)."""
    return make_partner_world(
        "newco",
        tiers["silver"],
        manager=staff_users["channel_manager"],
        status=Partner.Status.ONBOARDING,
    )


@pytest.fixture
def library_asset(maya):
    return make_asset(actor=maya, title="Partner welcome kit")


@pytest.fixture
def png_logo():
    return upload("logo.png", image_bytes("PNG", (300, 100)), "image/png")


def step(kind, *, title=None, tier=None, required=True, **fields):
    return OnboardingStep.objects.create(
        title=title or str(Kind(kind).label),
        kind=kind,
        tier=tier,
        required=required,
        **fields,
    )


def done_kinds(partner):
    with scopes_disabled():
        return sorted(
            OnboardingCompletion.objects.filter(partner=partner).values_list(
                "step__kind", flat=True
            )
        )


# --- Agreements ---------------------------------------------------------------------


def test_versions_increase_and_a_published_version_never_changes(maya):
    first = publish(maya)
    draft = agreement_create(
        actor=maya, title="v2", text="Updated terms.", effective_date=timezone.localdate()
    )
    assert (first.version, draft.version) == (1, 2)
    with pytest.raises(ValidationError, match="can no longer change"):
        agreement_update(
            agreement=first,
            title="Sneaky",
            text="Other terms.",
            effective_date=first.effective_date,
        )
    first.refresh_from_db()
    assert first.title == "Partner program agreement"
    # A draft may change until it is published.
    agreement_update(
        agreement=draft, title="Terms 2026", text="New terms.", effective_date=draft.effective_date
    )
    draft.refresh_from_db()
    assert draft.title == "Terms 2026"


def test_an_older_draft_cannot_be_published_after_a_newer_version(maya):
    old_draft = agreement_create(
        actor=maya, title="v1", text="Terms.", effective_date=timezone.localdate()
    )
    publish(maya, "v2")
    with pytest.raises(ValidationError, match="cannot follow"):
        agreement_publish(agreement=old_draft, actor=maya)


def test_an_agreement_needs_title_and_text(maya):
    with pytest.raises(ValidationError) as exc_info:
        agreement_create(actor=maya, title=" ", text="", effective_date=timezone.localdate())
    assert set(exc_info.value.message_dict) == {"title", "text"}


def test_current_is_the_latest_published_and_in_effect(maya):
    assert agreement_current() is None
    v1 = publish(maya)
    agreement_create(actor=maya, title="draft", text="t", effective_date=timezone.localdate())
    assert agreement_current() == v1
    future = agreement_create(
        actor=maya, title="v3", text="t", effective_date=timezone.localdate() + timedelta(days=5)
    )
    agreement_publish(agreement=future, actor=maya)
    assert agreement_current() == v1  # not in effect yet


def test_re_acceptance_after_a_new_version(maya, alice, bob):
    # given: no agreement yet, nothing to accept
    assert partner_has_accepted_current(alice.partner)
    assert agreement_state(partner=alice.partner) == "none"
    publish(maya)
    assert not partner_has_accepted_current(alice.partner)
    assert agreement_state(partner=alice.partner) == "never"
    # when: alice's admin accepts v1
    acceptance = agreement_accept(partner=alice.partner, user=alice.admin, ip="203.0.113.9")
    # then: recorded with who, which version and from where; twice is once
    assert (acceptance.user, acceptance.agreement.version, acceptance.ip_address) == (
        alice.admin,
        1,
        "203.0.113.9",
    )
    again = agreement_accept(partner=alice.partner, user=alice.admin, ip="198.51.100.1")
    assert again.pk == acceptance.pk
    assert partner_has_accepted_current(alice.partner)
    assert agreement_state(partner=alice.partner) == "current"
    assert agreement_state(partner=bob.partner) == "never"
    # when: v2 is published, alice must accept again
    publish(maya, "v2")
    assert not partner_has_accepted_current(alice.partner)
    assert agreement_state(partner=alice.partner) == "outdated"
    agreement_accept(partner=alice.partner, user=alice.admin, ip=None)
    assert agreement_state(partner=alice.partner) == "current"
    with scopes_disabled():
        assert AgreementAcceptance.objects.filter(partner=alice.partner).count() == 2


def test_only_a_partner_admin_of_the_partner_accepts(maya, alice, bob):
    publish(maya)
    for user in (alice.marketer, alice.sales, bob.admin, maya):
        with pytest.raises(ValidationError, match="partner admin"):
            agreement_accept(partner=alice.partner, user=user, ip=None)
    assert not partner_has_accepted_current(alice.partner)


def test_nothing_to_accept_without_a_published_agreement(alice, maya):
    agreement_create(actor=maya, title="draft", text="t", effective_date=timezone.localdate())
    with pytest.raises(ValidationError, match="no program agreement"):
        agreement_accept(partner=alice.partner, user=alice.admin, ip=None)


# --- The checklist ------------------------------------------------------------------


def test_record_is_idempotent_and_tier_aware(newcomer, tiers):
    partner = newcomer.partner
    for_all = step(Kind.UPLOAD_LOGO)
    for_silver = step(Kind.INVITE_TEAMMATE, tier=tiers["silver"])
    for_gold = step(Kind.INVITE_TEAMMATE, tier=tiers["gold"])
    step(Kind.LAUNCH_CAMPAIGN)  # keeps the partner onboarding
    onboarding_record(partner=partner, kind="invite_teammate", actor=newcomer.admin)
    onboarding_record(partner=partner, kind="invite_teammate", actor=newcomer.admin)
    with scopes_disabled():
        done = set(
            OnboardingCompletion.objects.filter(partner=partner).values_list("step_id", flat=True)
        )
    assert done == {for_silver.pk}
    assert for_gold.pk not in done and for_all.pk not in done


def test_download_and_track_steps_need_the_named_object(newcomer, library_asset):
    partner = newcomer.partner
    step(Kind.DOWNLOAD_ASSET, asset=library_asset)
    step(Kind.LAUNCH_CAMPAIGN)
    onboarding_record(partner=partner, kind="download_asset")  # which asset? none
    assert done_kinds(partner) == []
    onboarding_record(partner=partner, kind="download_asset", asset=library_asset)
    assert done_kinds(partner) == ["download_asset"]


def test_record_refuses_custom_and_unknown_kinds(newcomer):
    for kind in ("custom", "dance"):
        with pytest.raises(ValueError):
            onboarding_record(partner=newcomer.partner, kind=kind)


def test_inactive_and_active_partners_record_nothing(alice, staff_users):
    step(Kind.UPLOAD_LOGO)
    onboarding_record(partner=alice.partner, kind="upload_logo")  # alice is active
    assert done_kinds(alice.partner) == []


def test_activation_once_with_audit_and_email(
    newcomer, staff_users, django_capture_on_commit_callbacks
):
    partner = newcomer.partner
    step(Kind.UPLOAD_LOGO)
    step(Kind.LAUNCH_CAMPAIGN)
    step(Kind.INVITE_TEAMMATE, required=False)
    with django_capture_on_commit_callbacks(execute=True):
        onboarding_record(partner=partner, kind="upload_logo", actor=newcomer.admin)
    partner.refresh_from_db()
    assert partner.status == Partner.Status.ONBOARDING
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        onboarding_record(partner=partner, kind="launch_campaign", actor=newcomer.marketer)
    partner.refresh_from_db()
    assert partner.status == Partner.Status.ACTIVE  # the optional step does not hold it back
    with scopes_disabled():
        entries = list(
            PartnerAuditEntry.objects.filter(partner=partner, field="status").values_list(
                "old_value", "new_value", "reason", "actor"
            )
        )
    assert entries == [("Onboarding", "Active", "Every required onboarding step is done.", None)]
    manager_mail = [m for m in mail.outbox if m.to == [staff_users["channel_manager"].email]]
    assert len(manager_mail) == 1
    assert "Newco Corp" in manager_mail[0].subject and "active" in manager_mail[0].subject
    # Doing it again changes nothing: one activation, one audit entry.
    with django_capture_on_commit_callbacks(execute=True):
        onboarding_record(partner=partner, kind="launch_campaign", actor=newcomer.marketer)
    with scopes_disabled():
        assert PartnerAuditEntry.objects.filter(partner=partner, field="status").count() == 1


def test_no_required_step_activates_nobody(newcomer):
    step(Kind.UPLOAD_LOGO, required=False)
    onboarding_record(partner=newcomer.partner, kind="upload_logo")
    newcomer.partner.refresh_from_db()
    assert newcomer.partner.status == Partner.Status.ONBOARDING


def test_custom_step_is_confirmed_by_staff_only(newcomer, staff_users, alice):
    custom = step(Kind.CUSTOM, title="Kick-off call held")
    logo = step(Kind.UPLOAD_LOGO)
    for user in (staff_users["analyst"], staff_users["finance_approver"], newcomer.admin):
        with pytest.raises(ValidationError):
            onboarding_confirm(partner=newcomer.partner, step=custom, actor=user)
    with pytest.raises(ValidationError) as exc_info:
        onboarding_confirm(
            partner=newcomer.partner, step=logo, actor=staff_users["channel_manager"]
        )
    assert "step" in exc_info.value.message_dict
    assert done_kinds(newcomer.partner) == []
    completion = onboarding_confirm(
        partner=newcomer.partner, step=custom, actor=staff_users["channel_manager"]
    )
    assert (
        completion.confirmed_by_staff and completion.completed_by == staff_users["channel_manager"]
    )
    # The system's record never completes a custom step.
    with pytest.raises(ValueError):
        onboarding_record(partner=newcomer.partner, kind="custom")


def test_accepting_the_agreement_completes_its_step(maya, newcomer):
    publish(maya)
    step(Kind.ACCEPT_AGREEMENT)
    step(Kind.LAUNCH_CAMPAIGN)
    agreement_accept(partner=newcomer.partner, user=newcomer.admin, ip="192.0.2.1")
    assert done_kinds(newcomer.partner) == ["accept_agreement"]


def test_profile_complete_and_logo_from_the_profile_service(
    newcomer, django_capture_on_commit_callbacks, png_logo
):
    partner = newcomer.partner
    step(Kind.COMPANY_PROFILE)
    step(Kind.UPLOAD_LOGO)
    step(Kind.LAUNCH_CAMPAIGN)
    with django_capture_on_commit_callbacks(execute=True):
        partner_update_cobranding(
            partner=partner,
            actor=newcomer.admin,
            display_name="Newco",
            contact_email="hi@newco.test",
        )
    assert done_kinds(partner) == []  # phone, website and address still missing
    with django_capture_on_commit_callbacks(execute=True):
        partner_update_cobranding(
            partner=partner,
            actor=newcomer.admin,
            contact_phone="+49 30 1234",
            contact_website="https://newco.test",
            address="Hauptstr. 1, Berlin",
        )
    assert done_kinds(partner) == ["company_profile"]
    with django_capture_on_commit_callbacks(execute=True):
        partner_update_cobranding(partner=partner, actor=newcomer.admin, logo=png_logo)
    assert done_kinds(partner) == ["company_profile", "upload_logo"]


def test_progress_next_step_due_dates_and_stalled(newcomer, tiers):
    partner = newcomer.partner
    today = timezone.localdate()
    Partner.objects.filter(pk=partner.pk).update(created_at=timezone.now() - timedelta(days=20))
    partner.refresh_from_db()
    logo = step(Kind.UPLOAD_LOGO, due_days=7)
    launch = step(Kind.LAUNCH_CAMPAIGN, due_days=30)
    step(Kind.INVITE_TEAMMATE, tier=tiers["gold"])  # not silver's
    progress = onboarding_progress(partner=partner, today=today, stalled_days=14)
    assert [s.step for s in progress.steps] == [logo, launch]
    assert progress.percent == 0
    assert progress.next_step.step == logo
    assert [s.step for s in progress.overdue] == [logo]
    assert progress.days_since_progress == 20
    stalled = partners_stalled(today=today, stalled_days=14)
    assert [row.partner for row in stalled] == [partner]
    assert stalled[0].stalled_reasons[0] == "No progress for 20 days."
    assert "“Upload the company logo” was due on" in stalled[0].stalled_reasons[1]
    # Progress today: no longer stalled by time, still by the overdue... until done.
    onboarding_record(partner=partner, kind="upload_logo")
    progress = onboarding_progress(partner=partner, today=today, stalled_days=14)
    assert progress.percent == 50 and progress.next_step.step == launch
    assert partners_stalled(today=today, stalled_days=14) == []


# --- Demo data ------------------------------------------------------------------------


def test_demo_has_every_onboarding_stage_and_runs_twice(demo, staff_users):
    from partners.demo import seed_onboarding

    maya = staff_users["marketing_admin"]
    first = demo.created["onboarding steps"]  # seed_demo's first run
    assert seed_onboarding(actor=maya) == 0  # idempotent
    assert first >= 7
    kinds = set(OnboardingStep.objects.values_list("kind", flat=True))
    assert kinds >= set(Kind.values) - {Kind.COMPLETE_TRACK}  # tracks come from their demo
    states = {
        slug: agreement_state(partner=Partner.objects.get(slug=slug))
        for slug in ("northwind", "tailspin", "proseware")
    }
    assert states == {"northwind": "current", "tailspin": "outdated", "proseware": "never"}
    stalled = {row.partner.slug for row in partners_stalled()}
    assert "graphic" in stalled and "woodgrove" not in stalled
    woodgrove = onboarding_progress(partner=Partner.objects.get(slug="woodgrove"))
    assert 0 < woodgrove.percent < 100

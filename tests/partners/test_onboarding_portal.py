"""The agreement gate, the banner after a new version, the portal's agreement and
checklist pages, the dashboard card and the staff pages of onboarding."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from partners.models import AgreementAcceptance, OnboardingStep, Partner, ProgramAgreement
from partners.services import agreement_accept, agreement_create, agreement_publish
from tests.conftest import make_partner_world

pytestmark = pytest.mark.django_db
Kind = OnboardingStep.Kind


def publish(actor, title="Partner program agreement"):
    draft = agreement_create(
        actor=actor,
        title=title,
        text=f"{title}: the partner markets the vendor's products fairly.",
        effective_date=timezone.localdate(),
    )
    return agreement_publish(agreement=draft, actor=actor)


def login(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def maya(staff_users):
    return staff_users["marketing_admin"]


@pytest.fixture
def newcomer(tiers, staff_users):
    world = make_partner_world(
        "newco", tiers["silver"], manager=staff_users["channel_manager"], status="onboarding"
    )
    Partner.objects.filter(pk=world.partner.pk).update(
        created_at=timezone.now() - timedelta(days=10)
    )
    world.partner.refresh_from_db()
    return world


# --- The gate -------------------------------------------------------------------------


def test_without_a_published_agreement_nothing_is_gated(client, alice):
    response = login(client, alice.marketer).get(reverse("library:list"))
    assert response.status_code == 200


def test_admin_of_a_partner_that_never_accepted_is_sent_to_accept(client, alice, maya):
    publish(maya)
    login(client, alice.admin)
    for url in (reverse("portal:dashboard"), reverse("campaigns:list"), reverse("funds:overview")):
        response = client.get(url)
        assert response.status_code == 302
        assert (
            response["Location"] == f"{reverse('portal:agreement')}?next={url.replace('/', '%2F')}"
        )
    page = client.get(reverse("portal:agreement"))
    assert page.status_code == 200
    assert "I accept" in page.content.decode()
    # when: the admin accepts, back where they were going, recorded with the address
    response = client.post(
        reverse("portal:agreement"), {"next": reverse("campaigns:list")}, REMOTE_ADDR="192.0.2.7"
    )
    assert response.status_code == 302 and response["Location"] == reverse("campaigns:list")
    with scopes_disabled():
        acceptance = AgreementAcceptance.objects.get(partner=alice.partner)
    assert (acceptance.user, acceptance.ip_address, acceptance.agreement.version) == (
        alice.admin,
        "192.0.2.7",
        1,
    )
    assert client.get(reverse("campaigns:list")).status_code == 200


def test_an_offsite_next_is_ignored(client, alice, maya):
    publish(maya)
    response = login(client, alice.admin).post(
        reverse("portal:agreement"), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("portal:onboarding")


def test_other_roles_wait_for_their_admin(client, alice, maya):
    publish(maya)
    login(client, alice.marketer)
    response = client.get(reverse("library:list"))
    assert response.status_code == 403
    assert "Your partner admin must accept the program agreement first" in response.content.decode()
    # They may read the agreement, not accept it.
    page = client.get(reverse("portal:agreement"))
    assert page.status_code == 200 and "I accept" not in page.content.decode()
    assert client.post(reverse("portal:agreement")).status_code == 403
    with scopes_disabled():
        assert not AgreementAcceptance.objects.exists()


def test_new_version_shows_a_banner_and_the_portal_stays_usable(client, alice, maya):
    publish(maya)
    agreement_accept(partner=alice.partner, user=alice.admin, ip=None)
    publish(maya, "Partner program agreement 2026")
    # A marketer reads on, with a banner saying the admin must accept.
    marketer = login(client, alice.marketer).get(reverse("library:list"))
    assert marketer.status_code == 200
    assert 'id="agreement-banner"' in marketer.content.decode()
    assert "Your partner admin needs to accept it." in marketer.content.decode()
    client.logout()
    admin_page = login(client, alice.admin).get(reverse("portal:dashboard"))
    assert admin_page.status_code == 200
    assert "Read and accept the new version" in admin_page.content.decode()
    client.post(reverse("portal:agreement"))
    assert 'id="agreement-banner"' not in client.get(reverse("portal:dashboard")).content.decode()
    with scopes_disabled():
        versions = sorted(
            AgreementAcceptance.objects.filter(partner=alice.partner).values_list(
                "agreement__version", flat=True
            )
        )
    assert versions == [1, 2]


def test_password_change_is_open_before_the_agreement(client, alice, maya):
    publish(maya)
    assert login(client, alice.sales).get(reverse("portal:password_change")).status_code == 200


# --- The checklist page and the dashboard card ---------------------------------------


def test_checklist_shows_progress_next_step_due_dates_and_overdue(client, newcomer, maya):
    OnboardingStep.objects.create(title="Accept the agreement", kind=Kind.ACCEPT_AGREEMENT)
    OnboardingStep.objects.create(
        title="Add your logo", kind=Kind.UPLOAD_LOGO, due_days=5, position=1
    )
    OnboardingStep.objects.create(
        title="Launch a campaign", kind=Kind.LAUNCH_CAMPAIGN, due_days=30, position=2
    )
    publish(maya)
    login(client, newcomer.admin).post(reverse("portal:agreement"))
    page = client.get(reverse("portal:onboarding")).content.decode()
    assert "1 of 3 required steps done" in page
    assert "33%" in page
    assert 'aria-valuenow="33"' in page
    # The next step links to where it is done; the logo step is overdue (due day 5 of 10).
    next_step = page[page.index('id="next-step"') :]
    assert "Add your logo" in next_step[:500]
    assert f'href="{reverse("portal:profile")}"' in next_step[:1200]
    assert "Overdue" in page
    dashboard = client.get(reverse("portal:dashboard")).content.decode()
    assert 'id="onboarding-card"' in dashboard and "33%" in dashboard


def test_active_partner_has_no_dashboard_card(client, alice):
    OnboardingStep.objects.create(title="Add your logo", kind=Kind.UPLOAD_LOGO)
    page = login(client, alice.admin).get(reverse("portal:dashboard")).content.decode()
    assert 'id="onboarding-card"' not in page


# --- Staff pages ----------------------------------------------------------------------


def test_publishing_asks_for_confirmation_first(client, maya):
    draft = agreement_create(
        actor=maya, title="Terms", text="Text.", effective_date=timezone.localdate()
    )
    client.force_login(maya)
    url = reverse("admin:partners_programagreement_publish", args=[draft.pk])
    page = client.get(url)
    assert page.status_code == 200 and "Yes, publish it" in page.content.decode()
    draft.refresh_from_db()
    assert draft.published_at is None
    client.post(url)
    draft.refresh_from_db()
    assert draft.published_at is not None
    # Published: the form shows the text read-only, a change is ignored.
    change = reverse("admin:partners_programagreement_change", args=[draft.pk])
    client.post(change, {"title": "Sneaky", "text": "Other", "effective_date": "2030-01-01"})
    draft.refresh_from_db()
    assert draft.title == "Terms"


def test_staff_add_a_version_through_the_admin(client, maya):
    client.force_login(maya)
    client.post(
        reverse("admin:partners_programagreement_add"),
        {"title": "Terms", "text": "Text.", "effective_date": timezone.localdate().isoformat()},
    )
    client.post(
        reverse("admin:partners_programagreement_add"),
        {"title": "Terms 2", "text": "Text 2.", "effective_date": timezone.localdate().isoformat()},
    )
    assert list(ProgramAgreement.objects.order_by("version").values_list("version", "title")) == [
        (1, "Terms"),
        (2, "Terms 2"),
    ]


def test_step_form_names_the_missing_asset(client, maya):
    client.force_login(maya)
    response = client.post(
        reverse("admin:partners_onboardingstep_add"),
        {
            "title": "Get the datasheet",
            "kind": "download_asset",
            "position": 1,
            "due_days": 7,
            "required": "on",
            "active": "on",
        },
    )
    assert response.status_code == 200
    assert "Choose the asset the partner downloads." in response.content.decode()
    assert not OnboardingStep.objects.exists()


def test_progress_and_stalled_pages(client, newcomer, staff_users, alice):
    OnboardingStep.objects.create(title="Add your logo", kind=Kind.UPLOAD_LOGO, due_days=5)
    custom = OnboardingStep.objects.create(title="Kick-off call", kind=Kind.CUSTOM, due_days=30)
    manager = staff_users["channel_manager"]
    client.force_login(manager)
    progress = client.get(reverse("admin:partners_onboarding_progress")).content.decode()
    assert "Newco Corp" in progress and "Alice Corp" not in progress  # alice is active
    assert "0%" in progress
    stalled = client.get(reverse("admin:partners_onboarding_stalled")).content.decode()
    assert "“Add your logo” was due on" in stalled
    confirm = reverse("admin:partners_onboardingcompletion_add")
    assert f"{confirm}?partner={newcomer.partner.pk}&amp;step={custom.pk}" in progress
    # The channel manager confirms the custom step; who confirmed is recorded.
    client.post(confirm, {"partner": newcomer.partner.pk, "step": custom.pk})
    with scopes_disabled():
        from partners.models import OnboardingCompletion

        completion = OnboardingCompletion.objects.get(partner=newcomer.partner, step=custom)
    assert completion.completed_by == manager and completion.confirmed_by_staff
    index = client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:partners_onboarding_stalled") in index


def test_finance_cannot_see_onboarding_progress(client, staff_users):
    client.force_login(staff_users["finance_approver"])
    assert client.get(reverse("admin:partners_onboarding_progress")).status_code == 403


def test_partner_page_lists_acceptances(client, alice, maya):
    publish(maya)
    agreement_accept(partner=alice.partner, user=alice.admin, ip="192.0.2.4")
    client.force_login(maya)
    page = client.get(reverse("admin:partners_partner_change", args=[alice.partner.pk]))
    assert "v1 accepted by Alice on" in page.content.decode()
    assert "from 192.0.2.4" in page.content.decode()
    assert "Accepted the current version." in page.content.decode()

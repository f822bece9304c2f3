"""The portal shell through Django's test client: logging in and out, passwords,
the dashboard, who may see what, the company profile and API keys, error pages."""

from __future__ import annotations

import io
import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import loader
from django.test import Client
from django.urls import reverse
from django_scopes import scopes_disabled
from PIL import Image

from partners.models import Partner, PartnerAPIKey
from partners.services import api_key_create
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db

LOGIN = reverse("portal:login")
DASHBOARD = reverse("portal:dashboard")
PROFILE = reverse("portal:profile")
API_KEYS = reverse("portal:api_keys")


def log_in(client, username: str, password: str = PASSWORD):
    """Through the login form, as a person does (django-axes sees the attempt)."""
    return client.post(LOGIN, {"username": username, "password": password})


def png_bytes(size: tuple[int, int] = (120, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", size, (58, 69, 194, 255)).save(buffer, format="PNG")
    return buffer.getvalue()


def text(response) -> str:
    return response.content.decode()


# --- Logging in and out -----------------------------------------------------------


def test_login_page_renders_in_the_portal_look(client):
    response = client.get(LOGIN)
    assert response.status_code == 200
    body = text(response)
    assert '<label class="form-label fw-semibold" for="id_username">' in body
    assert "/static/vendor/bootstrap/bootstrap.min.css" in body
    assert "/static/css/portal.css" in body
    assert 'href="#main"' in body  # the skip link
    assert "<title>Log in · PartnerHub</title>" in body  # the product, not the host name


def test_login_with_the_right_password_opens_the_dashboard(client, alice):
    response = log_in(client, alice.admin.username)
    assert response.status_code == 302
    assert response["Location"] == DASHBOARD
    assert "Alice Corp" in text(client.get(DASHBOARD))


def test_login_with_a_wrong_password_shows_the_error(client, alice):
    response = log_in(client, alice.admin.username, "not-the-password")
    assert response.status_code == 200
    body = text(response)
    assert "That email/username and password do not match" in body
    assert 'role="alert"' in body
    assert client.get(DASHBOARD).status_code == 302  # still logged out


def test_five_failures_lock_the_login_even_with_the_right_password(client, alice, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    for _attempt in range(4):
        assert log_in(client, alice.admin.username, "wrong").status_code == 200
    response = log_in(client, alice.admin.username, "wrong")
    assert response.status_code == 429
    assert "Too many failed logins" in text(response)
    assert reverse("portal:password_reset") in text(response)

    response = log_in(client, alice.admin.username)  # the right password, too late
    assert response.status_code == 429
    assert "Too many failed logins" in text(response)
    assert client.get(DASHBOARD).status_code == 302


def test_logout_shows_the_logged_out_page_and_ends_the_session(client, alice):
    client.force_login(alice.admin)
    response = client.post(reverse("portal:logout"))
    assert response.status_code == 200
    body = text(response)
    assert "You are logged out" in body
    assert "Alice Corp" not in body  # no partner navigation after logout
    assert client.get(DASHBOARD)["Location"].startswith(LOGIN)


def test_logout_link_shows_a_log_out_button_and_does_not_log_out(client, alice):
    # given: a signed-in partner user follows an old "log out" link
    client.force_login(alice.admin)
    url = reverse("portal:logout")

    # when
    response = client.get(url, {"next": "https://evil.example/"})

    # then: a page in the portal's look with a button that POSTs, still logged in
    assert response.status_code == 200
    body = text(response)
    assert "<title>Log out · PartnerHub</title>" in body
    assert "/static/css/portal.css" in body
    form = re.search(rf'<form method="post" action="{url}">(.*?)</form>', body, re.S)
    assert form
    assert 'name="csrfmiddlewaretoken"' in form.group(1)
    assert '<button type="submit" class="btn btn-primary w-100 py-2">Log out</button>' in body
    assert "evil.example" not in body  # an unsafe `next` is dropped
    assert client.get(DASHBOARD).status_code == 200

    # when: the button is pressed
    response = client.post(url)

    # then
    assert "You are logged out" in text(response)
    assert client.get(DASHBOARD)["Location"].startswith(LOGIN)


def test_logout_post_without_the_csrf_token_is_refused(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice.admin)
    assert client.post(reverse("portal:logout")).status_code == 403
    assert client.get(DASHBOARD).status_code == 200


def test_logout_link_when_logged_out_shows_the_logged_out_page(client):
    response = client.get(reverse("portal:logout"))
    assert response.status_code == 200
    assert "You are logged out" in text(response)
    assert f'action="{reverse("portal:logout")}"' not in text(response)


def test_password_change(client, alice):
    client.force_login(alice.marketer)
    url = reverse("portal:password_change")
    new = "a-brand-new-secret-42"
    response = client.post(
        url, {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302
    assert "Your password was changed." in text(client.get(response["Location"]))

    client.logout()
    assert log_in(client, alice.marketer.username, PASSWORD).status_code == 200  # refused
    assert log_in(client, alice.marketer.username, new).status_code == 302


def test_password_change_with_a_wrong_current_password_names_the_field(client, alice):
    client.force_login(alice.marketer)
    response = client.post(
        reverse("portal:password_change"),
        {"old_password": "wrong", "new_password1": "x-new-secret-42", "new_password2": "x"},
    )
    assert response.status_code == 200
    body = text(response)
    assert 'id="id_old_password_error"' in body
    assert 'aria-describedby="id_old_password_error"' in body


def test_password_reset_email_link_sets_a_new_password(client, alice):
    response = client.post(reverse("portal:password_reset"), {"email": alice.sales.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [alice.sales.email]
    assert "PartnerHub" in message.subject
    link = re.search(r"https?://testserver(/portal/password/reset/\S+/)", message.body)
    assert link, message.body

    response = client.get(link.group(1), follow=True)
    assert "Set a new password" in text(response)
    new = "reset-and-remembered-77"
    response = client.post(
        response.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}
    )
    assert response["Location"] == reverse("portal:password_reset_complete")
    assert log_in(client, alice.sales.username, new).status_code == 302

    # The link works once.
    client.logout()
    assert "This link does not work any more" in text(client.get(link.group(1), follow=True))


# --- Dashboard and who gets in ---------------------------------------------------------


def test_dashboard_shows_partner_name_tier_status_and_channel_manager(client, alice):
    client.force_login(alice.sales)
    body = text(client.get(DASHBOARD))
    manager = alice.partner.channel_manager
    assert "<h1" in body and "Alice Corp</h1>" in body
    assert "Gold tier" in body
    assert ">Active</span>" in body
    assert manager.get_full_name() in body
    assert f'href="mailto:{manager.email}"' in body


def test_dashboard_asks_to_complete_the_profile_until_it_is_complete(client, alice):
    client.force_login(alice.admin)
    body = text(client.get(DASHBOARD))
    assert "Complete your company profile" in body
    assert "logo, phone, email, address" in body

    Partner.objects.filter(pk=alice.partner.pk).update(
        contact_phone="+1 555 0100", contact_email="hi@alice.example", address="1 Main St"
    )
    body = text(client.get(DASHBOARD))
    assert "Still missing: logo." in body


def test_api_keys_are_in_the_navigation_of_partner_admins_only(client, alice):
    client.force_login(alice.admin)
    assert f'href="{API_KEYS}"' in text(client.get(DASHBOARD))
    client.force_login(alice.marketer)
    body = text(client.get(DASHBOARD))
    assert f'href="{API_KEYS}"' not in body
    assert client.get(API_KEYS).status_code == 403


def test_staff_who_open_the_portal_get_the_staff_notice(client, staff_users):
    client.force_login(staff_users["channel_manager"])
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    body = text(response)
    assert "The partner portal is for partner companies" in body
    assert f'href="{reverse("admin:index")}"' in body


def test_a_user_without_a_partner_gets_the_no_partner_page(client, db):
    client.force_login(make_user("loner"))
    response = client.get(DASHBOARD)
    assert response.status_code == 403
    assert "does not belong to a partner company" in text(response)


def test_users_of_a_suspended_partner_see_that_access_is_paused(client, alice):
    Partner.objects.filter(pk=alice.partner.pk).update(status=Partner.Status.SUSPENDED)
    client.force_login(alice.admin)
    for url in (DASHBOARD, PROFILE, API_KEYS):
        response = client.get(url)
        assert response.status_code == 403
        body = text(response)
        assert "Portal access for Alice Corp is paused" in body
        assert 'id="portal-nav"' not in body


# --- Company profile -----------------------------------------------------------------


def test_partner_admin_edits_the_profile_and_uploads_a_logo(client, alice):
    client.force_login(alice.admin)
    logo = SimpleUploadedFile("logo.png", png_bytes(), content_type="image/png")
    response = client.post(
        PROFILE,
        {
            "display_name": "Alice & Co",
            "contact_phone": "+1 555 0100",
            "contact_email": "marketing@alice.example",
            "contact_website": "https://alice.example",
            "address": "1 Main Street\nSpringfield",
            "logo_upload": logo,
        },
    )
    assert response.status_code == 302
    partner = Partner.objects.get(pk=alice.partner.pk)
    assert partner.display_name == "Alice & Co"
    assert partner.logo.name.endswith(".png")

    page = text(client.get(PROFILE))
    assert "Your company profile was saved." in page
    logo_url = reverse("portal:partner_logo", args=[partner.uuid])
    assert f'src="{logo_url}"' in page
    served = client.get(logo_url)
    assert served["Content-Type"] == "image/png"
    assert b"".join(served.streaming_content).startswith(b"\x89PNG")


def partner_name_in_header(body: str) -> str:
    return re.search(r'<span class="partner-name[^"]*">([^<]*)</span>', body).group(1)


def test_a_rejected_profile_keeps_the_saved_name_in_the_header(client, alice):
    # given: a saved display name
    client.force_login(alice.admin)
    assert client.post(PROFILE, {"display_name": "Alice & Co"}).status_code == 302

    # when: a new name is posted with an invalid email
    response = client.post(
        PROFILE, {"display_name": "Renamed Ltd", "contact_email": "not-an-email"}
    )

    # then: the form shows the input and its error; the page around it the saved name
    assert response.status_code == 400
    body = text(response)
    assert 'id="id_contact_email_error"' in body
    assert 'name="display_name" value="Renamed Ltd"' in body
    assert partner_name_in_header(body) == "Alice &amp; Co"
    assert '<h2 class="offcanvas-title h6 mb-0" id="portal-nav-title">Alice &amp; Co</h2>' in body
    assert "Renamed Ltd" not in body.replace('value="Renamed Ltd"', "")
    assert Partner.objects.get(pk=alice.partner.pk).display_name == "Alice & Co"


def test_a_marketer_reads_the_profile_but_cannot_post_it(client, alice):
    client.force_login(alice.marketer)
    page = text(client.get(PROFILE))
    assert "Only your partner admins can change the company profile." in page
    assert 'name="display_name"' not in page

    response = client.post(PROFILE, {"display_name": "Hijacked"})
    assert response.status_code == 403
    assert Partner.objects.get(pk=alice.partner.pk).display_name == ""


def test_an_svg_renamed_to_png_is_refused_and_nothing_is_saved(client, alice):
    client.force_login(alice.admin)
    fake = SimpleUploadedFile("logo.png", b"<svg onload=alert(1)>", content_type="image/png")
    response = client.post(PROFILE, {"display_name": "Alice & Co", "logo_upload": fake})
    assert response.status_code == 400
    body = text(response)
    error = re.search(r'id="id_logo_upload_error">(.*?)</div>\s*</div>', body, re.S)
    assert error, body
    assert "SVG" in error.group(1)
    assert 'aria-describedby="id_logo_upload_helptext id_logo_upload_error"' in body
    assert "<svg onload" not in body
    assert partner_name_in_header(body) == "Alice Corp"  # the saved name, not the input
    partner = Partner.objects.get(pk=alice.partner.pk)
    assert not partner.logo
    assert partner.display_name == ""


# --- API keys ------------------------------------------------------------------------


def test_creating_a_key_shows_the_raw_key_once_and_stores_only_its_hash(client, alice):
    client.force_login(alice.admin)
    response = client.post(API_KEYS, {"name": "HubSpot sync"})
    assert response.status_code == 201
    body = text(response)
    raw_key = re.search(r'id="new-key-value" type="text" value="([^"]+)"', body).group(1)
    assert "this is the only time we show it" in body

    with scopes_disabled():
        key = PartnerAPIKey.objects.get(name="HubSpot sync")
        stored = PartnerAPIKey.objects.filter(pk=key.pk).values().get()
    assert key.partner_id == alice.partner.pk
    assert raw_key.startswith(key.prefix)
    assert not any(raw_key in str(value) for value in stored.values())
    assert raw_key not in text(client.get(API_KEYS))  # never shown again


def test_a_key_is_revoked_only_by_the_confirmation_post(client, alice):
    created = api_key_create(name="Old CRM", partner=alice.partner, created_by=alice.admin)
    url = reverse("portal:api_key_revoke", args=[created.api_key.public_id])
    client.force_login(alice.admin)

    page = client.get(url)
    assert page.status_code == 200
    assert "Revoke the key “Old CRM”?" in text(page)
    assert 'name="csrfmiddlewaretoken"' in text(page)
    with scopes_disabled():
        assert not PartnerAPIKey.objects.get(pk=created.api_key.pk).revoked

    response = client.post(url)
    assert response.status_code == 302
    with scopes_disabled():
        assert PartnerAPIKey.objects.get(pk=created.api_key.pk).revoked
    assert "The key “Old CRM” was revoked." in text(client.get(API_KEYS))


def test_another_partners_key_revoke_url_answers_404(client, alice, bob):
    bobs = api_key_create(name="bob crm", partner=bob.partner, created_by=bob.admin)
    url = reverse("portal:api_key_revoke", args=[bobs.api_key.public_id])
    client.force_login(alice.admin)
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    with scopes_disabled():
        assert not PartnerAPIKey.objects.get(pk=bobs.api_key.pk).revoked


# --- Error pages ---------------------------------------------------------------------


def test_404_page_is_in_the_portal_look(client, alice, settings):
    settings.DEBUG = False
    client.force_login(alice.admin)
    response = client.get("/portal/no-such-page/")
    assert response.status_code == 404
    body = text(response)
    assert "We could not find that page" in body
    assert "/static/css/portal.css" in body
    assert 'id="portal-nav"' in body  # the partner keeps the navigation


def test_413_page_names_the_limit(client, alice, settings):
    settings.REQUEST_MAX_BODY_SIZE = 1000
    client.force_login(alice.admin)
    big = SimpleUploadedFile("logo.png", png_bytes((400, 400)) + b"\0" * 2000)
    response = client.post(PROFILE, {"logo_upload": big})
    assert response.status_code == 413
    assert "larger than the limit of 1000\xa0bytes" in text(response)


def test_an_expired_form_gets_the_csrf_page_in_the_portal_look(alice):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post(LOGIN, {"username": alice.admin.username, "password": PASSWORD})
    assert response.status_code == 403
    body = text(response)
    assert "This form has expired" in body
    assert "/static/css/portal.css" in body


def test_500_page_renders_without_a_request():
    html = loader.get_template("500.html").render({})
    assert "Something went wrong on our side" in html
    assert "/static/css/portal.css" in html

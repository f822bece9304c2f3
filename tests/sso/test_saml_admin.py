"""A SAML 2.0 provider set up in the admin: from the IdP's metadata (a URL the admin
reads when saving, or pasted XML) or its entity ID, sign-in URL and certificate; bad
input is a field error and saves nothing. The IdP is the tests' (tests/sso/saml_idp),
whose metadata answers over HTTP."""

from __future__ import annotations

import pytest
from allauth.socialaccount.models import SocialApp
from django.urls import reverse
from django_scopes import scopes_disabled

from partners.models import IdentityProvider
from tests.sso.conftest import free_port

pytestmark = pytest.mark.django_db

ADD = reverse("admin:partners_identityprovider_add")
# PEM armour around base64 text that is not a certificate ("not a certificate").
NOT_A_CERTIFICATE = (
    "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----"
)


def form(partner, **saml) -> dict[str, str]:
    return {
        "name": "Alice SAML",
        "slug": "alice-saml",
        "partner": str(partner.pk),
        "protocol": "saml",
        "is_active": "on",
        "role_claim": "groups",
        "role_map": '{"sales-team": "sales"}',
        "default_role": "marketer",
        "domains-TOTAL_FORMS": "1",
        "domains-INITIAL_FORMS": "0",
        "domains-MIN_NUM_FORMS": "0",
        "domains-MAX_NUM_FORMS": "1000",
        "domains-0-domain": "alice.example",
        **saml,
    }


@pytest.fixture
def admin_client(client, staff_users):
    client.force_login(staff_users["marketing_admin"])
    return client


def field_errors(response, name: str) -> list[str]:
    assert response.status_code == 200, response.content[:2000]
    return list(response.context["adminform"].form.errors.get(name, []))


def nothing_saved() -> bool:
    with scopes_disabled():
        return not IdentityProvider.objects.exists() and not SocialApp.objects.exists()


def test_a_provider_from_the_idps_metadata_url(admin_client, alice, saml_idp, settings):
    settings.SITE_URL = "https://partners.vendor.example"

    response = admin_client.post(ADD, form(alice.partner, metadata_url=saml_idp.metadata_url))

    assert response.status_code == 302, response.content[:3000]
    with scopes_disabled():
        provider = IdentityProvider.objects.get(slug="alice-saml")
    app = provider.app
    assert (app.provider, app.provider_id, app.client_id) == ("saml", "alice-saml", "alice-saml")
    assert app.settings["idp"] == {
        "entity_id": saml_idp.entity_id,
        "sso_url": saml_idp.sso_url,
        "x509cert": saml_idp.cert,
    }
    assert app.settings["advanced"]["want_assertion_signed"] is True
    assert app.settings["advanced"]["reject_idp_initiated_sso"] is True
    # What the customer registers at their IdP, on the change page.
    page = admin_client.get(
        reverse("admin:partners_identityprovider_change", args=[provider.pk])
    ).content.decode()
    assert "SAML 2.0 identity provider" in page
    assert "https://partners.vendor.example/accounts/saml/alice-saml/acs/" in page
    assert "https://partners.vendor.example/accounts/saml/alice-saml/metadata/" in page


def test_one_save_reads_the_metadata_url_once(admin_client, alice, saml_idp, fetches):
    # The form checks the metadata (its errors show on its fields) and the save takes
    # what the check read: the IdP's metadata is fetched once per save.
    response = admin_client.post(ADD, form(alice.partner, metadata_url=saml_idp.metadata_url))

    assert response.status_code == 302, response.content[:3000]
    assert fetches.count(saml_idp.metadata_url) == 1
    with scopes_disabled():
        provider = IdentityProvider.objects.get(slug="alice-saml")
        domain = provider.domains.get()
    assert provider.app.settings["metadata_source_url"] == saml_idp.metadata_url

    # saved again (as after the IdP rotates its certificate): read again, once
    fetches.clear()
    data = form(alice.partner, metadata_url=saml_idp.metadata_url, name="Alice SAML 2")
    data.update(
        {
            "domains-INITIAL_FORMS": "1",
            "domains-0-id": str(domain.pk),
            "domains-0-provider": str(provider.pk),
        }
    )
    change = reverse("admin:partners_identityprovider_change", args=[provider.pk])
    response = admin_client.post(change, data)
    assert response.status_code == 302, response.content[:3000]
    assert fetches.count(saml_idp.metadata_url) == 1


def test_a_provider_from_pasted_metadata_and_saved_again_without_it(admin_client, alice, saml_idp):
    response = admin_client.post(ADD, form(alice.partner, metadata_xml=saml_idp.metadata_xml()))
    assert response.status_code == 302, response.content[:3000]
    with scopes_disabled():
        provider = IdentityProvider.objects.get(slug="alice-saml")
        domain = provider.domains.get()
    change = reverse("admin:partners_identityprovider_change", args=[provider.pk])

    # Renamed, nothing about the IdP given: its settings are kept, the app follows.
    data = form(alice.partner, name="Alice SSO", slug="alice-sso")
    data.update(
        {
            "domains-INITIAL_FORMS": "1",
            "domains-0-id": str(domain.pk),
            "domains-0-provider": str(provider.pk),
        }
    )
    response = admin_client.post(change, data)

    assert response.status_code == 302, response.content[:3000]
    app = SocialApp.objects.get()
    assert (app.name, app.provider_id, app.client_id) == ("Alice SSO", "alice-sso", "alice-sso")
    assert app.settings["idp"]["x509cert"] == saml_idp.cert


@pytest.mark.parametrize(
    ("metadata", "says"),
    [
        ("<EntityDescriptor entityID='x'", "This is not XML"),
        ("<html><body>Sign in</body></html>", "not the SAML metadata of an identity provider"),
        ('<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', "declares a DTD or entities"),
    ],
    ids=["malformed", "not-metadata", "entities"],
)
def test_malformed_metadata_is_a_field_error_and_saves_nothing(admin_client, alice, metadata, says):
    response = admin_client.post(ADD, form(alice.partner, metadata_xml=metadata))

    assert any(says in error for error in field_errors(response, "metadata_xml"))
    assert nothing_saved()


def test_metadata_without_a_certificate_is_refused(admin_client, alice, saml_idp):
    metadata = saml_idp.metadata_xml()
    start = metadata.index("<ns0:KeyDescriptor")
    end = metadata.index("</ns0:KeyDescriptor>") + len("</ns0:KeyDescriptor>")

    response = admin_client.post(
        ADD, form(alice.partner, metadata_xml=metadata[:start] + metadata[end:])
    )

    assert field_errors(response, "metadata_xml") == [
        "The metadata has no valid signing certificate."
    ]
    assert nothing_saved()


def test_a_metadata_url_that_does_not_answer_is_a_field_error(admin_client, alice, saml_idp):
    silent = f"http://127.0.0.1:{free_port()}/metadata"  # nothing listens there
    not_found = f"{saml_idp.url}/no-such-metadata"

    for url, says in (
        (silent, "This address did not answer. Check it and try again."),
        (not_found, "This address answered HTTP 404, not metadata."),
    ):
        response = admin_client.post(ADD, form(alice.partner, metadata_url=url))
        assert field_errors(response, "metadata_url") == [says]
    assert nothing_saved()


def test_a_certificate_that_is_not_one_is_a_field_error(admin_client, alice, saml_idp):
    response = admin_client.post(
        ADD,
        form(
            alice.partner,
            entity_id=saml_idp.entity_id,
            sso_url=saml_idp.sso_url,
            x509cert=NOT_A_CERTIFICATE,
        ),
    )

    assert field_errors(response, "x509cert")[0].startswith("This is not an X.509 certificate.")
    assert nothing_saved()


def test_entity_id_sso_url_and_certificate_by_hand(admin_client, alice, saml_idp):
    response = admin_client.post(
        ADD,
        form(
            alice.partner,
            entity_id=saml_idp.entity_id,
            sso_url=saml_idp.sso_url,
            x509cert=saml_idp.signing.cert_pem,
        ),
    )

    assert response.status_code == 302, response.content[:3000]
    assert SocialApp.objects.get().settings["idp"]["x509cert"] == saml_idp.cert


def test_a_saml_provider_needs_its_idp(admin_client, alice):
    response = admin_client.post(ADD, form(alice.partner, entity_id="https://idp.example/x"))

    assert field_errors(response, "sso_url") == ["Give the identity provider's single sign-on URL."]
    assert field_errors(response, "x509cert") == [
        "Give the identity provider's signing certificate."
    ]
    response = admin_client.post(ADD, form(alice.partner))
    assert field_errors(response, "metadata_xml")[0].startswith(
        "Give the identity provider's metadata (XML or URL)"
    )
    assert nothing_saved()

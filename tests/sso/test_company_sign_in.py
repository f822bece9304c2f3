"""Partner admins set up their company's sign-in in the portal (/portal/company/sign-in/),
staff approve the domains they claim. The issuer URL is checked against the real test
provider (tests/sso/oidc_provider, its discovery document over HTTP) and against an
address where nothing answers; the full round trip (set up in the portal, staff approve
the domain, a colleague signs in through the provider) is the last test.
"""

from __future__ import annotations

import html

import pytest
from allauth.socialaccount.models import SocialApp
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_scopes import scopes_disabled

from partners.models import (
    IdentityProvider,
    IdentityProviderDomain,
    Language,
    Membership,
    PartnerAuditEntry,
    SignInRecord,
)
from partners.services import set_languages_in_order, sso, sso_setup
from tests.conftest import PASSWORD
from tests.sso.conftest import Browser, free_port
from tests.sso.saml_idp.idp import PASSWORD as SAML_PASSWORD

PAGE = reverse("portal:company_sign_in")
ADD = reverse("portal:company_sign_in_add")


def provider_page(slug: str = "alice") -> str:
    return reverse("portal:company_sign_in_provider", args=[slug])


def domain_add(slug: str = "alice") -> str:
    return reverse("portal:company_sign_in_domain_add", args=[slug])


pytestmark = pytest.mark.django_db


def text(response) -> str:
    return response.content.decode()


def setup_data(issuer: str, **overrides) -> dict[str, str]:
    data = {
        "name": "Alice Okta",
        "protocol": "oidc",
        "server_url": issuer,
        "client_id": "alice-portal",
        "secret": "first-secret",
        "role_claim": "groups",
        "default_role": "sales",
        "is_active": "on",
        "domains": "Alice-Corp.example",
        "roles-TOTAL_FORMS": "2",
        "roles-INITIAL_FORMS": "0",
        "roles-MIN_NUM_FORMS": "0",
        "roles-MAX_NUM_FORMS": "1000",
        "roles-0-value": "alice-admins",
        "roles-0-role": "admin",
        "roles-1-value": "alice-marketing",
        "roles-1-role": "marketer",
    }
    data.update(overrides)
    return data


def nothing_answers() -> str:
    """An address on this machine where no server listens."""
    return f"http://127.0.0.1:{free_port()}/o"


def alice_provider(alice) -> IdentityProvider | None:
    with scopes_disabled():
        return IdentityProvider.objects.filter(partner=alice.partner).first()


@pytest.fixture
def admin_client(client, alice):
    client.force_login(alice.admin)
    return client


# --- the page ---------------------------------------------------------------------------


def test_empty_state_explains_sso_and_the_redirect_uri(admin_client, alice):
    response = admin_client.get(PAGE)

    assert response.status_code == 200
    body = text(response)
    assert "No company sign-in yet" in body
    assert "http://testserver/accounts/oidc/alice/login/callback/" in body
    assert "Nobody has signed in with the company account yet." in body
    # the set-up form is on the page, and sets the first sign-in up
    assert f'action="{ADD}"' in body


def test_partner_admin_sets_up_the_company_sign_in(admin_client, alice, oidc_provider):
    response = admin_client.post(ADD, setup_data(oidc_provider.issuer))

    assert response.status_code == 302, text(response)
    assert response["Location"] == provider_page("alice")
    provider = alice_provider(alice)
    assert provider is not None
    # the slug is the partner's, not the admin's choice
    assert (provider.slug, provider.name, provider.default_role) == ("alice", "Alice Okta", "sales")
    assert provider.role_map == {"alice-admins": "admin", "alice-marketing": "marketer"}
    assert provider.is_active
    app = SocialApp.objects.get(provider_id="alice")
    assert (app.client_id, app.secret) == ("alice-portal", "first-secret")
    assert app.settings["server_url"] == oidc_provider.issuer
    with scopes_disabled():
        domain = IdentityProviderDomain.objects.get(provider=provider)
        trail = list(PartnerAuditEntry.objects.filter(partner=alice.partner, field="sso"))
    # claimed by a partner admin: pending, and so not yet a way in
    assert (domain.domain, domain.is_approved, domain.requested_by) == (
        "alice-corp.example",
        False,
        alice.admin,
    )
    assert sso.provider_for_email(email="pat@alice-corp.example") is None
    assert {entry.actor for entry in trail} == {alice.admin}
    assert any("alice-corp.example" in entry.new_value for entry in trail)

    page = text(admin_client.get(provider_page()))
    assert "Pending approval" in page
    assert "first-secret" not in page  # the secret is never shown back
    assert 'value="alice-admins"' in page
    overview = text(admin_client.get(PAGE))
    assert "Alice Okta" in overview and "alice-corp.example" in overview
    assert "Pending approval" in overview


def test_editing_keeps_the_secret_and_changes_the_role_rows(admin_client, alice, oidc_provider):
    admin_client.post(ADD, setup_data(oidc_provider.issuer))

    response = admin_client.post(
        provider_page(),
        setup_data(
            oidc_provider.issuer + "/",  # a trailing slash is the same issuer
            name="Alice SSO",
            secret="",
            **{
                "roles-TOTAL_FORMS": "3",
                "roles-0-value": "alice-admins",
                "roles-0-role": "admin",
                "roles-1-value": "",
                "roles-1-role": "",
                "roles-2-value": "alice-sales",
                "roles-2-role": "sales",
            },
        ),
    )

    assert response.status_code == 302, text(response)
    provider = alice_provider(alice)
    assert provider.name == "Alice SSO"
    assert provider.role_map == {"alice-admins": "admin", "alice-sales": "sales"}
    assert SocialApp.objects.get(provider_id="alice").secret == "first-secret"
    with scopes_disabled():
        changes = [
            (entry.old_value, entry.new_value)
            for entry in PartnerAuditEntry.objects.filter(partner=alice.partner, field="sso")
        ]
    assert ("name: Alice Okta", "name: Alice SSO") in changes


def test_bad_input_answers_field_errors_and_saves_nothing(admin_client, alice, oidc_provider):
    response = admin_client.post(
        ADD,
        setup_data(
            oidc_provider.issuer,
            name="",
            secret="",
            **{"roles-0-role": "", "roles-1-value": "alice-admins"},
        ),
    )

    assert response.status_code == 400
    body = text(response)
    assert 'id="id_name_error"' in body
    assert 'id="id_secret_error"' in body
    assert "Choose the role this value gives." in body
    assert "This value is mapped twice." in body
    assert alice_provider(alice) is None
    assert not SocialApp.objects.filter(provider_id="alice").exists()


def test_an_issuer_that_does_not_answer_is_a_field_error(admin_client, alice):
    url = nothing_answers()

    response = admin_client.post(ADD, setup_data(url))

    assert response.status_code == 400
    body = text(response)
    assert 'id="id_server_url_error"' in body
    assert f"{url} does not answer as an OpenID Connect issuer" in body
    assert alice_provider(alice) is None


def test_every_refusal_is_shown_at_once(admin_client, alice):
    url = nothing_answers()

    response = admin_client.post(ADD, setup_data(url, domains="gmail.com"))

    body = text(response)
    assert f"{url} does not answer" in body
    assert "gmail.com is a public mail service" in body
    assert alice_provider(alice) is None


def test_public_mail_and_another_partners_domains_are_refused(
    admin_client, alice, bob, oidc_provider
):
    with scopes_disabled():
        bobs = IdentityProvider.objects.create(partner=bob.partner, name="Bob IdP", slug="bob")
        IdentityProviderDomain.objects.create(provider=bobs, domain="bob-corp.example")

    response = admin_client.post(ADD, setup_data(oidc_provider.issuer, domains="gmail.com"))
    assert response.status_code == 400
    assert "gmail.com is a public mail service" in text(response)
    assert alice_provider(alice) is None

    admin_client.post(ADD, setup_data(oidc_provider.issuer, domains=""))
    for domain, says in (
        ("outlook.com", "outlook.com is a public mail service"),
        ("Bob-Corp.example", "bob-corp.example already belongs to another company."),
        ("not a domain", "Enter a domain such as example.com."),
    ):
        response = admin_client.post(domain_add(), {"domain": domain})
        assert response.status_code == 400
        body = text(response)
        assert says in body
        assert "Bob Corp" not in body  # the other company is not named
    with scopes_disabled():
        assert not IdentityProviderDomain.objects.filter(provider__partner=alice.partner).exists()


def test_domains_are_added_and_removed_with_a_confirmation(admin_client, alice, oidc_provider):
    admin_client.post(ADD, setup_data(oidc_provider.issuer, domains=""))

    response = admin_client.post(domain_add(), {"domain": "alice-labs.example"})
    assert response.status_code == 302
    remove = reverse("portal:company_sign_in_domain_remove", args=["alice", "alice-labs.example"])
    confirm = admin_client.get(remove)
    assert "Remove the domain alice-labs.example?" in text(confirm)
    assert admin_client.post(remove).status_code == 302
    with scopes_disabled():
        assert not IdentityProviderDomain.objects.filter(domain="alice-labs.example").exists()


def test_switching_off_and_deleting_ask_first(admin_client, alice, oidc_provider):
    admin_client.post(ADD, setup_data(oidc_provider.issuer))
    off = reverse("portal:company_sign_in_deactivate", args=["alice"])
    delete = reverse("portal:company_sign_in_delete", args=["alice"])

    assert "Switch off the company sign-in" in text(admin_client.get(off))
    assert alice_provider(alice).is_active  # a GET only asks
    admin_client.post(off)
    assert not alice_provider(alice).is_active
    admin_client.post(reverse("portal:company_sign_in_activate", args=["alice"]))
    assert alice_provider(alice).is_active

    assert "Delete the company sign-in" in text(admin_client.get(delete))
    admin_client.post(delete)
    assert alice_provider(alice) is None
    assert not SocialApp.objects.filter(provider_id="alice").exists()


def test_a_german_reading_admin_writes_the_audit_trail_in_the_staffs_english(
    client, alice, oidc_provider
):
    # given: a company that reads German, so its admin's portal is German
    german, _created = Language.objects.get_or_create(code="de", defaults={"name": "German"})
    set_languages_in_order(alice.partner.languages, [german])
    admin_client = client
    admin_client.force_login(alice.admin)
    admin_client.post(ADD, setup_data(oidc_provider.issuer))

    # when: the admin claims a domain, changes the default role and switches it off
    refused = admin_client.post(domain_add(), {"domain": "not a domain"})
    added = admin_client.post(domain_add(), {"domain": "alice-labs.example"}, follow=True)
    admin_client.post(
        provider_page(), setup_data(oidc_provider.issuer, default_role="marketer", secret="")
    )
    off = admin_client.post(
        reverse("portal:company_sign_in_deactivate", args=["alice"]), follow=True
    )

    # then: what the admin reads is German, errors and confirmations alike
    assert "Geben Sie eine Domain wie example.com ein." in text(refused)
    assert "alice-labs.example wurde hinzugefügt" in text(added)
    assert "Die Firmenanmeldung „Alice Okta“ ist ausgeschaltet." in text(off)
    # and the audit trail staff read in the admin is English
    with scopes_disabled():
        trail = [
            (entry.old_value, entry.new_value)
            for entry in PartnerAuditEntry.objects.filter(partner=alice.partner, field="sso")
        ]
    assert sorted(trail) == sorted(
        [
            ("", "company sign-in: set up"),
            ("", "client ID: alice-portal"),
            ("", f"issuer URL: {oidc_provider.issuer}"),
            ("", "email domain: alice-corp.example (pending staff approval)"),
            ("", "email domain: alice-labs.example (pending staff approval)"),
            ("default role: Sales rep", "default role: Marketer"),
            ("active: on", "active: off"),
        ]
    )


def test_only_partner_admins_and_only_their_own(client, alice, bob, oidc_provider):
    with scopes_disabled():
        bobs = IdentityProvider.objects.create(partner=bob.partner, name="Bob IdP", slug="bob")
        IdentityProviderDomain.objects.create(provider=bobs, domain="bob-corp.example")
    for user in (alice.marketer, alice.sales):
        client.force_login(user)
        assert client.get(PAGE).status_code == 403
        assert client.post(ADD, setup_data(oidc_provider.issuer)).status_code == 403
        assert "Company sign-in" not in text(client.get(reverse("portal:team")))
    client.force_login(alice.admin)
    page = text(client.get(PAGE))
    assert "Bob IdP" not in page and "bob-corp.example" not in page
    # another partner's provider and domain are not found here
    other = reverse("portal:company_sign_in_domain_remove", args=["bob", "bob-corp.example"])
    assert client.get(other).status_code == 404
    assert client.post(other).status_code == 404
    assert client.get(provider_page("bob")).status_code == 404
    assert client.post(provider_page("bob"), setup_data(oidc_provider.issuer)).status_code == 404
    assert "Company sign-in" in text(client.get(reverse("portal:team")))


def test_recent_sign_ins_are_the_companys_own_and_paginated(admin_client, alice, bob):
    with scopes_disabled():
        for number in range(23):
            SignInRecord.objects.create(
                provider_slug="alice",
                partner=alice.partner,
                email=f"person{number}@alice.example",
                event=SignInRecord.Event.SIGNED_IN,
            )
        SignInRecord.objects.create(
            provider_slug="bob",
            partner=bob.partner,
            email="spy@bob.example",
            event=SignInRecord.Event.SIGNED_IN,
        )

    first = text(admin_client.get(PAGE))
    second = text(admin_client.get(PAGE + "?page=2"))

    assert "person22@alice.example" in first and "person2@alice.example" not in first
    assert "person2@alice.example" in second and "Page 2 of 2" in second
    assert "spy@bob.example" not in first + second


# --- several sign-ins of one company --------------------------------------------------------


def alice_two_providers(alice, staff):
    """Alice's company as staff may set it up: Okta (OpenID Connect) with an approved
    and a pending domain, Entra ID (SAML 2.0, switched off) with none yet."""
    with scopes_disabled():
        okta = IdentityProvider.objects.create(
            partner=alice.partner, name="Alice Okta", slug="alice", default_role="sales"
        )
        entra = IdentityProvider.objects.create(
            partner=alice.partner,
            name="Alice Entra",
            slug="alice-entra",
            protocol=IdentityProvider.Protocol.SAML,
            default_role="sales",
            is_active=False,
        )
    sso_setup.identity_provider_domain_add(provider=okta, domain="alice-corp.example", actor=staff)
    sso_setup.identity_provider_domain_add(
        provider=okta, domain="alice-labs.example", actor=alice.admin
    )
    return okta, entra


def test_every_provider_of_the_company_is_listed_and_opens(admin_client, alice, bob, staff_users):
    okta, entra = alice_two_providers(alice, staff_users["marketing_admin"])
    with scopes_disabled():
        IdentityProvider.objects.create(partner=bob.partner, name="Bob IdP", slug="bob")

    overview = text(admin_client.get(PAGE))

    for provider in (okta, entra):
        assert f'href="{provider_page(provider.slug)}"' in overview
    assert "Bob IdP" not in overview
    # one item per provider (by name: Entra, then Okta), up to the list's end
    listed = overview.split("</section>")[0].split('data-provider="')[1:]
    items = {chunk.split('"', 1)[0]: chunk for chunk in listed}
    assert list(items) == ["alice-entra", "alice"]
    okta_item, entra_item = items["alice"], items["alice-entra"]
    assert "OpenID Connect" in okta_item and ">On<" in okta_item
    assert "alice-corp.example" in okta_item and "Approved" in okta_item
    assert "alice-labs.example" in okta_item and "Pending approval" in okta_item
    assert "SAML 2.0" in entra_item and ">Off<" in entra_item
    assert "No domain yet: nobody signs in through it." in entra_item
    assert "Add another company sign-in" in overview

    entra_page = admin_client.get(provider_page("alice-entra"))
    assert entra_page.status_code == 200
    body = text(entra_page)
    assert "<h1>Alice Entra</h1>" in body
    assert 'value="Alice Entra"' in body  # its own settings, to change
    assert "http://testserver/accounts/saml/alice-entra/acs/" in body


def test_a_provider_staff_add_in_the_admin_shows_up_for_the_partner_admin(
    client, alice, staff_users, oidc_provider
):
    client.force_login(alice.admin)
    client.post(ADD, setup_data(oidc_provider.issuer, domains=""))
    client.force_login(staff_users["marketing_admin"])
    response = client.post(
        reverse("admin:partners_identityprovider_add"),
        admin_form(
            alice.partner, oidc_provider.issuer, **{"domains-0-domain": "alice-new.example"}
        ),
    )
    assert response.status_code == 302, text(response)

    client.force_login(alice.admin)
    overview = text(client.get(PAGE))

    assert "Alice Okta" in overview and "Alice Entra" in overview
    assert "alice-new.example" in overview
    assert client.get(provider_page("alice-entra")).status_code == 200


def test_a_partner_admin_adds_a_second_sign_in(admin_client, alice, staff_users, oidc_provider):
    alice_two_providers(alice, staff_users["marketing_admin"])
    assert "Add a company sign-in" in text(admin_client.get(ADD))

    # a domain of the company's other sign-in is named, with where to move it from
    refused = admin_client.post(
        ADD, setup_data(oidc_provider.issuer, name="Alice Google", domains="alice-corp.example")
    )
    assert refused.status_code == 400
    assert (
        "alice-corp.example already belongs to your company's sign-in “Alice Okta”; open it "
        "and move the domain from there."
    ) in html.unescape(text(refused))

    response = admin_client.post(
        ADD, setup_data(oidc_provider.issuer, name="Alice Google", domains="alice-eu.example")
    )

    assert response.status_code == 302, text(response)
    # the slug is the partner's, made unique
    assert response["Location"] == provider_page("alice-2")
    with scopes_disabled():
        names = set(
            IdentityProvider.objects.filter(partner=alice.partner).values_list("name", flat=True)
        )
    assert names == {"Alice Okta", "Alice Entra", "Alice Google"}
    assert "Alice Google" in text(admin_client.get(PAGE))


def test_the_domain_decides_which_sign_in_an_address_uses(alice, staff_users):
    okta, entra = alice_two_providers(alice, staff_users["marketing_admin"])
    with scopes_disabled():
        entra.is_active = True
        entra.save()
    sso_setup.identity_provider_domain_add(
        provider=entra, domain="alice-eu.example", actor=staff_users["marketing_admin"]
    )

    assert sso.provider_for_email(email="pat@alice-corp.example") == okta
    assert sso.provider_for_email(email="pat@alice-eu.example") == entra
    assert sso.provider_for_email(email="pat@alice-labs.example") is None  # pending
    # and each signs in only the addresses of its own domains
    with pytest.raises(sso.SignInRefused) as refused:
        sso.sso_sign_in(
            provider_slug="alice-entra", claims={"sub": "1", "email": "pat@alice-corp.example"}
        )
    assert refused.value.reason == sso.DOMAIN_NOT_OWNED


def test_a_domain_moves_to_the_other_sign_in_with_its_approval(
    admin_client, alice, staff_users, mailoutbox
):
    okta, entra = alice_two_providers(alice, staff_users["marketing_admin"])
    with scopes_disabled():
        entra.is_active = True
        entra.save()
    move = reverse("portal:company_sign_in_domain_move", args=["alice", "alice-corp.example"])
    assert f'href="{move}"' in text(admin_client.get(provider_page("alice")))

    confirm = text(admin_client.get(move))
    assert "Move the domain alice-corp.example to another company sign-in?" in confirm
    assert '<option value="alice-entra">Alice Entra</option>' in confirm
    assert sso.provider_for_email(email="pat@alice-corp.example") == okta  # a GET only asks
    sent = len(mailoutbox)

    response = admin_client.post(move, {"provider": "alice-entra"})

    assert response.status_code == 302
    assert response["Location"] == provider_page("alice-entra")
    with scopes_disabled():
        domain = IdentityProviderDomain.objects.get(domain="alice-corp.example")
        entry = PartnerAuditEntry.objects.filter(partner=alice.partner, field="sso").first()
    assert domain.provider == entra and domain.is_approved
    assert sso.provider_for_email(email="pat@alice-corp.example") == entra
    assert (entry.old_value, entry.new_value, entry.actor) == (
        "email domain: alice-corp.example (Alice Okta)",
        "email domain: alice-corp.example (Alice Entra)",
        alice.admin,
    )
    assert len(mailoutbox) == sent  # staff are not asked again

    # a pending domain moves pending
    pending = reverse("portal:company_sign_in_domain_move", args=["alice", "alice-labs.example"])
    admin_client.post(pending, {"provider": "alice-entra"})
    with scopes_disabled():
        moved = IdentityProviderDomain.objects.get(domain="alice-labs.example")
    assert moved.provider == entra and not moved.is_approved


def test_a_domain_never_moves_to_another_company(admin_client, alice, bob, staff_users):
    okta, _entra = alice_two_providers(alice, staff_users["marketing_admin"])
    with scopes_disabled():
        bobs = IdentityProvider.objects.create(partner=bob.partner, name="Bob IdP", slug="bob")
        domain = IdentityProviderDomain.objects.get(domain="alice-corp.example")
    move = reverse("portal:company_sign_in_domain_move", args=["alice", "alice-corp.example"])

    response = admin_client.post(move, {"provider": "bob"})

    assert response.status_code == 400
    assert 'id="id_provider_error"' in text(response)
    with pytest.raises(ValidationError) as refused:
        sso_setup.identity_provider_domain_move(domain=domain, provider=bobs, actor=alice.admin)
    assert "provider" in refused.value.message_dict
    with scopes_disabled():
        assert IdentityProviderDomain.objects.get(domain="alice-corp.example").provider == okta


def test_with_one_sign_in_there_is_nowhere_to_move_a_domain(admin_client, alice, oidc_provider):
    admin_client.post(ADD, setup_data(oidc_provider.issuer))
    move = reverse("portal:company_sign_in_domain_move", args=["alice", "alice-corp.example"])

    assert f'href="{move}"' not in text(admin_client.get(provider_page()))
    assert admin_client.get(move).status_code == 404


# --- the issuer check ----------------------------------------------------------------------


def test_issuer_check_accepts_the_real_provider(oidc_provider):
    sso_setup.oidc_issuer_check(server_url=oidc_provider.issuer)
    sso_setup.oidc_issuer_check(server_url=oidc_provider.issuer + "/")


def test_issuer_check_refuses_a_document_naming_another_issuer(oidc_provider):
    # The test provider sends this address on to its own discovery document, which
    # names its real issuer: a URL that is not the issuer.
    url = f"{oidc_provider.url}/another-issuer"
    with pytest.raises(ValidationError) as refused:
        sso_setup.oidc_issuer_check(server_url=url)
    message = refused.value.message_dict["server_url"][0]
    assert f"{url} names another issuer ({oidc_provider.issuer})" in message


def test_issuer_check_refuses_an_address_that_does_not_answer():
    url = nothing_answers()
    with pytest.raises(ValidationError) as refused:
        sso_setup.oidc_issuer_check(server_url=url)
    assert f"{url} does not answer" in refused.value.message_dict["server_url"][0]


# --- staff: the admin -----------------------------------------------------------------------


def admin_form(partner, issuer: str, **overrides) -> dict[str, str]:
    data = {
        "name": "Alice Entra",
        "slug": "alice-entra",
        "partner": str(partner.pk),
        "protocol": "oidc",
        "is_active": "on",
        "server_url": issuer,
        "client_id": "client-1",
        "secret": "s3cret",
        "role_claim": "roles",
        "role_map": "{}",
        "default_role": "sales",
        "domains-TOTAL_FORMS": "1",
        "domains-INITIAL_FORMS": "0",
        "domains-MIN_NUM_FORMS": "0",
        "domains-MAX_NUM_FORMS": "1000",
        "domains-0-domain": "",
    }
    data.update(overrides)
    return data


def discovery_fetches(fetches: list[str], issuer: str) -> int:
    return fetches.count(f"{issuer.rstrip('/')}/.well-known/openid-configuration")


def test_one_admin_save_fetches_the_issuer_once(client, alice, staff_users, oidc_provider, fetches):
    client.force_login(staff_users["marketing_admin"])

    response = client.post(
        reverse("admin:partners_identityprovider_add"),
        admin_form(alice.partner, oidc_provider.issuer),
    )

    assert response.status_code == 302, text(response)
    assert discovery_fetches(fetches, oidc_provider.issuer) == 1
    with scopes_disabled():
        provider = IdentityProvider.objects.get(slug="alice-entra")
    assert provider.app.settings["server_url"] == oidc_provider.issuer

    # a change, the issuer given again: checked again, once
    fetches.clear()
    change = reverse("admin:partners_identityprovider_change", args=[provider.pk])
    response = client.post(
        change,
        admin_form(alice.partner, oidc_provider.issuer, name="Alice Entra ID", secret=""),
    )
    assert response.status_code == 302, text(response)
    assert discovery_fetches(fetches, oidc_provider.issuer) == 1
    provider.refresh_from_db()
    assert provider.name == "Alice Entra ID"


def test_an_admin_save_refused_on_its_domain_fetches_the_issuer_once(
    client, alice, staff_users, oidc_provider, fetches
):
    # The issuer is sound, the domain is not: the form shows the domain's error, having
    # fetched the issuer once, and saves nothing.
    client.force_login(staff_users["marketing_admin"])

    response = client.post(
        reverse("admin:partners_identityprovider_add"),
        admin_form(alice.partner, oidc_provider.issuer, **{"domains-0-domain": "gmail.com"}),
    )

    assert response.status_code == 200
    assert "gmail.com is a public mail service" in text(response)
    assert discovery_fetches(fetches, oidc_provider.issuer) == 1
    with scopes_disabled():
        assert not IdentityProvider.objects.exists()


def test_the_portals_save_fetches_the_issuer_once(admin_client, alice, oidc_provider, fetches):
    response = admin_client.post(ADD, setup_data(oidc_provider.issuer))

    assert response.status_code == 302, text(response)
    assert discovery_fetches(fetches, oidc_provider.issuer) == 1


def test_a_check_made_of_other_input_is_not_trusted(alice, staff_users, oidc_provider, fetches):
    # The save uses a check only for the input it was made of: handed another one's,
    # it checks (and fetches) itself, and refuses what is wrong.
    staff = staff_users["marketing_admin"]
    sound = IdentityProvider(partner=alice.partner, name="Alice Entra", slug="alice-entra")
    checked = sso_setup.identity_provider_setup_check(
        provider=sound,
        actor=staff,
        client_id="client-1",
        secret="s3cret",
        server_url=oidc_provider.issuer,
    )
    url = nothing_answers()

    with pytest.raises(ValidationError) as refused:
        sso_setup.identity_provider_save(
            provider=sound,
            actor=staff,
            client_id="client-1",
            secret="s3cret",
            server_url=url,
            checked=checked,
        )

    assert f"{url} does not answer" in refused.value.message_dict["server_url"][0]
    assert discovery_fetches(fetches, url) == 1
    with scopes_disabled():
        assert not IdentityProvider.objects.exists()


def test_admin_approves_a_pending_domain_and_the_partners_admins_are_emailed(
    client, alice, staff_users, oidc_provider, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(alice.admin)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(ADD, setup_data(oidc_provider.issuer))
    # staff heard of the request: the marketing admins and the channel manager
    request_mail = mailoutbox[-1]
    assert "Alice Corp asks to own email domains" in request_mail.subject
    assert set(request_mail.to) == {
        staff_users["marketing_admin"].email,
        staff_users["channel_manager"].email,
    }
    assert "alice-corp.example" in request_mail.body
    maya = staff_users["marketing_admin"]
    client.force_login(maya)
    changelist = reverse("admin:partners_identityproviderdomain_changelist")
    listed = text(client.get(changelist + "?approval=pending"))
    assert "alice-corp.example" in listed
    with scopes_disabled():
        domain = IdentityProviderDomain.objects.get(domain="alice-corp.example")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            changelist, {"action": "approve", "_selected_action": [domain.pk]}, follow=True
        )

    assert "1 domains approved." in text(response)
    domain.refresh_from_db()
    assert domain.approved_by == maya and domain.approved_at is not None
    assert sso.provider_for_email(email="pat@alice-corp.example").slug == "alice"
    decision = mailoutbox[-1]
    assert decision.to == [alice.admin.email]
    assert "alice-corp.example (approved)" in decision.body
    assert "alice-corp.example" not in text(client.get(changelist + "?approval=pending"))


def test_admin_rejects_a_pending_domain_which_frees_it(
    client, alice, bob, staff_users, oidc_provider
):
    with scopes_disabled():
        provider = IdentityProvider.objects.create(partner=alice.partner, name="A", slug="alice")
    sso_setup.identity_provider_domain_add(
        provider=provider, domain="bob-corp.example", actor=alice.admin
    )
    client.force_login(staff_users["marketing_admin"])
    with scopes_disabled():
        domain = IdentityProviderDomain.objects.get(domain="bob-corp.example")

    client.post(
        reverse("admin:partners_identityproviderdomain_changelist"),
        {"action": "reject", "_selected_action": [domain.pk]},
    )

    with scopes_disabled():
        assert not IdentityProviderDomain.objects.filter(domain="bob-corp.example").exists()
        entry = PartnerAuditEntry.objects.filter(partner=alice.partner, field="sso").first()
    assert entry.new_value == "email domain: bob-corp.example (rejected)"
    assert entry.actor == staff_users["marketing_admin"]


def test_staff_adding_a_domain_in_the_admin_approves_it(client, alice, staff_users, oidc_provider):
    client.force_login(staff_users["marketing_admin"])
    response = client.post(
        reverse("admin:partners_identityprovider_add"),
        {
            "name": "Alice Entra",
            "slug": "alice-entra",
            "partner": alice.partner.pk,
            "protocol": "oidc",
            "is_active": "on",
            "server_url": oidc_provider.issuer,
            "client_id": "client-1",
            "secret": "s3cret",
            "role_claim": "roles",
            "role_map": "{}",
            "default_role": "sales",
            "domains-TOTAL_FORMS": "1",
            "domains-INITIAL_FORMS": "0",
            "domains-MIN_NUM_FORMS": "0",
            "domains-MAX_NUM_FORMS": "1000",
            "domains-0-domain": "alice-corp.example",
        },
    )

    assert response.status_code == 302, text(response)
    with scopes_disabled():
        domain = IdentityProviderDomain.objects.get(domain="alice-corp.example")
        entry = PartnerAuditEntry.objects.filter(partner=alice.partner, field="sso").last()
    assert domain.is_approved and domain.approved_by == staff_users["marketing_admin"]
    assert entry.actor == staff_users["marketing_admin"]


def test_admin_refuses_an_issuer_that_does_not_answer(client, alice, staff_users):
    client.force_login(staff_users["marketing_admin"])
    url = nothing_answers()
    response = client.post(
        reverse("admin:partners_identityprovider_add"),
        {
            "name": "Alice Entra",
            "slug": "alice-entra",
            "partner": alice.partner.pk,
            "protocol": "oidc",
            "server_url": url,
            "client_id": "client-1",
            "secret": "s3cret",
            "role_claim": "roles",
            "role_map": "{}",
            "default_role": "sales",
            "domains-TOTAL_FORMS": "0",
            "domains-INITIAL_FORMS": "0",
            "domains-MIN_NUM_FORMS": "0",
            "domains-MAX_NUM_FORMS": "1000",
        },
    )

    assert response.status_code == 200
    assert f"{url} does not answer as an OpenID Connect issuer" in text(response)
    with scopes_disabled():
        assert not IdentityProvider.objects.filter(slug="alice-entra").exists()


# --- end to end: set up in the portal, approved by staff, a colleague signs in ----------------


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_set_up_in_the_portal_then_approved_then_a_colleague_signs_in(
    live_server, oidc_provider, alice, staff_users
):
    base = live_server.url
    callback = f"{base}/accounts/oidc/alice/login/callback/"
    client_id, secret = oidc_provider.put_client("alice-portal-e2e", redirect_uri=callback)
    oidc_provider.put_user(
        "pia", email="pia@alice-corp.example", groups=("alice-marketing",), first_name="Pia"
    )
    # the partner admin signs in with the password and sets the company sign-in up
    admin = Browser()
    admin.get(f"{base}/portal/login/")
    admin.submit(
        admin.form(action_contains="/portal/login/", button="Log in"),
        username=alice.admin.username,
        password=PASSWORD,
    )
    admin.get(f"{base}{PAGE}")
    assert callback in admin.text
    values = setup_data(oidc_provider.issuer, client_id=client_id, secret=secret)
    values.update({"roles-0-value": "alice-marketing", "roles-0-role": "marketer"})
    values.update({"roles-1-value": "", "roles-1-role": ""})
    admin.submit(admin.form(action_contains=ADD), **values)
    assert admin.response.url == f"{base}{provider_page()}", admin.text[:2000]
    assert "Pending approval" in admin.text

    # pending: the colleague's address finds no company sign-in
    colleague = Browser()
    colleague.get(f"{base}/portal/login/")
    colleague.submit(
        colleague.form(action_contains="/portal/login/sso/"), email="pia@alice-corp.example"
    )
    assert "No company sign-in for this address" in colleague.text

    # staff approve the domain
    with scopes_disabled():
        domain = IdentityProviderDomain.objects.get(domain="alice-corp.example")
    sso_setup.identity_provider_domains_decide(
        domains=[domain], approve=True, actor=staff_users["marketing_admin"]
    )

    # now the colleague signs in through the company's provider
    colleague.get(f"{base}/portal/login/")
    colleague.submit(
        colleague.form(action_contains="/portal/login/sso/"), email="pia@alice-corp.example"
    )
    colleague.submit(colleague.form(action_contains="/accounts/oidc/alice/login/"))
    assert colleague.url.startswith(f"{oidc_provider.url}/login/"), colleague.url
    colleague.submit(
        colleague.form(button="Sign in"), username="pia", password="idp-password-of-every-test-user"
    )
    assert colleague.response.status_code == 200, colleague.text[:2000]
    assert colleague.url == f"{base}/portal/", colleague.url
    user = get_user_model().objects.get(email="pia@alice-corp.example")
    with scopes_disabled():
        membership = Membership.objects.get(user=user)
    assert (membership.partner, membership.role) == (alice.partner, "marketer")

    # and the partner admin reads it among the company's recent sign-ins
    admin.get(f"{base}{PAGE}")
    assert "pia@alice-corp.example" in admin.text


# --- SAML 2.0 from the portal --------------------------------------------------------------


def saml_setup_data(**overrides) -> dict[str, str]:
    data = setup_data("", protocol="saml", client_id="", secret="", name="Alice Entra")
    data.update(overrides)
    return data


def test_partner_admin_sets_up_saml_from_the_idps_metadata(admin_client, alice, saml_idp):
    empty = text(admin_client.get(PAGE))
    # what the company's IT registers at a SAML IdP, before anything is set up
    assert "http://testserver/accounts/saml/alice/acs/" in empty

    response = admin_client.post(ADD, saml_setup_data(metadata_url=saml_idp.metadata_url))

    assert response.status_code == 302, text(response)
    provider = alice_provider(alice)
    assert (provider.slug, provider.protocol) == ("alice", IdentityProvider.Protocol.SAML)
    app = SocialApp.objects.get(provider_id="alice")
    assert app.provider == "saml"
    assert app.settings["idp"]["entity_id"] == saml_idp.entity_id
    page = text(admin_client.get(provider_page()))
    assert "http://testserver/accounts/saml/alice/acs/" in page
    assert f'value="{saml_idp.metadata_url}"' in page


def test_saml_metadata_that_is_not_metadata_is_a_field_error(admin_client, alice):
    response = admin_client.post(
        ADD, saml_setup_data(metadata_xml="<EntityDescriptor>not quite</EntityDescriptor>")
    )

    assert response.status_code == 400
    body = text(response)
    assert 'id="id_metadata_xml_error"' in body
    assert alice_provider(alice) is None
    assert not SocialApp.objects.filter(provider_id="alice").exists()


def test_saml_without_metadata_says_what_to_give(admin_client, alice):
    response = admin_client.post(ADD, saml_setup_data())

    assert response.status_code == 400
    assert 'id="id_metadata_xml_error"' in text(response)
    assert alice_provider(alice) is None


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_saml_set_up_in_the_portal_then_approved_then_a_colleague_signs_in(
    live_server, saml_idp, alice, staff_users
):
    base = live_server.url
    saml_idp.put_user("sam", email="sam@alice-corp.example", groups=("alice-marketing",))
    admin = Browser()
    admin.get(f"{base}/portal/login/")
    admin.submit(
        admin.form(action_contains="/portal/login/", button="Log in"),
        username=alice.admin.username,
        password=PASSWORD,
    )
    values = saml_setup_data(metadata_url=saml_idp.metadata_url)
    values.update({"roles-0-value": "alice-marketing", "roles-0-role": "marketer"})
    values.update({"roles-1-value": "", "roles-1-role": ""})
    admin.get(f"{base}{PAGE}")
    admin.submit(admin.form(action_contains=ADD), **values)
    assert admin.response.url == f"{base}{provider_page()}", admin.text[:2000]
    # the company's IT registers our service provider at their IdP
    saml_idp.register_sp(f"{base}/accounts/saml/alice/metadata/")
    with scopes_disabled():
        domain = IdentityProviderDomain.objects.get(domain="alice-corp.example")
    sso_setup.identity_provider_domains_decide(
        domains=[domain], approve=True, actor=staff_users["marketing_admin"]
    )

    colleague = Browser()
    colleague.get(f"{base}/portal/login/")
    colleague.submit(
        colleague.form(action_contains="/portal/login/sso/"), email="sam@alice-corp.example"
    )
    colleague.submit(colleague.form(action_contains="/accounts/saml/alice/login/"))
    assert colleague.url.startswith(f"{saml_idp.url}/sso?"), colleague.url
    colleague.submit(colleague.form(button="Sign in"), username="sam", password=SAML_PASSWORD)
    colleague.submit(colleague.form(button="Continue"))

    assert colleague.url == f"{base}/portal/", colleague.text[:2000]
    user = get_user_model().objects.get(email="sam@alice-corp.example")
    with scopes_disabled():
        membership = Membership.objects.get(user=user)
    assert (membership.partner, membership.role) == (alice.partner, "marketer")


# --- addresses our server fetches for a partner ----------------------------------------------


@pytest.mark.parametrize(
    "address, says",
    [
        ("http://127.0.0.1:{port}/o", "is not a public https address"),
        ("https://localhost:{port}/o", "is not a public https address"),
        ("https://169.254.169.254/latest", "is not a public https address"),
        ("https://10.1.2.3/o", "is not a public https address"),
        ("https://idp.invalid/o", "idp.invalid is not a known host name"),
    ],
)
def test_a_partner_admin_cannot_point_our_server_at_a_private_address(
    admin_client, alice, settings, oidc_provider, address, says
):
    settings.SSO_PARTNER_PRIVATE_ADDRESSES = False
    url = address.format(port=free_port())

    oidc = admin_client.post(ADD, setup_data(url))
    saml = admin_client.post(ADD, saml_setup_data(metadata_url=url))

    assert oidc.status_code == saml.status_code == 400
    assert 'id="id_server_url_error"' in text(oidc) and says in text(oidc)
    assert 'id="id_metadata_url_error"' in text(saml) and says in text(saml)
    assert alice_provider(alice) is None


def test_staff_may_use_a_provider_on_their_own_network(client, alice, staff_users, settings):
    # The vendor's staff run their own IdP on the intranet; only partners' addresses are
    # held to the public internet.
    settings.SSO_PARTNER_PRIVATE_ADDRESSES = False
    with scopes_disabled():
        provider = IdentityProvider(
            partner=alice.partner, name="Alice intranet", slug="alice-intranet"
        )
    with pytest.raises(ValidationError) as refused:
        sso_setup.identity_provider_save(
            provider=provider,
            actor=staff_users["marketing_admin"],
            client_id="x",
            secret="y",
            server_url=nothing_answers(),
        )
    # refused because nothing answers there, not because the address is private
    assert "does not answer as an OpenID Connect issuer" in str(refused.value)

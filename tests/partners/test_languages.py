"""Each person's language (issue 22): the rule (`partners.services.languages`), the
language switcher's view, amounts and figures per language, exports that stay
machine-readable, and API errors in the language the client asks for.

The German texts asserted here are the catalogue's (locale/de/LC_MESSAGES/django.po),
written out, so a missing or untranslated entry fails instead of falling back to
English unnoticed. The emails are in test_language_emails.py.
"""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django_scopes import scopes_disabled

from mdf.money import format_money, format_number
from partners.models import Language, LanguageChoice
from partners.services import user_language, user_language_choose
from tests.analytics.results_fixtures import event
from tests.conftest import key_client, make_user
from tests.deals.deal_factories import products_fixture, register_deal  # noqa: F401
from tests.mdf.conftest import approved_request

pytestmark = pytest.mark.django_db

LOGIN = reverse("portal:login")
DASHBOARD = reverse("portal:dashboard")
LANGUAGE = reverse("portal:language")
NBSP = "\u00a0"  # Babel's no-break space before the euro sign (de) and after it (pt-br)
NNBSP = "\u202f"  # the narrow no-break space French groups thousands with


def enter_languages(partner, codes: list[str]) -> None:
    """Staff enter the partner's languages one after the other, in this order."""
    for code in codes:
        partner.languages.add(Language.objects.get(code=code))


@pytest.fixture
def languages(db) -> None:
    # Created in code order, so the rows' own order (pk or name) is not the order
    # staff enter them in below: "pt" then "es" would read "es" by pk.
    for code, name in (
        ("de", "German"),
        ("es", "Spanish"),
        ("fr", "French"),
        ("it", "Italian"),
        ("pt", "Portuguese"),
    ):
        Language.objects.get_or_create(code=code, defaults={"name": name})


def text(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def html_lang(response) -> str:
    match = re.search(r'<html lang="([^"]+)"', text(response))
    assert match, text(response)[:300]
    return match.group(1)


# --- the rule -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entered", "reads"),
    [
        (["pt", "es"], "pt-br"),  # the first that ships, in the order entered
        (["es", "de"], "es"),  # not the first by name (German) nor by pk
        (["it", "de"], "de"),  # Italian does not ship: the next one
        (["it"], "en"),  # none ships
        ([], "en"),
    ],
)
def test_a_partner_user_reads_the_partners_first_shipped_language(alice, languages, entered, reads):
    enter_languages(alice.partner, entered)
    assert user_language(alice.marketer) == reads


def test_staff_and_anonymous_visitors_read_english(staff_users):
    from django.contrib.auth.models import AnonymousUser

    assert user_language(staff_users["channel_manager"]) == "en"
    assert user_language(AnonymousUser()) == "en"
    assert user_language(None) == "en"


def test_a_chosen_language_wins_over_the_partners(alice, languages):
    enter_languages(alice.partner, ["de"])
    assert user_language_choose(user=alice.admin, language="fr") == "fr"
    assert user_language(alice.admin) == "fr"
    assert user_language(alice.marketer) == "de"  # a colleague keeps the partner's


def test_a_chosen_language_we_no_longer_ship_falls_back_to_the_rule(alice, languages):
    enter_languages(alice.partner, ["it", "de"])
    LanguageChoice.objects.create(user=alice.admin, language="it")  # shipped once, say
    assert user_language(alice.admin) == "de"
    staff = make_user("sven_staff", staff=True)
    LanguageChoice.objects.create(user=staff, language="nl")
    assert user_language(staff) == "en"


def test_choosing_a_language_we_do_not_ship_is_refused_and_keeps_the_choice(alice):
    user_language_choose(user=alice.admin, language="de")
    with pytest.raises(ValueError, match="klingon is not a language of the portal"):
        user_language_choose(user=alice.admin, language="klingon")
    assert LanguageChoice.objects.get(user=alice.admin).language == "de"


# --- the switcher's view ----------------------------------------------------------------


def test_an_anonymous_choice_sets_the_cookie_and_the_login_page_reads_german(client, settings):
    response = client.post(LANGUAGE, {"language": "de", "next": LOGIN})

    assert response.status_code == 302
    assert response["Location"] == LOGIN
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "de"
    assert cookie["max-age"] == settings.LANGUAGE_COOKIE_AGE
    page = client.get(LOGIN)
    assert html_lang(page) == "de"
    body = text(page)
    assert "Im Partnerportal anmelden" in body  # "Log in to the partner portal"
    assert "Passwort vergessen?" in body
    assert "Forgot your password?" not in body
    assert LanguageChoice.objects.count() == 0  # nobody to record it for


def test_a_signed_in_choice_is_recorded_and_beats_the_browsers_language(client, alice):
    client.force_login(alice.admin)
    assert html_lang(client.get(DASHBOARD, HTTP_ACCEPT_LANGUAGE="fr")) == "en"  # the rule

    response = client.post(LANGUAGE, {"language": "de", "next": DASHBOARD})

    assert (response.status_code, response["Location"]) == (302, DASHBOARD)
    assert LanguageChoice.objects.get(user=alice.admin).language == "de"
    page = client.get(DASHBOARD, HTTP_ACCEPT_LANGUAGE="fr")
    assert html_lang(page) == "de"
    assert "Passwort ändern" in text(page)  # "Change password" in the user menu

    # Another browser: no cookie, no session of the choice, still German.
    elsewhere = Client()
    elsewhere.force_login(alice.admin)
    page = elsewhere.get(DASHBOARD, HTTP_ACCEPT_LANGUAGE="fr")
    assert html_lang(page) == "de"
    assert "Passwort ändern" in text(page)


def test_an_unknown_language_answers_a_clear_error_and_keeps_the_choice(client, alice):
    client.force_login(alice.admin)
    client.post(LANGUAGE, {"language": "de", "next": DASHBOARD})

    response = client.post(LANGUAGE, {"language": "klingon", "next": DASHBOARD}, follow=True)

    assert response.redirect_chain == [(DASHBOARD, 302)]
    assert html_lang(response) == "de"
    # The message, in the language the person reads.
    assert "klingon ist keine Sprache des Portals." in text(response)
    assert LanguageChoice.objects.get(user=alice.admin).language == "de"


def test_an_unknown_language_from_a_visitor_keeps_the_old_cookie(client, settings):
    client.post(LANGUAGE, {"language": "fr", "next": LOGIN})

    response = client.post(LANGUAGE, {"language": "xx", "next": LOGIN}, follow=True)

    assert response.redirect_chain == [(LOGIN, 302)]
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
    assert html_lang(response) == "fr"
    english = "xx is not a language of the portal."
    assert english not in text(response)  # said in French
    with translation.override("fr"):
        french = translation.gettext("%(language)s is not a language of the portal.") % {
            "language": "xx"
        }
    assert french != english
    assert french.replace("'", "&#x27;") in text(response)


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", ""])
def test_an_unsafe_or_missing_next_goes_to_the_dashboard(client, alice, target):
    client.force_login(alice.admin)
    response = client.post(LANGUAGE, {"language": "de", "next": target})
    assert (response.status_code, response["Location"]) == (302, DASHBOARD)


def test_choosing_a_language_is_a_post(client, alice):
    assert client.get(LANGUAGE).status_code == 405
    client.force_login(alice.admin)
    assert client.get(LANGUAGE, {"language": "de"}).status_code == 405
    assert not LanguageChoice.objects.filter(user=alice.admin).exists()


# --- amounts and figures ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "money", "number", "figure"),
    [
        ("en", "1,234.56 EUR", "1,234.5", "1,234,567"),
        ("de", f"1.234,56{NBSP}€", "1.234,5", "1.234.567"),
        ("fr", f"1{NNBSP}234,56{NBSP}€", f"1{NNBSP}234,5", f"1{NNBSP}234{NNBSP}567"),
        ("pt-br", f"€{NBSP}1.234,56", "1.234,5", "1.234.567"),
    ],
)
def test_amounts_and_figures_are_written_as_the_readers_language_writes_them(
    language, money, number, figure
):
    with translation.override(language):
        assert format_money(Decimal("1234.56"), "EUR") == money
        assert format_number(Decimal("1234.5"), 1) == number
        assert format_number(1234567) == figure


def test_money_keeps_two_decimals_in_every_language():
    for language in ("en", "de", "fr", "pt-br", "es"):
        with translation.override(language):
            assert re.search(r"[.,]00\b", format_money(Decimal("5"), "EUR")), language


def test_the_funds_overview_in_german_shows_german_amounts(
    client, alice, languages, funds, staff_users
):
    allocation, event_type = funds
    enter_languages(alice.partner, ["de"])
    approved_request(alice, allocation, event_type, staff_users, amount="2500.00")
    client.force_login(alice.sales)

    body = text(client.get(reverse("funds:overview")))

    assert html_lang_of(body) == "de"
    assert re.search(rf'data-figure="available">\s*7\.500,00{NBSP}€<', body)
    assert re.search(rf'data-figure="committed">\s*2\.500,00{NBSP}€<', body)
    assert "7,500.00 EUR" not in body


def html_lang_of(body: str) -> str:
    match = re.search(r'<html lang="([^"]+)"', body)
    return match.group(1) if match else ""


def test_a_csv_downloaded_in_german_keeps_plain_numbers_and_iso_dates(
    client, alice, languages, products
):
    enter_languages(alice.partner, ["de"])
    deal = register_deal(alice, amount=Decimal("1234.56"))
    client.force_login(alice.sales)

    response = client.get(reverse("deals:export"))

    assert response.status_code == 200
    header, row = csv.reader(io.StringIO(text(response)))
    values = dict(zip(header, row, strict=True))
    assert "Kundenunternehmen" in values  # headings are for people: German
    with scopes_disabled():
        deal.refresh_from_db()
    amounts = [value for value in row if "1234" in value]
    assert amounts == ["1234.56"]  # not "1.234,56" nor "1.234,56 €"
    assert deal.expected_close_date.isoformat() in row
    submitted = timezone.localtime(deal.submitted_at).isoformat(timespec="seconds")
    assert submitted in row
    assert not any(re.search(r"\d\.\d{3},\d", value) for value in row)


# --- API errors ------------------------------------------------------------------------------


RESULTS = "/api/v1/results/"


def post_results(client, events, **headers):
    return client.post(
        RESULTS, json.dumps({"events": events}), content_type="application/json", **headers
    )


def test_api_errors_answer_in_the_language_the_client_asks_for(alice, alice_key):
    client = key_client(alice_key)
    batch = [event("a"), event("b", kind="deal")]

    german = post_results(client, batch, HTTP_ACCEPT_LANGUAGE="de")
    english = post_results(client, batch)

    assert german.status_code == english.status_code == 400
    kinds = "lead, mql, opportunity, won, lost"
    [german_error] = german.json()["errors"]
    [english_error] = english.json()["errors"]
    assert german_error["detail"] == f"Verwenden Sie einen der Werte: {kinds}."
    assert english_error["detail"] == f"Use one of: {kinds}."
    # The codes and fields are for programs: the same in every language.
    assert (german_error["attr"], german_error["code"]) == ("events.1.kind", "invalid")
    assert (english_error["attr"], english_error["code"]) == ("events.1.kind", "invalid")


def test_an_unknown_field_is_named_in_german_too(alice_key):
    response = post_results(
        key_client(alice_key), [event("a", colour="red")], HTTP_ACCEPT_LANGUAGE="de"
    )
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["detail"].startswith("Unbekanntes Feld „colour“. Zulässige Felder: ")


def test_a_partner_users_language_does_not_change_the_apis(alice, alice_key, languages):
    # The key acts for alice, whose people read German; the client did not ask for it.
    enter_languages(alice.partner, ["de"])
    response = post_results(key_client(alice_key), [event("a", kind="deal")])
    assert response.json()["errors"][0]["detail"].startswith("Use one of:")


def test_languages_imported_from_a_csv_keep_the_files_order(client, staff_users, languages, tiers):
    # Staff enter a partner's languages in its import row: "pt es" reads Portuguese.
    from partners.models import Partner
    from partners.services import partner_language
    from tests.partners.test_partner_import import csv_file

    row = ["Foxtrot Ltda", "foxtrot", "active", "silver", "reseller", "", "pt es", "", "", ""]
    client.force_login(staff_users["marketing_admin"])
    page = client.post(
        reverse("admin:partners_partner_import"),
        {"format": "0", "import_file": csv_file([row]), "resource": "0"},
    ).content.decode()
    confirm = {
        name: re.search(rf'name="{name}"[^>]*value="([^"]*)"', page).group(1)
        for name in ("import_file_name", "original_file_name", "format", "resource")
    }
    assert client.post(reverse("admin:partners_partner_process_import"), confirm).status_code == 302

    assert partner_language(Partner.objects.get(slug="foxtrot")) == "pt-br"

"""The portal in each language: a partner who reads German, French, Spanish or
Brazilian Portuguese finds no English on its pages beyond names and data (issue 22).

On the seeded demo, Northwind's admin opens the main portal pages in each language.
Each page must say its language (`<html lang>`), and no visible text, nor a
placeholder, title, aria-label or alt text, may still be English:

- (a) a text equal to an English message of the catalogue whose translation differs
  (the string was left unmarked, or translated before the language was known);
- (b) an English function word ("the", "your", "cannot", …) in a text once the data
  the page shows is taken out: names, titles, descriptions, notes, companies, the
  library's and the kits' texts (data stays in the language it was written in).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.pofile import read_po
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from partners.models import LanguageChoice, Partner

pytestmark = pytest.mark.django_db

LANGUAGES = {"de": "de", "fr": "fr", "es": "es", "pt-br": "pt_BR"}  # code → locale folder

# fmt: off
FUNCTION_WORDS = [
    "the", "and", "your", "you", "with", "this", "that", "have", "are", "for", "from", "is",
    "of", "to", "be", "not", "yet", "which", "when", "here", "should", "cannot", "must",
    "each", "only", "than",
]
# fmt: on
# A function word that is also a word of the language itself ("se for o caso").
NATIVE_WORDS = {"pt-br": {"for"}}

ATTRIBUTES = ("placeholder", "title", "aria-label", "alt")
APPS_WITH_DATA = ("partners", "assets", "campaigns", "mdf", "deals", "analytics", "auth")
# Rows that are counts and traces, never text a page shows.
NOT_SHOWN = {"analytics.resultevent", "analytics.dailymetric", "analytics.visitorsalt"}

URLS = re.compile(r"\b(?:https?://|www\.)\S+|\S+@\S+\.\w+|\S+\.(?:com|local|org|net)\S*")


# --- what a page shows -------------------------------------------------------------------


class PageText(HTMLParser):
    """The visible texts of a page and its translatable attributes, and `<html lang>`."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.lang: str | None = None
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "html":
            self.lang = values.get("lang")
        if tag in ("script", "style"):
            self._hidden += 1
        for name in ATTRIBUTES:
            if values.get(name):
                self.texts.append(f"[{name}] {values[name]}")
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.texts.append(f"[value] {values['value']}")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in ("script", "style"):
            self._hidden -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if text and not self._hidden:
            self.texts.append(text)


def page_texts(html: str) -> tuple[str | None, list[str]]:
    parser = PageText()
    parser.feed(html)
    parser.close()
    return parser.lang, parser.texts


# --- what counts as English ---------------------------------------------------------------


def english_messages(folder: str) -> set[str]:
    """The catalogue's English messages whose translation in `folder` differs."""
    path = Path(settings.BASE_DIR) / "locale" / folder / "LC_MESSAGES" / "django.po"
    with path.open("rb") as handle:
        catalog = read_po(handle)
    result, translations = set(), set()
    for message in catalog:
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        translations.update(" ".join(string.split()) for string in strings)
        for msgid in ids:
            if "%" in msgid or "{" in msgid or not re.search(r"[A-Za-z]{2}", msgid):
                continue
            if msgid not in strings:
                result.add(" ".join(msgid.split()))
    # A word both languages share ("Actual" is Spanish for "Current") is not English.
    return result - translations


# Columns where the services write texts of their own beside people's words: a value
# there that is a message of the catalogue was written in the writer's language, and
# is English left on the page, not data (it must be worded when read).
SYSTEM_WRITTEN = {
    "mdf.ledgerentry.memo",
    "mdf.mdfevent.note",
    "deals.dealevent.detail",
    "deals.leadroutingentry.detail",
    "campaigns.planevent.detail",
}


def data_strings() -> tuple[set[str], set[str]]:
    """Every text value of the data the pages show (names, titles, notes, …), and those
    of the columns in SYSTEM_WRITTEN."""
    values: set[str] = set()
    system_written: set[str] = set()
    with scopes_disabled():
        for label in APPS_WITH_DATA:
            for model in apps.get_app_config(label).get_models():
                if model._meta.label_lower in NOT_SHOWN:
                    continue
                names = [
                    field.name
                    for field in model._meta.concrete_fields
                    if isinstance(field, models.CharField | models.TextField) and not field.choices
                ]
                for name in names:
                    for value in model._base_manager.values_list(name, flat=True).distinct():
                        if isinstance(value, str) and re.search(r"[^\W\d_]", value):
                            values.add(value)
                            if f"{model._meta.label_lower}.{name}" in SYSTEM_WRITTEN:
                                system_written.add(" ".join(value.split()))
    # A value shown line by line, or with its whitespace folded as a text node is.
    result = set()
    for value in values:
        result.add(" ".join(value.split()))
        result.update(" ".join(line.split()) for line in value.splitlines() if line.strip())
    result.discard("")
    return result, system_written


def english_left(
    texts: list[str],
    *,
    messages: set[str],
    data: set[str],
    wordy_data: list[str],
    shown: list[str],
    words: re.Pattern,
) -> Iterator[str]:
    """The texts still in English: a catalogue message, or a function word once the data
    strings (`shown`: those of `wordy_data` on the page) and addresses are taken out."""
    for entry in texts:
        text = re.sub(r"^\[[\w-]+\] ", "", entry)
        if text in data:
            continue
        if text in messages:
            yield f"{entry!r} (an English message of the catalogue)"
            continue
        bare = text.rstrip("….").strip()
        if bare != text and any(value.startswith(bare) for value in wordy_data):
            continue  # a long value, cut short
        rest = text
        for value in shown:
            if value in rest:
                rest = rest.replace(value, " ")
        rest = URLS.sub(" ", rest)
        found = words.findall(rest)
        if found:
            yield f"{entry!r} (English: {', '.join(sorted(set(found)))})"


# --- the pages ---------------------------------------------------------------------------


def first(queryset):
    obj = queryset.order_by("pk").first()
    assert obj is not None, f"the demo has no {queryset.model.__name__} for this test"
    return obj


def one_per_status(queryset) -> list:
    """One object of each status the demo has (any partner's), the oldest of each."""
    found: dict[str, object] = {}
    for obj in queryset.select_related("partner").order_by("pk"):
        found.setdefault(obj.status, obj)
    return list(found.values())


Page = tuple[str, str, str, Callable[[Client], object]]  # username, name, url, open


def company_sign_in_pages(partner: Partner, admin: str) -> list[tuple[str, str, str]]:
    """The pages of a company with two sign-ins (the demo sets none up): each one's page
    and what its buttons ask first."""
    from partners.models import IdentityProvider, IdentityProviderDomain

    with scopes_disabled():
        okta = IdentityProvider.objects.create(
            partner=partner, name="Northwind Okta", slug=f"{partner.slug}-okta"
        )
        IdentityProvider.objects.create(
            partner=partner,
            name="Northwind Entra ID",
            slug=f"{partner.slug}-entra",
            protocol=IdentityProvider.Protocol.SAML,
            is_active=False,
        )
        IdentityProviderDomain.objects.create(
            provider=okta, domain="northwind-sso.example", approved_at=timezone.now()
        )
        IdentityProviderDomain.objects.create(provider=okta, domain="northwind-labs.example")
    domain = [okta.slug, "northwind-sso.example"]
    return [
        (admin, "a company sign-in", reverse("portal:company_sign_in_provider", args=[okta.slug])),
        (
            admin,
            "a SAML company sign-in",
            reverse("portal:company_sign_in_provider", args=[f"{partner.slug}-entra"]),
        ),
        (admin, "move a domain", reverse("portal:company_sign_in_domain_move", args=domain)),
        (admin, "remove a domain", reverse("portal:company_sign_in_domain_remove", args=domain)),
        (admin, "switch off", reverse("portal:company_sign_in_deactivate", args=[okta.slug])),
        (admin, "delete", reverse("portal:company_sign_in_delete", args=[okta.slug])),
    ]


def portal_pages(partner: Partner) -> list[Page]:
    """The main portal pages with the demo's objects: Northwind's admin's, and one page
    per status of deals, leads, requests, claims, launches and plans (read by the
    admin of the partner that holds it), and forms posted with bad input."""
    from assets.selectors import assets_available
    from campaigns.models import BusinessReview, Launch, Plan
    from campaigns.selectors.kits import kits_available
    from deals.models import Deal, LeadOffer
    from mdf.models import Claim, FundRequest
    from partners.models import EnablementTrack, SurveyRound

    with scopes_disabled():
        asset = first(assets_available(partner=partner))
        kit = first(kits_available(partner=partner))
        review = BusinessReview.objects.filter(plan__partner=partner).order_by("pk").first()
        track = first(EnablementTrack.objects.all())
        survey = (
            SurveyRound.objects.filter(opens_on__lte=timezone.localdate())
            .order_by("-opens_on")
            .first()
        )
        in_each_status = [
            ("deal", "deals:detail", "uuid", one_per_status(Deal.objects.all())),
            ("lead", "deals:lead_detail", "uuid", one_per_status(LeadOffer.objects.all())),
            ("fund request", "funds:request_detail", "uuid", one_per_status(FundRequest.objects)),
            ("claim", "funds:claim_detail", "uuid", one_per_status(Claim.objects.all())),
            ("launch", "campaigns:launch_detail", "code", one_per_status(Launch.objects.all())),
            ("plan", "plans:detail", "uuid", one_per_status(Plan.objects.all())),
        ]
    admin = f"{partner.slug}-admin"
    pages: list[tuple[str, str, str]] = [
        (admin, "dashboard", reverse("portal:dashboard")),
        (admin, "library", reverse("library:list")),
        (admin, "asset", reverse("library:detail", kwargs={"uuid": asset.uuid})),
        (admin, "kits", reverse("campaigns:list")),
        (admin, "kit", reverse("campaigns:kit_detail", kwargs={"slug": kit.slug})),
        (admin, "launches", reverse("campaigns:launch_list")),
        (admin, "performance", reverse("performance:dashboard")),
        (admin, "funds", reverse("funds:overview")),
        (admin, "fund requests", reverse("funds:request_list")),
        (admin, "new fund request", reverse("funds:request_create")),
        (admin, "claims", reverse("funds:claim_list")),
        (admin, "statement", reverse("funds:statement")),
        (admin, "deals", reverse("deals:list")),
        (admin, "new deal", reverse("deals:create")),
        (admin, "leads", reverse("deals:lead_list")),
        (admin, "plans", reverse("plans:list")),
        (admin, "reviews", reverse("plans:reviews")),
        (admin, "action items", reverse("plans:action_items")),
        (admin, "enablement", reverse("portal:enablement")),
        (admin, "certifications", reverse("portal:enablement_certifications")),
        (admin, "track", reverse("portal:enablement_track", kwargs={"slug": track.slug})),
        (admin, "team", reverse("portal:team")),
        (admin, "company profile", reverse("portal:profile")),
        (admin, "API keys", reverse("portal:api_keys")),
        (admin, "company sign-in", reverse("portal:company_sign_in")),
        (admin, "new company sign-in", reverse("portal:company_sign_in_add")),
        *company_sign_in_pages(partner, admin),
        (admin, "surveys", reverse("portal:survey_list")),
        (admin, "onboarding", reverse("portal:onboarding")),
        (admin, "password change", reverse("portal:password_change")),
    ]
    if review is not None:
        pages.append(
            (admin, "review", reverse("plans:review_detail", kwargs={"uuid": review.uuid}))
        )
    if survey is not None:
        pages.append(
            (admin, "survey", reverse("portal:survey_answer", kwargs={"uuid": survey.uuid}))
        )
    for name, route, key, objects in in_each_status:
        for obj in objects:
            url = reverse(route, kwargs={key: getattr(obj, key)})
            pages.append((f"{obj.partner.slug}-admin", f"{name} ({obj.status})", url))
    result: list[Page] = [
        (user, name, url, lambda client, url=url: client.get(url)) for user, name, url in pages
    ]
    # Forms posted with bad input: their error messages.
    bad_posts = [
        ("fund request with errors", reverse("funds:request_create"), {"amount": "x"}),
        ("deal with errors", reverse("deals:create"), {"amount": "-1", "domain": "no"}),
        ("profile with errors", reverse("portal:profile"), {"contact_email": "not an email"}),
        (
            "company sign-in with errors",
            reverse("portal:company_sign_in_add"),
            {
                "name": "",
                "server_url": "no url",
                "roles-TOTAL_FORMS": "1",
                "roles-INITIAL_FORMS": "0",
                "roles-0-value": "x",
            },
        ),
        (
            "launch with errors",
            reverse("campaigns:launch_create", kwargs={"slug": kit.slug}),
            {"name": ""},
        ),
    ]
    result += [
        (admin, name, url, lambda client, url=url, data=data: client.post(url, data))
        for name, url, data in bad_posts
    ]
    return result


def test_portal_pages_have_no_english_left(demo):
    # given the partners' admins, Northwind's first, and the texts of the demo's data
    with scopes_disabled():
        partner = Partner.objects.get(slug="northwind")
    pages = portal_pages(partner)
    users = {
        user.username: user
        for user in get_user_model().objects.filter(username__in={page[0] for page in pages})
    }
    data, system_written = data_strings()
    leftovers: list[str] = []
    for language, folder in LANGUAGES.items():
        words = [w for w in FUNCTION_WORDS if w not in NATIVE_WORDS.get(language, set())]
        pattern = re.compile(r"\b(" + "|".join(words) + r")\b", re.IGNORECASE)
        wordy_data = sorted((value for value in data if pattern.search(value)), key=len)[::-1]
        messages = english_messages(folder)
        # Countries are named as CLDR names them in the language ("Isle of Man" in German).
        names = {str(name) for name in Locale.parse(folder).territories.values()}
        clients: dict[str, Client] = {}
        for username, user in users.items():
            LanguageChoice.objects.update_or_create(user=user, defaults={"language": language})
            clients[username] = Client()
            clients[username].force_login(user)
        # when they open each page in their language
        for username, name, url, open_page in pages:
            response = open_page(clients[username])
            where = f"{language} {name} {url}"
            if response.status_code not in (200, 400):
                leftovers.append(f"{where}: status {response.status_code}")
                continue
            html = response.content.decode()
            lang, texts = page_texts(html)
            # then the page says its language and keeps no English beyond the data
            if lang != language:
                leftovers.append(f'{where}: <html lang="{lang}">')
            shown = [value for value in wordy_data if value in html or value in " ".join(texts)]
            for text in english_left(
                texts,
                messages=messages,
                data=(data - (system_written & messages)) | names,
                wordy_data=wordy_data,
                shown=shown,
                words=pattern,
            ):
                leftovers.append(f"{where}: {text}")
    assert not leftovers, "English left on the portal's pages:\n" + "\n".join(
        dict.fromkeys(leftovers)
    )

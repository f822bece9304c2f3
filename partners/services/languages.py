"""The language each person reads the portal and their emails in.

One rule, asked by the middleware (pages), the mail sender (emails, whoever triggers
them) and the password-reset form: a person's chosen language while it still ships;
else, for a partner's people, the first of the partner's languages that ships (in the
order staff entered them); else English (settings.LANGUAGE_CODE).

Staff read one language, settings.LANGUAGE_CODE: what is written for them (the
partner's audit trail, shown in the admin) is worded in it whoever's request writes it
(`staff_language`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import F
from django.utils import translation
from django.utils.translation import get_supported_language_variant
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from partners.models import Language, LanguageChoice, Membership, Partner


def shipped_language(code: str | None) -> str | None:
    """The shipped language a code means ("pt" and "pt-BR" → "pt-br", "de-AT" → "de"),
    or None when we ship none for it."""
    if not code:
        return None
    try:
        return get_supported_language_variant(code.strip().lower())
    except LookupError:
        return None


def languages_in_entry_order(languages: Any) -> list[str]:
    """The codes of a many-to-many of languages (`partner.languages`,
    `application.languages`) in the order they were added (the link rows' order)."""
    links = languages.through.objects.filter(**{languages.source_field_name: languages.instance})
    return list(links.order_by("pk").values_list(f"{languages.target_field_name}__code", flat=True))


def set_languages_in_order(languages: Any, chosen: Iterable[Language]) -> None:
    """Set a many-to-many of languages to `chosen`, added one by one in that order, so
    that the first stays first (`set()` adds in no particular order)."""
    chosen = list(chosen)
    languages.set([])
    for language in chosen:
        languages.add(language)


def first_shipped(codes: Iterable[str]) -> str | None:
    """The first of `codes` we ship, as a shipped code; None when we ship none."""
    for code in codes:
        language = shipped_language(code)
        if language:
            return language
    return None


def partner_language(partner: Partner | int) -> str:
    """The first of the partner's languages that ships, in the order they were added;
    English when none does."""
    if isinstance(partner, int):
        partner = Partner.objects.get(pk=partner)
    return first_shipped(languages_in_entry_order(partner.languages)) or settings.LANGUAGE_CODE


def staff_language() -> translation.override:
    """Word what staff read in their language, settings.LANGUAGE_CODE, whoever's request
    writes it: `with staff_language():` around the composing of an audit entry's texts
    (translated words, choice labels, verbose names). Staff pages stay English while a
    partner admin works in German; only the staff's words go inside, so what the actor
    reads (errors, messages) stays in their own language."""
    return translation.override(settings.LANGUAGE_CODE)


def invitee_language(*, partner: Partner, chosen: str | None) -> str:
    """The language someone invited to `partner`'s team reads the invitation's page in:
    the one they chose with the switcher (`chosen`, its cookie) when we ship it, else
    their company's (`partner_language`), which their invitation email was written in
    and which they will read once they join. Their browser's language does not win
    over the company's, as for a signed-in person."""
    return shipped_language(chosen) or partner_language(partner)


def user_language(user: User | AnonymousUser | None) -> str:
    """The language `user` reads pages and emails in (the module's rule)."""
    if user is None or not user.is_authenticated:
        return settings.LANGUAGE_CODE
    choice = LanguageChoice.objects.filter(user=user).values_list("language", flat=True).first()
    chosen = shipped_language(choice)
    if chosen:
        return chosen
    with scopes_disabled():
        partner_id = (
            Membership.objects.filter(user=user).values_list("partner_id", flat=True).first()
        )
    if partner_id is None:
        return settings.LANGUAGE_CODE
    return partner_language(partner_id)


def chosen_language(language: str) -> str:
    """The shipped code of a language someone chose ("de", "pt-BR" → "pt-br"); a
    language we do not ship is refused (ValueError naming it)."""
    code = shipped_language(language)
    if code is None:
        raise ValueError(
            _("%(language)s is not a language of the portal.") % {"language": language}
        )
    return code


def user_language_choose(*, user: User, language: str) -> str:
    """Record the language `user` chose (`chosen_language`); answers the shipped code.
    A refused language keeps the earlier choice."""
    code = chosen_language(language)
    LanguageChoice.objects.update_or_create(user=user, defaults={"language": code})
    return code


def user_language_adopt(*, user: User, language: str | None) -> str | None:
    """At sign-in: the language chosen on the login page (the switcher's cookie) becomes
    `user`'s own when they have chosen none yet, so the pages after the login (and their
    emails) stay in it. Answers the code recorded, or None (nothing chosen, a language we
    do not ship, or an earlier choice of their own, which wins)."""
    code = shipped_language(language)
    if code is None or LanguageChoice.objects.filter(user=user).exists():
        return None
    return user_language_choose(user=user, language=code)


def languages_of_recipients(emails: Iterable[str], *, default: str | None = None) -> dict[str, str]:
    """Each address's reader's language: the active user with that address (the module's
    rule); an address of nobody here (an applicant, an invitee) reads `default`, else
    English."""
    from django.contrib.auth import get_user_model

    addresses = [email for email in dict.fromkeys(emails) if email]
    fallback = shipped_language(default) or settings.LANGUAGE_CODE
    languages = dict.fromkeys(addresses, fallback)
    users = (
        get_user_model()
        .objects.filter(email__in=addresses, is_active=True)
        .order_by(F("last_login").desc(nulls_last=True), "pk")
    )
    seen: set[str] = set()
    for user in users:
        if user.email in seen:
            continue
        seen.add(user.email)
        languages[user.email] = user_language(user)
    return languages

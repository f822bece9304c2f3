"""Emails in their readers' languages, whoever triggered them.

Every app's notifications send through `send_to_readers`: the recipients are grouped by
the language each reads (`partners.services.languages_of_recipients`) and each group gets
the subject and body rendered in its language, so a partner user reading German gets a
German decision email when an English-speaking staff member decides.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

from partners.services.languages import languages_of_recipients


def send_to_readers(
    template: str,
    context: dict[str, Any],
    recipients: Iterable[str],
    *,
    language: str | None = None,
) -> int:
    """Send `template`_subject.txt and `template`_body.txt (paths without the suffix) to
    `recipients`, one email per language, each in its readers' language; addresses of
    nobody here (an applicant, an invitee) read `language`, else English. Answers the
    number of recipients."""
    by_language: dict[str, list[str]] = defaultdict(list)
    for email, reader_language in languages_of_recipients(recipients, default=language).items():
        by_language[reader_language].append(email)
    context = {"site_name": settings.SITE_NAME, "site_url": settings.SITE_URL, **context}
    sent = 0
    for reader_language, emails in sorted(by_language.items()):
        with translation.override(reader_language):
            send_mail(
                subject=render_to_string(f"{template}_subject.txt", context).strip(),
                message=render_to_string(f"{template}_body.txt", context),
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=emails,
            )
        sent += len(emails)
    return sent

"""Reads of recruitment: countries, duplicate matches, the fit score, the team's
invitations. Applications are staff data (no partner scope): the selectors that read
them across partners open `scopes_disabled()` themselves, visibly, here."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from urllib.parse import urlsplit

from babel import Locale, UnknownLocaleError
from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from partners.models import Invitation, Language, Partner, PartnerApplication, Region

# Babel's territories hold ISO 3166-1 alpha-2 countries, plus UN M.49 regions
# ("150" Europe, digits) and codes that are not countries: those are left out.
NOT_COUNTRIES = frozenset({"ZZ", "EU", "EZ", "UN", "QO", "XA", "XB", "XK"})

# Mail providers anyone can sign up with: a shared domain says nothing about which
# company someone works for, so it never makes two companies duplicates.
FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "yahoo.co.uk",
        "yahoo.fr",
        "yahoo.de",
        "ymail.com",
        "hotmail.com",
        "hotmail.co.uk",
        "hotmail.fr",
        "outlook.com",
        "live.com",
        "msn.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "aol.com",
        "gmx.de",
        "gmx.net",
        "gmx.com",
        "web.de",
        "t-online.de",
        "mail.com",
        "proton.me",
        "protonmail.com",
        "pm.me",
        "zoho.com",
        "yandex.ru",
        "yandex.com",
        "mail.ru",
        "qq.com",
        "163.com",
        "126.com",
        "naver.com",
        "orange.fr",
        "free.fr",
        "libero.it",
        "fastmail.com",
        "tutanota.com",
    }
)

# How many of the best partners the fit score compares with, and over which window.
FIT_PEERS = 10
FIT_WINDOW_DAYS = 365
# The weight of each part of the fit score; parts that cannot be measured (no known
# sizes among the peers, no region named) are left out and the rest scaled to 100.
FIT_WEIGHTS = {"type": 20, "region": 35, "languages": 25, "size": 20}


# --- countries --------------------------------------------------------------------------


@lru_cache(maxsize=16)
def _countries(language: str) -> tuple[tuple[str, str], ...]:
    try:
        locale = Locale.parse(language.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        locale = Locale("en")
    names = locale.territories
    codes = [
        code
        for code in Locale("en").territories
        if len(code) == 2 and code.isalpha() and code.isupper() and code not in NOT_COUNTRIES
    ]
    return tuple(sorted(((code, names.get(code, code)) for code in codes), key=lambda c: c[1]))


def country_choices() -> list[tuple[str, str]]:
    """(ISO 3166-1 alpha-2 code, name in the current language), sorted by name."""
    return list(_countries(get_language() or "en"))


def is_country(code: str) -> bool:
    return any(code == known for known, _name in _countries("en"))


def country_name(code: str) -> str:
    return dict(country_choices()).get(code, code)


# --- domains and duplicates ---------------------------------------------------------------


def website_domain(url: str) -> str:
    """The host of a website, lower case, without "www." ("" when there is none)."""
    url = (url or "").strip()
    if url and "://" not in url:
        url = f"https://{url}"
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    host = host.lower().rstrip(".")
    return host.removeprefix("www.")


def email_domain(email: str) -> str:
    """The domain of an email address, lower case ("" without one)."""
    return (email or "").rpartition("@")[2].strip().lower().rstrip(".")


def company_email_domain(email: str) -> str:
    """The email's domain when it can name a company; "" for free-mail providers."""
    domain = email_domain(email)
    return "" if domain in FREE_MAIL_DOMAINS else domain


@dataclass(frozen=True)
class DuplicateMatch:
    partner: Partner | None = None
    application: PartnerApplication | None = None
    reason: str = ""

    def __bool__(self) -> bool:
        return self.partner is not None or self.application is not None


def _website_matches(url: str, domains: set[str]) -> bool:
    return bool(url) and website_domain(url) in domains


def application_duplicate(
    *, website: str, contact_email: str, exclude: PartnerApplication | None = None
) -> DuplicateMatch:
    """The existing partner, or else the open application, whose website domain or email
    domain (its contact email, its users' and pending invitations' emails) is the
    applicant's website domain or company email domain. Free-mail domains never match.
    Staff data: reads across partners."""
    site = website_domain(website)
    mail = company_email_domain(contact_email)
    domains = {d for d in (site, mail) if d}
    if not domains:
        return DuplicateMatch()
    with scopes_disabled():
        # Websites are stored as typed: narrow with a substring, then compare domains.
        by_site = Q()
        by_mail = Q()
        for domain in domains:
            by_site |= Q(website__icontains=domain)
            by_mail |= Q(contact_email__iendswith=f"@{domain}")
        for partner in Partner.objects.filter(by_site).order_by("pk"):
            if _website_matches(partner.website, domains):
                return DuplicateMatch(
                    partner=partner,
                    reason=_("The website domain %(domain)s is the website of partner %(name)s.")
                    % {"domain": website_domain(partner.website), "name": partner.name},
                )
        partner = Partner.objects.filter(by_mail).order_by("pk").first()
        if partner is not None:
            return DuplicateMatch(
                partner=partner,
                reason=_("The domain %(domain)s is that of partner %(name)s's contact email.")
                % {"domain": email_domain(partner.contact_email), "name": partner.name},
            )
        for domain in domains:
            member = (
                User.objects.filter(email__iendswith=f"@{domain}", membership__isnull=False)
                .select_related("membership__partner")
                .order_by("pk")
                .first()
            )
            if member is not None:
                partner = member.membership.partner
                return DuplicateMatch(
                    partner=partner,
                    reason=_("Users of partner %(name)s have email addresses at %(domain)s.")
                    % {"name": partner.name, "domain": domain},
                )
            invited = (
                Invitation.objects.filter(
                    email__iendswith=f"@{domain}", accepted_at__isnull=True, revoked_at__isnull=True
                )
                .select_related("partner")
                .order_by("pk")
                .first()
            )
            if invited is not None:
                return DuplicateMatch(
                    partner=invited.partner,
                    reason=_("Partner %(name)s has invited someone at %(domain)s.")
                    % {"name": invited.partner.name, "domain": domain},
                )
        open_applications = PartnerApplication.objects.filter(
            status=PartnerApplication.Status.PENDING
        ).order_by("created_at", "pk")
        if exclude is not None and exclude.pk:
            open_applications = open_applications.exclude(pk=exclude.pk)
        for application in open_applications.filter(website_domain__in=domains):
            return DuplicateMatch(
                application=application,
                reason=_("The open application of %(company)s has the website domain %(domain)s.")
                % {"company": application.company, "domain": application.website_domain},
            )
        application_mail = Q()
        for domain in domains:
            application_mail |= Q(contact_email__iendswith=f"@{domain}")
        application = open_applications.filter(application_mail).first()
        if application is not None:
            return DuplicateMatch(
                application=application,
                reason=_("The open application of %(company)s has an email address at %(domain)s.")
                % {
                    "company": application.company,
                    "domain": email_domain(application.contact_email),
                },
            )
    return DuplicateMatch()


# --- the fit score ------------------------------------------------------------------------


@dataclass
class Fit:
    """A fit score (0–100, None when there is nothing to compare with) and its parts in
    words, each with the share of the peers it matched."""

    score: int | None
    parts: list[dict[str, object]] = field(default_factory=list)


@dataclass(frozen=True)
class Peer:
    partner_id: int
    partner_type: str
    region_ids: frozenset[int]
    language_ids: frozenset[int]
    size: str


def _best_partners(*, start: date, end: date, partner_type: str = "") -> list[Peer]:
    """The active partners (of one type, or all) with results in [start, end], best
    first: by revenue (in the programme's main currency), then leads, then name; at
    most FIT_PEERS. From the staff leaderboard, whose totals are the KPIs'."""
    from analytics.selectors import leaderboard

    board = leaderboard(
        start=start, end=end, sort="-revenue", partner_type=partner_type, per_page=None
    )
    with scopes_disabled():
        active = set(
            Partner.objects.filter(
                pk__in=[row.partner_id for row in board.rows], status=Partner.Status.ACTIVE
            ).values_list("pk", flat=True)
        )
    ranked: list[tuple[Decimal, int, str, int, str]] = []
    for row in board.rows:
        if row.partner_id not in active:
            continue
        revenue = row.totals.revenue.get(board.currency, Decimal(0)) if board.currency else 0
        revenue = Decimal(revenue)
        if revenue <= 0 and row.totals.leads <= 0:
            continue  # no results: not among the best, whatever the order
        ranked.append(
            (revenue, row.totals.leads, row.name.lower(), row.partner_id, row.partner_type)
        )
    ranked.sort(key=lambda item: (-item[0], -item[1], item[2], item[3]))
    top = ranked[:FIT_PEERS]
    ids = [item[3] for item in top]
    with scopes_disabled():
        regions: dict[int, set[int]] = {pk: set() for pk in ids}
        for pk, region in Partner.regions.through.objects.filter(partner_id__in=ids).values_list(
            "partner_id", "region_id"
        ):
            regions[pk].add(region)
        languages: dict[int, set[int]] = {pk: set() for pk in ids}
        for pk, language in Partner.languages.through.objects.filter(
            partner_id__in=ids
        ).values_list("partner_id", "language_id"):
            languages[pk].add(language)
        sizes = dict(
            PartnerApplication.objects.filter(partner_id__in=ids).values_list("partner_id", "size")
        )
    return [
        Peer(
            partner_id=pk,
            partner_type=kind,
            region_ids=frozenset(regions[pk]),
            language_ids=frozenset(languages[pk]),
            size=sizes.get(pk, ""),
        )
        for _rev, _leads, _name, pk, kind in top
    ]


def _names(model: type[Region] | type[Language], ids: Iterable[int]) -> str:
    names = list(
        model.objects.filter(pk__in=list(ids)).order_by("name").values_list("name", flat=True)
    )
    return _(" or ").join(names)


def application_fit(
    *,
    partner_type: str,
    region_ids: Sequence[int],
    language_ids: Sequence[int],
    size: str,
    today: date | None = None,
) -> Fit:
    """How closely an applicant resembles the best active partners, 0–100, with its parts.

    The peers are the top FIT_PEERS active partners of the applicant's type by revenue
    (then leads) over the last FIT_WINDOW_DAYS days. Parts, each the share of a group
    that matches, weighted by FIT_WEIGHTS:
    - type: of the top partners of every type, how many are of the applicant's type;
    - region: of the peers, how many work in one of the applicant's regions;
    - languages: of the peers, how many market in one of the applicant's languages;
    - size: of the peers whose size is known (from their application), how many are
      of the applicant's size.
    A part that cannot be measured is left out and the others scaled to 100; with no
    peers at all the score is None ("nothing to compare with"). Deterministic: the same
    results give the same score and words.
    """
    today = today or timezone.localdate()
    start, end = today - timedelta(days=FIT_WINDOW_DAYS - 1), today
    type_label = str(Partner.Type(partner_type).label).lower()
    peers = _best_partners(start=start, end=end, partner_type=partner_type)
    overall = _best_partners(start=start, end=end)
    parts: list[dict[str, object]] = []

    def part(kind: str, matched: int, out_of: int, text: str) -> None:
        parts.append(
            {
                "part": kind,
                "matched": matched,
                "out_of": out_of,
                "weight": FIT_WEIGHTS[kind],
                "text": text,
            }
        )

    if overall:
        same_type = sum(1 for peer in overall if peer.partner_type == partner_type)
        part(
            "type",
            same_type,
            len(overall),
            _("type: %(n)d of your top %(total)d partners are %(type)s partners")
            % {"n": same_type, "total": len(overall), "type": type_label},
        )
    if not peers:
        parts.append(
            {
                "part": "peers",
                "text": _(
                    "no active %(type)s partner had revenue or leads in the last 12 months: "
                    "nothing to compare region, languages and size with"
                )
                % {"type": type_label},
            }
        )
    else:
        total = len(peers)
        regions = set(region_ids)
        if regions:
            in_region = sum(1 for peer in peers if peer.region_ids & regions)
            part(
                "region",
                in_region,
                total,
                _("region: %(n)d of your top %(total)d %(type)s partners are in %(regions)s")
                % {
                    "n": in_region,
                    "total": total,
                    "type": type_label,
                    "regions": _names(Region, regions),
                },
            )
        languages = set(language_ids)
        if languages:
            speaking = sum(1 for peer in peers if peer.language_ids & languages)
            part(
                "languages",
                speaking,
                total,
                _(
                    "languages: %(n)d of your top %(total)d %(type)s partners market in "
                    "%(languages)s"
                )
                % {
                    "n": speaking,
                    "total": total,
                    "type": type_label,
                    "languages": _names(Language, languages),
                },
            )
        known = [peer for peer in peers if peer.size]
        size_label = str(PartnerApplication.Size(size).label) if size else ""
        if known and size:
            same_size = sum(1 for peer in known if peer.size == size)
            part(
                "size",
                same_size,
                len(known),
                ngettext(
                    "size: %(n)d of the %(known)d top %(type)s partner whose size we know "
                    "has %(size)s",
                    "size: %(n)d of the %(known)d top %(type)s partners whose size we know "
                    "have %(size)s",
                    len(known),
                )
                % {"n": same_size, "known": len(known), "type": type_label, "size": size_label},
            )
        elif size:
            parts.append(
                {
                    "part": "size",
                    "text": _("size: not known for your top %(type)s partners, not counted")
                    % {"type": type_label},
                }
            )
    measured = [p for p in parts if "out_of" in p and p["out_of"]]
    if not peers or not measured:
        return Fit(score=None, parts=parts)
    weight = sum(int(p["weight"]) for p in measured)  # type: ignore[call-overload]
    earned = sum(
        Decimal(int(p["weight"])) * int(p["matched"]) / int(p["out_of"])  # type: ignore[call-overload]
        for p in measured
    )
    score = int((earned * 100 / weight).quantize(Decimal(1), rounding="ROUND_HALF_UP"))
    return Fit(score=max(0, min(100, score)), parts=parts)


# --- the portal's team page ------------------------------------------------------------------


def team_invitations(*, partner: Partner) -> QuerySet[Invitation]:
    """The partner's invitations nobody has accepted or revoked (pending or expired),
    newest first."""
    return (
        Invitation.objects.filter(
            partner=partner, accepted_at__isnull=True, revoked_at__isnull=True
        )
        .select_related("invited_by")
        .order_by("-created_at", "-pk")
    )


def invitation_state(invitation: Invitation) -> str:
    """ "accepted", "revoked", "expired" or "pending"."""
    if invitation.accepted_at is not None:
        return "accepted"
    if invitation.revoked_at is not None:
        return "revoked"
    if invitation.expires_at <= timezone.now():
        return "expired"
    return "pending"

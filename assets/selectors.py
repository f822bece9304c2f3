"""Reads of the content library: what a partner may see, the library's search and
filters, an asset's variants in the partner's order, and staff download statistics."""

from __future__ import annotations

import re
import string
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import reduce
from operator import and_
from typing import Any

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, F, Max, Prefetch, Q, QuerySet
from django_scopes import scope, scopes_disabled

from assets.models import Asset, AssetVersion, Category, CobrandedCopy, DownloadRecord, Tag
from partners.models import Language, Partner

SORTS = {
    "newest": ("-live_at", "-id"),
    "downloads": ("-download_count", "-id"),
    "title": ("title", "id"),
}
MAX_QUERY_LENGTH = 200
TAGS_CACHE_SECONDS = 300
COUNT_CACHE_SECONDS = 60
MAX_PAGE = 10_000  # a page number is bounded before it becomes an SQL OFFSET


def assets_available(*, partner: Partner) -> QuerySet[Asset]:
    """The assets this partner may see (the audience rule: `available_to`)."""
    return Asset.objects.available_to(partner)


def current_versions() -> QuerySet[AssetVersion]:
    return AssetVersion.objects.filter(is_current=True).select_related("language")


def clean_query(text: str) -> str:
    """Search text as the database can take it: no NUL bytes, bounded, trimmed."""
    return " ".join((text or "").replace("\x00", " ").split())[:MAX_QUERY_LENGTH]


def library_search(
    assets: QuerySet[Asset],
    *,
    q: str = "",
    kind: str = "",
    category: str = "",
    language: str = "",
    tag: str = "",
) -> QuerySet[Asset]:
    """Narrow a queryset of assets by search text and filters (no ordering).

    `q` reads as a web search on both databases: every word must be found (in the
    title, the tags or the description, not necessarily the same one), a "quoted
    phrase" is found whole, `-word` excludes, `or` between two words takes either.
    PostgreSQL uses full-text search (the stored, GIN-indexed `search_vector`, with
    stemming; the rank is annotated as `rank`); SQLite, the embedded default, finds
    each word case-insensitively as part of those texts (`_word_search`). Filters
    are slugs/codes; an unknown one simply matches nothing.
    """
    q = clean_query(q)
    if kind:
        assets = assets.filter(kind=kind)
    if category:
        assets = assets.filter(category__slug=category)
    if language:
        variants = AssetVersion.objects.filter(is_current=True, language__code=language)
        assets = assets.filter(Q(language__code=language) | Q(pk__in=variants.values("asset_id")))
    if tag:
        tagged = Asset.tags.through.objects.filter(tag__slug=tag).values("asset_id")
        assets = assets.filter(pk__in=tagged)
    if q:
        if connection.vendor == "postgresql":
            query = SearchQuery(q, search_type="websearch", config=settings.ASSET_SEARCH_CONFIG)
            assets = assets.filter(search_vector=query).annotate(
                rank=SearchRank(F("search_vector"), query)
            )
        else:
            assets = assets.filter(_word_search(q))
    return assets


_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')


def _search_terms(q: str) -> Iterator[tuple[bool, str] | None]:
    """PostgreSQL's websearch syntax, read the same way: (excluded, text) per word or
    "quoted phrase" (`-` before it excludes), and None for the word `or`."""
    for match in _TOKEN.finditer(q):
        minus, phrase, word = match.groups()
        if word is None:
            excluded, text = bool(minus), phrase.strip()
        elif word.lower() == "or":
            yield None
            continue
        else:
            excluded = word.startswith("-") and len(word) > 1
            # Punctuation around a word is not part of it ("backup," or "(pdf)").
            text = (word[1:] if excluded else word).strip(string.punctuation)
        if text:
            yield excluded, text


def _text_match(text: str) -> Q:
    tagged = Asset.tags.through.objects.filter(tag__name__icontains=text).values("asset_id")
    return Q(title__icontains=text) | Q(description__icontains=text) | Q(pk__in=tagged)


def _word_search(q: str) -> Q:
    """Every word (or phrase) of `q` found in the title, the tags or the description
    (SQLite's LIKE is case-insensitive for ASCII); see `library_search`."""
    clauses: list[Q] = []
    either = False
    for term in _search_terms(q):
        if term is None:  # "or"
            either = bool(clauses)
            continue
        excluded, text = term
        condition = ~_text_match(text) if excluded else _text_match(text)
        if either:
            clauses[-1] = clauses[-1] | condition
        else:
            clauses.append(condition)
        either = False
    return reduce(and_, clauses, Q())


def library_filter(
    assets: QuerySet[Asset],
    *,
    q: str = "",
    kind: str = "",
    category: str = "",
    language: str = "",
    tag: str = "",
    sort: str = "",
) -> QuerySet[Asset]:
    """The library's page: search and filters, sorted, with what the cards show; one
    query per page plus one for the current files, however many rows there are.
    Sorting by relevance (the default when searching on PostgreSQL) needs `q`."""
    q = clean_query(q)
    assets = library_search(assets, q=q, kind=kind, category=category, language=language, tag=tag)
    ordering: Sequence[Any] = SORTS.get(sort, SORTS["newest"])
    if q and sort not in SORTS and connection.vendor == "postgresql":
        ordering = ("-rank", "-live_at", "-id")
    return (
        assets.select_related("category", "language")
        .prefetch_related(Prefetch("versions", current_versions(), to_attr="current_versions"))
        .order_by(*ordering)
    )


# Past this many matches the library says "more than 1,000" instead of counting them
# all: an exact count visits every asset the partner may see (bench/library_page.py).
COUNT_CAP = 1000


@dataclass
class LibraryPage:
    """One page of the library. `count` is exact up to COUNT_CAP (`count_capped` past
    it); `has_next` comes from fetching one row more than the page shows."""

    object_list: list[Asset]
    number: int
    per_page: int
    count: int
    count_capped: bool
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def num_pages(self) -> int | None:
        """Known when the count is exact."""
        if self.count_capped:
            return None
        return max(1, -(-self.count // self.per_page))


def library_page(
    assets: QuerySet[Asset], *, page: Any, per_page: int, count_key: str | None = None
) -> LibraryPage:
    """Two queries whatever the number of assets: a count that stops at COUNT_CAP and
    the page's rows (plus one, to know whether there is a next page). A malformed page
    number is the first page.

    The count of a sparse filter still visits every asset the partner may see, so with
    `count_key` it is cached for COUNT_CACHE_SECONDS: paging through one search counts
    once. The count only labels the page (rows and "next" come from the page query),
    so a count a minute old misleads no one.
    """
    try:
        number = min(max(1, int(str(page))), MAX_PAGE)
    except (TypeError, ValueError):
        number = 1

    def count_rows() -> int:
        return assets.order_by()[: COUNT_CAP + 1].count()

    cached = cache.get_or_set(count_key, count_rows, COUNT_CACHE_SECONDS) if count_key else None
    count: int = cached if isinstance(cached, int) else count_rows()
    capped = count > COUNT_CAP
    if not capped:
        number = min(number, max(1, -(-count // per_page)))
    offset = (number - 1) * per_page
    rows = list(assets[offset : offset + per_page + 1])
    return LibraryPage(
        object_list=rows[:per_page],
        number=number,
        per_page=per_page,
        count=min(count, COUNT_CAP),
        count_capped=capped,
        has_next=len(rows) > per_page,
    )


@dataclass(frozen=True)
class LibraryChoices:
    kinds: list[tuple[str, Any]]
    categories: list[Category]
    languages: list[Language]
    tags: list[Tag]


def library_choices(*, partner: Partner) -> LibraryChoices:
    """What the library's filters offer. Tags are those of the assets this partner may
    see (a tag of another partner's asset would tell of it); finding them visits every
    such asset, so the list is cached per partner for TAGS_CACHE_SECONDS."""
    key = f"assets:library-tags:{partner.pk}"
    tags = cache.get(key)
    if tags is None:
        tagged = Asset.tags.through.objects.filter(
            asset__in=assets_available(partner=partner).order_by().values("pk")
        ).values("tag_id")
        tags = list(Tag.objects.filter(pk__in=tagged))
        cache.set(key, tags, TAGS_CACHE_SECONDS)
    return LibraryChoices(
        kinds=list(Asset.Kind.choices),
        categories=list(Category.objects.all()),
        languages=list(Language.objects.all()),
        tags=tags,
    )


def variants_for(*, asset: Asset, partner: Partner) -> list[AssetVersion]:
    """The asset's current files, the partner's languages first (the asset's main
    language before others among them), then language-neutral, then the rest."""
    versions = list(
        getattr(asset, "current_versions", None) or current_versions().filter(asset=asset)
    )
    own = set(partner.languages.values_list("pk", flat=True))

    def order(version: AssetVersion) -> tuple[int, int, str]:
        if version.language_id in own:
            group = 0
        elif version.language_id is None:
            group = 1
        else:
            group = 2
        main = 0 if version.language_id == asset.language_id else 1
        return group, main, version.language.name if version.language else ""

    return sorted(versions, key=order)


def version_history(*, asset: Asset) -> list[AssetVersion]:
    """Every version of every variant, newest first, with its change note."""
    return list(asset.versions.select_related("language").order_by("-created_at", "-id")[:100])


def cobranded_copies_for(
    *, partner: Partner, versions: Sequence[AssetVersion]
) -> dict[int, CobrandedCopy]:
    """The partner's copies of these versions at its current profile revision."""
    with scope(partner=partner):
        copies = CobrandedCopy.objects.filter(
            version__in=[version.pk for version in versions],
            cobranding_revision=partner.cobranding_revision,
        )
        return {copy.version_id: copy for copy in copies}


def cobranded_copy_for(*, partner: Partner, version: AssetVersion) -> CobrandedCopy | None:
    with scope(partner=partner):
        return CobrandedCopy.objects.filter(
            version=version, cobranding_revision=partner.cobranding_revision
        ).first()


# --- Staff -----------------------------------------------------------------------------


def downloads_by_partner(*, asset: Asset, limit: int = 50) -> list[dict[str, Any]]:
    """Staff: which partners downloaded the asset, how often, when last (across partners)."""
    with scopes_disabled():
        rows = (
            DownloadRecord.objects.filter(asset=asset)
            .values("partner__name", "partner__slug")
            .annotate(
                downloads=Count("id"),
                cobranded=Count("id", filter=Q(cobranded=True)),
                last=Max("at"),
            )
            .order_by("-downloads", "partner__name")[:limit]
        )
        return [dict(row) for row in rows]

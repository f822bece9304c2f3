"""Benchmark: the portal library page (search + filter + sort) on PostgreSQL.

50,000 assets (every audience shape: everyone, rules on tier/type/region/language,
allow-lists), 1,000 partners, tags, language variants. 200 requests of the real page
(middleware, the access rule, search, filters, sort, pagination, template) through
Django's test client, as users of several partners, against the median of the bare
SQL that fetches the same page of rows; and the number of SQL queries per page,
which must not change with the page size or the number of assets.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/assets_bench python bench/library_page.py
    python bench/library_page.py --quick       # 5,000 assets, 100 partners, 60 requests

The data is generated once per database (kept between runs: `--rebuild` starts over).
The last lines are `figure: NAME VALUE UNIT`.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/assets_bench"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="5,000 assets, 100 partners")
    parser.add_argument("--assets", type=int)
    parser.add_argument("--partners", type=int)
    parser.add_argument("--requests", type=int)
    parser.add_argument("--rebuild", action="store_true", help="regenerate the data")
    return parser.parse_args()


def ensure_database(url: str) -> None:
    """Create the benchmark database if the server lacks it."""
    import psycopg

    name = url.rsplit("/", 1)[-1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="library-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DJANGO_DEBUG"] = "false"  # templates cached, no debug overhead
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
    os.environ.setdefault("SESSION_COOKIE_SECURE", "false")
    os.environ.setdefault("CSRF_COOKIE_SECURE", "false")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # DEBUG off: the manifest


WORDS = [
    "cloud",
    "backup",
    "security",
    "edge",
    "ransomware",
    "recovery",
    "compliance",
    "zero",
    "trust",
    "network",
    "firewall",
    "endpoint",
    "identity",
    "storage",
    "analytics",
    "migration",
    "hybrid",
    "datacenter",
    "SMB",
    "enterprise",
    "healthcare",
    "retail",
    "finance",
    "education",
    "government",
    "partner",
    "webinar",
    "launch",
    "pricing",
    "roadmap",
    "datasheet",
    "brochure",
    "campaign",
    "social",
    "email",
    "video",
]


def generate(n_assets: int, n_partners: int, *, rebuild: bool) -> None:
    """Partners with tiers/types/regions/languages and assets of every audience shape,
    written with bulk inserts (the services would take an hour for 50,000 files)."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone
    from django_scopes import scopes_disabled

    from assets.models import Asset, AssetVersion, AudienceScope, Category, Tag
    from partners.models import Language, Membership, Partner, Region, Tier

    marker = f"bench-{n_assets}-{n_partners}"
    if not rebuild and Category.objects.filter(slug=marker).exists():
        print(f"data: reusing {n_assets} assets, {n_partners} partners")
        return
    started = time.monotonic()
    rng = random.Random(42)
    with transaction.atomic(), scopes_disabled():
        Asset.objects.all().delete()
        Membership.objects.filter(user__username__startswith="bench-").delete()
        get_user_model().objects.filter(username__startswith="bench-").delete()
        Partner.objects.filter(slug__startswith="bench-").delete()
        Category.objects.filter(slug__startswith="bench-").delete()
        Tag.objects.all().delete()
        tiers = [
            Tier.objects.get_or_create(slug=slug, defaults={"name": slug.title(), "rank": rank})[0]
            for slug, rank in (("registered", 10), ("silver", 20), ("gold", 30), ("platinum", 40))
        ]
        regions = [
            Region.objects.get_or_create(code=code, defaults={"name": code.upper()})[0]
            for code in ("na", "emea", "apac", "latam")
        ]
        languages = [
            Language.objects.get_or_create(code=code, defaults={"name": code})[0]
            for code in ("en", "de", "fr", "es", "pt", "ja")
        ]
        types = list(Partner.Type.values)
        partners = Partner.objects.bulk_create(
            Partner(
                name=f"Bench Partner {i}",
                slug=f"bench-{i}",
                status=Partner.Status.ACTIVE,
                tier=rng.choice(tiers),
                partner_type=rng.choice(types),
            )
            for i in range(n_partners)
        )
        Partner.regions.through.objects.bulk_create(
            Partner.regions.through(partner=p, region=r)
            for p in partners
            for r in rng.sample(regions, rng.choice((1, 1, 2)))
        )
        Partner.languages.through.objects.bulk_create(
            Partner.languages.through(partner=p, language=lang)
            for p in partners
            for lang in rng.sample(languages, rng.choice((1, 2, 2, 3)))
        )
        categories = [
            Category.objects.create(name=f"Bench {name}", slug=f"bench-{name}")
            for name in ("product", "solutions", "campaigns", "brand", "sales")
        ]
        Category.objects.create(name="marker", slug=marker, position=999)
        tags = Tag.objects.bulk_create(Tag(name=word, slug=word) for word in sorted(set(WORDS)))
        now = timezone.now()
        kinds = list(Asset.Kind.values)
        scopes = [AudienceScope.EVERYONE] * 4 + [AudienceScope.RULES] * 5 + [AudienceScope.LISTED]
        assets, rules_of = [], []
        for i in range(n_assets):
            words = rng.sample(WORDS, 5)
            scope = rng.choice(scopes)
            # The rules of a "rules" asset: each dimension set half of the time.
            rule = {
                field: rng.sample(values, rng.choice((1, 2)))
                if scope == AudienceScope.RULES and rng.random() < 0.5
                else []
                for field, values in (
                    ("audience_tiers", tiers),
                    ("audience_regions", regions),
                    ("audience_languages", languages),
                )
            }
            rules_of.append(rule)
            assets.append(
                Asset(
                    title=" ".join(w.title() for w in words[:3]) + f" {i}",
                    description=" ".join(rng.sample(WORDS, 12)),
                    kind=rng.choice(kinds),
                    category=rng.choice(categories),
                    language=rng.choice(languages),
                    status=rng.choice([Asset.Status.PUBLISHED] * 8 + [Asset.Status.DRAFT]),
                    published_at=now - timedelta_days(rng.randint(0, 700)),
                    live_at=now - timedelta_days(rng.randint(0, 700)),
                    expire_at=now + timedelta_days(30) if rng.random() < 0.05 else None,
                    featured=rng.random() < 0.02,
                    download_count=int(rng.paretovariate(1.2)) - 1,
                    audience_scope=scope,
                    audience_partner_types=(
                        rng.sample(types, rng.choice((1, 2)))
                        if scope == AudienceScope.RULES and rng.random() < 0.4
                        else []
                    ),
                    # What assets.services.audience_set copies from the rules.
                    audience_tier_keys=[str(t.pk) for t in rule["audience_tiers"]],
                    audience_region_keys=[str(r.pk) for r in rule["audience_regions"]],
                    audience_language_keys=[str(x.pk) for x in rule["audience_languages"]],
                )
            )
        assets = Asset.objects.bulk_create(assets, batch_size=2000)
        through = Asset.tags.through
        through.objects.bulk_create(
            (through(asset=a, tag=t) for a in assets for t in rng.sample(tags, rng.randint(0, 3))),
            batch_size=5000,
        )
        for field in ("audience_tiers", "audience_regions", "audience_languages"):
            model = Asset._meta.get_field(field).remote_field.through
            target = Asset._meta.get_field(field).m2m_reverse_field_name()
            model.objects.bulk_create(
                (
                    model(**{"asset": a, target: v})
                    for a, rule in zip(assets, rules_of, strict=True)
                    for v in rule[field]
                ),
                batch_size=5000,
            )
        listed = Asset.audience_partners.through
        listed.objects.bulk_create(
            (
                listed(asset=a, partner=p)
                for a in assets
                if a.audience_scope == AudienceScope.LISTED or rng.random() < 0.02
                for p in rng.sample(partners, rng.randint(1, 3))
            ),
            batch_size=5000,
        )
        versions = []
        for a in assets:
            for lang in rng.sample(languages, rng.choice((1, 1, 2, 3))):
                versions.append(
                    AssetVersion(
                        asset=a,
                        language=lang,
                        number=1,
                        file=f"assets/{a.uuid}/bench.pdf",
                        sha256="0" * 64,
                        size=rng.randint(10_000, 5_000_000),
                        file_kind="pdf",
                        content_type="application/pdf",
                        preview_state=AssetVersion.Preview.NONE,
                    )
                )
        AssetVersion.objects.bulk_create(versions, batch_size=5000)
        with connection.cursor() as cursor:
            cursor.execute(
                """
                UPDATE assets_asset a SET search_vector =
                    setweight(to_tsvector('english', a.title), 'A')
                    || setweight(to_tsvector('english', coalesce((
                        SELECT string_agg(t.name, ' ') FROM assets_asset_tags at
                        JOIN assets_tag t ON t.id = at.tag_id WHERE at.asset_id = a.id
                    ), '')), 'A')
                    || setweight(to_tsvector('english', a.description), 'B')
                """
            )
        User = get_user_model()
        for index, partner in enumerate(partners[:10]):
            user = User.objects.create_user(f"bench-{index}", password="x")  # noqa: S106
            Membership.objects.create(user=user, partner=partner, role=Membership.Role.MARKETER)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(
        f"data: {n_assets} assets, {len(versions)} files, {n_partners} partners "
        f"generated in {time.monotonic() - started:.0f} s"
    )


def timedelta_days(days: int):
    from datetime import timedelta

    return timedelta(days=days)


def request_mix(n: int) -> list[str]:
    """Search, filters and sorts as partners use them, on the first few pages."""
    rng = random.Random(7)
    base = [
        "",
        "?q=cloud+backup",
        "?q=ransomware",
        "?q=zero+trust&sort=newest",
        "?kind=datasheet",
        "?category=bench-product&sort=title",
        "?language=de",
        "?tag=security",
        "?sort=downloads",
        "?q=security&kind=brochure&language=en",
        "?tag=cloud&sort=title&per_page=48",
        "?category=bench-campaigns&language=fr&sort=downloads",
    ]
    result = []
    for _ in range(n):
        query = rng.choice(base)
        page = rng.choice((1, 1, 1, 2, 3, 5))
        if page > 1:
            query += ("&" if query else "?") + f"page={page}"
        result.append(query)
    return result


def main() -> None:
    args = parse_args()
    n_assets = args.assets or (5_000 if args.quick else 50_000)
    n_partners = args.partners or (100 if args.quick else 1_000)
    n_requests = args.requests or (60 if args.quick else 200)
    url = (
        os.environ.get("LIBRARY_BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL") or DEFAULT_DB
    )
    if not url.startswith("postgres"):
        sys.exit("This benchmark needs PostgreSQL: set DATABASE_URL=postgres://...")
    ensure_database(url)
    setup_django(url)
    generate(n_assets, n_partners, rebuild=args.rebuild)

    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django_scopes import scope

    from assets import selectors
    from assets.views import LibraryFilterForm
    from partners.models import Membership

    users = list(get_user_model().objects.filter(username__startswith="bench-").order_by("pk"))
    clients = []
    for user in users:
        client = Client()
        client.force_login(user)
        clients.append((client, user))

    # Warm up: connection, templates, caches.
    for client, _user in clients:
        client.get("/portal/library/")

    # Queries per page: the same whatever the page size and filters.
    counts = {}
    client, user = clients[0]
    for query in ("?per_page=12", "?per_page=96", "?per_page=96&q=cloud&sort=title&page=2"):
        cache.clear()  # the worst case: no cached tag list or count
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/portal/library/" + query)
        assert response.status_code == 200, response.status_code
        counts[query] = len(captured.captured_queries)
    print("queries per page (nothing cached):", counts)
    cache.clear()

    mix = request_mix(n_requests)
    page_ms, sql_ms = [], []
    rows_seen = 0
    for index, query in enumerate(mix):
        client, user = clients[index % len(clients)]
        started = time.perf_counter()
        response = client.get("/portal/library/" + query)
        page_ms.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (query, response.status_code)
        rows_seen += response.content.count(b'class="card asset-card')
        # The bare SQL of the same page of rows (no count, no prefetch, no template).
        membership = (
            Membership.objects.with_scopes_disabled().select_related("partner").get(user=user)
        )
        partner = membership.partner
        params = dict(part.split("=", 1) for part in query.lstrip("?").split("&") if "=" in part)
        form = LibraryFilterForm(
            {k: v.replace("+", " ") for k, v in params.items()}, searching="q" in params
        )
        values = form.values()
        with scope(partner=partner):
            queryset = selectors.library_filter(
                selectors.assets_available(partner=partner),
                **{
                    k: values.get(k) or ""
                    for k in ("q", "kind", "category", "language", "tag", "sort")
                },
            )
        per_page = values["per_page"]
        page_number = int(params.get("page", 1))
        sliced = queryset.prefetch_related(None)[
            (page_number - 1) * per_page : page_number * per_page
        ]
        sql, sql_params = sliced.query.sql_with_params()
        with connection.cursor() as cursor:
            started = time.perf_counter()
            cursor.execute(sql, sql_params)
            cursor.fetchall()
            sql_ms.append((time.perf_counter() - started) * 1000)

    quantiles = statistics.quantiles(page_ms, n=100)
    p50, p95 = statistics.median(page_ms), quantiles[94]
    bare = statistics.median(sql_ms)
    per_page_queries = max(counts.values())
    print(
        f"{n_requests} requests over {len(clients)} partners' users, {rows_seen} cards shown; "
        f"page p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {max(page_ms):.1f} ms; "
        f"bare SQL median {bare:.2f} ms"
    )
    if len(set(counts.values())) != 1:
        print("WARNING: the number of queries changed with the page size or filters")
    print(f"figure: library_p50_ms {p50:.1f} ms")
    print(f"figure: library_p95_ms {p95:.1f} ms")
    print(f"figure: library_bare_sql_ms {bare:.2f} ms")
    print(f"figure: library_queries_per_page {per_page_queries} queries")


if __name__ == "__main__":
    main()

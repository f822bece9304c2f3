"""Writes of the content library: assets, audiences, versions (uploads), publishing,
downloads, co-branded copies, previews and library visits.

Every state change that matters goes through here, whichever entry point asks
(admin, portal, API, Celery task, demo seeder); each records an `AssetEvent` in the
same transaction. Files are written before the database rows that name them and
deleted again if those rows are not written; side effects (previews, co-branding)
run after commit, as Celery tasks that take ids.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.postgres.search import SearchVector
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import connection, transaction
from django.db.models import F, Max, Value
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django_scopes import scope, scopes_disabled

from analytics import clicks
from assets import cobranding, previews
from assets.delivery import local_copy
from assets.models import (
    Asset,
    AssetEvent,
    AssetVersion,
    AudienceScope,
    CobrandedCopy,
    DownloadRecord,
    LibraryVisit,
    Tag,
)
from assets.validation import ASSET_KINDS, KINDS, display_name, validate_upload
from partners.models import Language, Partner, PartnerAPIKey
from partners.services import onboarding_record

logger = logging.getLogger(__name__)

# Fields of an asset that `asset_create`/`asset_update` set directly.
ASSET_FIELDS = (
    "title",
    "description",
    "kind",
    "category",
    "language",
    "publish_at",
    "expire_at",
    "featured",
    "cobrandable",
    "cobrand_zone",
    "cobrand_zone_size",
    "owner",
)
AUDIENCE_FIELDS = ("tiers", "partner_types", "regions", "languages", "partners")
# A new visit to the library starts after this long without one.
VISIT_GAP = timedelta(minutes=30)
HASH_CHUNK = 1024 * 1024


# --- Audiences (any model with the `Audience` fields) -------------------------------


def audience_set(
    *,
    obj: Any,
    tiers: Iterable[Any] | None = None,
    partner_types: Iterable[str] | None = None,
    regions: Iterable[Any] | None = None,
    languages: Iterable[Any] | None = None,
    partners: Iterable[Any] | None = None,
) -> str:
    """Set an object's audience rules (None leaves a rule as it is) and its scope.

    The scope (everyone / rules / listed only) is what `Audience.audience_q` reads,
    so it is recomputed here, by the one writer of the rules.
    """
    with transaction.atomic():
        if tiers is not None:
            obj.audience_tiers.set(tiers)
        if regions is not None:
            obj.audience_regions.set(regions)
        if languages is not None:
            obj.audience_languages.set(languages)
        if partners is not None:
            obj.audience_partners.set(partners)
        if partner_types is not None:
            known = set(obj._meta.get_field("audience_partner_types").to_python(partner_types))
            unknown = known - set(Partner.Type.values)
            if unknown:
                raise ValidationError(
                    {"partner_types": _("Unknown partner type: %s.") % ", ".join(sorted(unknown))}
                )
            obj.audience_partner_types = sorted(known)
        keys = {
            "audience_tier_keys": obj.audience_tiers.values_list("pk", flat=True),
            "audience_region_keys": obj.audience_regions.values_list("pk", flat=True),
            "audience_language_keys": obj.audience_languages.values_list("pk", flat=True),
        }
        for name, ids in keys.items():
            setattr(obj, name, [str(pk) for pk in ids])
        has_rules = bool(obj.audience_partner_types) or any(getattr(obj, name) for name in keys)
        if has_rules:
            obj.audience_scope = AudienceScope.RULES
        elif obj.audience_partners.exists():
            obj.audience_scope = AudienceScope.LISTED
        else:
            obj.audience_scope = AudienceScope.EVERYONE
        type(obj).objects.filter(pk=obj.pk).update(
            audience_scope=obj.audience_scope,
            audience_partner_types=obj.audience_partner_types,
            **{name: getattr(obj, name) for name in keys},
        )
    return obj.audience_scope


# --- Assets ----------------------------------------------------------------------------


def _event(asset: Asset, actor: Any, action: str, detail: str = "") -> AssetEvent:
    user = actor if isinstance(actor, User) and actor.pk else None
    return AssetEvent.objects.create(asset=asset, actor=user, action=action, detail=detail[:300])


def _check_dates(publish_at: datetime | None, expire_at: datetime | None) -> None:
    if publish_at and expire_at and expire_at <= publish_at:
        raise ValidationError({"expire_at": _("The expiry must be after the publish date.")})


def _live_at(asset: Asset) -> datetime | None:
    if asset.published_at is None:
        return None
    if asset.publish_at and asset.publish_at > asset.published_at:
        return asset.publish_at
    return asset.published_at


def asset_reindex(*, asset: Asset) -> None:
    """Refresh the full-text search document (PostgreSQL; SQLite searches with LIKE)."""
    if connection.vendor != "postgresql":
        return
    config = settings.ASSET_SEARCH_CONFIG
    tags = " ".join(asset.tags.values_list("name", flat=True))
    Asset.objects.filter(pk=asset.pk).update(
        search_vector=SearchVector(Value(asset.title), weight="A", config=config)
        + SearchVector(Value(tags), weight="A", config=config)
        + SearchVector(Value(asset.description), weight="B", config=config)
    )


def tags_from_names(names: Iterable[str]) -> list[Tag]:
    """The tags with these names, created when missing (case-insensitive)."""
    tags = []
    for raw in names:
        name = " ".join(str(raw).split())[:60]
        slug = slugify(name)[:60]
        if not slug:
            continue
        tag = Tag.objects.filter(slug=slug).first() or Tag.objects.create(name=name, slug=slug)
        tags.append(tag)
    return tags


@transaction.atomic
def asset_create(
    *,
    actor: Any,
    title: str,
    kind: str = Asset.Kind.OTHER,
    tags: Iterable[Tag] = (),
    audience: dict[str, Any] | None = None,
    **fields: Any,
) -> Asset:
    """Create a draft asset (no file yet: add versions, then publish)."""
    unknown = set(fields) - set(ASSET_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be set here.") for name in unknown})
    _check_dates(fields.get("publish_at"), fields.get("expire_at"))
    asset = Asset(title=(title or "").strip(), kind=kind, **fields)
    if asset.owner is None and isinstance(actor, User) and actor.is_staff:
        asset.owner = actor  # type: ignore[assignment]
    asset.full_clean(exclude=["tags"])
    asset.save()
    asset.tags.set(list(tags))
    audience_set(obj=asset, **(audience or {}))
    asset_reindex(asset=asset)
    _event(asset, actor, AssetEvent.Action.CREATED)
    return asset


@transaction.atomic
def asset_update(
    *,
    asset: Asset,
    actor: Any,
    tags: Iterable[Tag] | None = None,
    audience: dict[str, Any] | None = None,
    **fields: Any,
) -> Asset:
    """Change an asset's description, dates, flags, tags or audience."""
    unknown = set(fields) - set(ASSET_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in unknown})
    locked = Asset.objects.select_for_update(of=("self",)).get(pk=asset.pk)
    changed = [name for name, value in fields.items() if getattr(locked, name) != value]
    for name in changed:
        setattr(locked, name, fields[name])
    _check_dates(locked.publish_at, locked.expire_at)
    if changed:
        locked.full_clean(exclude=["tags"])
        locked.live_at = _live_at(locked)
        locked.save(update_fields=[*changed, "live_at", "updated_at"])
    if tags is not None:
        locked.tags.set(list(tags))
    if audience:
        audience_set(obj=locked, **audience)
    asset_reindex(asset=locked)
    if changed or tags is not None or audience:
        what = [*changed, *(["tags"] if tags is not None else []), *(audience or {})]
        _event(locked, actor, AssetEvent.Action.CHANGED, ", ".join(what))
    return locked


def asset_publish(*, asset: Asset, actor: Any) -> Asset:
    """Publish: partners in the audience see it from `publish_at` (or now) until expiry.

    An asset needs at least one file to be published.
    """
    with transaction.atomic():
        locked = Asset.objects.select_for_update(of=("self",)).get(pk=asset.pk)
        if locked.status == Asset.Status.PUBLISHED:
            return locked
        if not locked.versions.exists():
            raise ValidationError(
                {"status": _("Upload a file before publishing “%s”.") % locked.title}
            )
        locked.status = Asset.Status.PUBLISHED
        locked.published_at = timezone.now()
        locked.live_at = _live_at(locked)
        locked.save(update_fields=["status", "published_at", "live_at", "updated_at"])
        _event(locked, actor, AssetEvent.Action.PUBLISHED)
    return locked


def asset_archive(*, asset: Asset, actor: Any) -> Asset:
    """Archive: partners no longer see it; files, history and downloads stay."""
    with transaction.atomic():
        locked = Asset.objects.select_for_update(of=("self",)).get(pk=asset.pk)
        if locked.status == Asset.Status.ARCHIVED:
            return locked
        locked.status = Asset.Status.ARCHIVED
        locked.save(update_fields=["status", "updated_at"])
        _event(locked, actor, AssetEvent.Action.ARCHIVED)
    return locked


# --- Versions (uploads) ----------------------------------------------------------------


def sanitize_name(name: str) -> str:
    """A display-only version of the uploaded name (`validation.display_name`): no path
    (escaped or not), no control or reserved characters."""
    return display_name(name)


def _sha256_and_size(upload: IO[bytes]) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    upload.seek(0)
    chunks: Iterator[bytes] = (
        upload.chunks(HASH_CHUNK)  # type: ignore[attr-defined]
        if hasattr(upload, "chunks")
        else iter(lambda: upload.read(HASH_CHUNK), b"")
    )
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
    upload.seek(0)
    return digest.hexdigest(), size


def asset_version_add(
    *,
    asset: Asset,
    upload: IO[bytes],
    uploaded_by: Any,
    language: Language | None = None,
    change_note: str = "",
) -> AssetVersion:
    """Upload a file as the next version of one language variant of an asset.

    The file passes the one validator (type from its content, size, image bombs), is
    hashed and written to storage in chunks (never whole in memory), then numbered
    under a lock on the asset. The previous version of the variant stays as history;
    partners get the new one. The preview is made after commit.
    """
    validated = validate_upload(
        upload,
        field="file",
        allowed=ASSET_KINDS,
        max_bytes=settings.ASSET_MAX_BYTES,
        max_pixels=settings.ASSET_MAX_PIXELS,
    )
    sha256, size = _sha256_and_size(upload)
    version = AssetVersion(
        asset=asset,
        language=language,
        number=0,
        original_name=sanitize_name(getattr(upload, "name", "") or ""),
        sha256=sha256,
        size=size,
        file_kind=validated.kind.name,
        content_type=validated.kind.content_type,
        width=validated.width,
        height=validated.height,
        change_note=(change_note or "").strip(),
        uploaded_by=uploaded_by if isinstance(uploaded_by, User) else None,
        preview_state=(
            AssetVersion.Preview.PENDING
            if previews.can_preview(validated.kind.name)
            else AssetVersion.Preview.NONE
        ),
    )
    # A Django File (an upload) is passed as is: a temporary upload is moved, not copied.
    content = upload if isinstance(upload, File) else File(upload)
    version.file.save(validated.safe_name, content, save=False)
    try:
        with transaction.atomic():
            locked = Asset.objects.select_for_update(of=("self",)).get(pk=asset.pk)
            variant = locked.versions.filter(language=language)
            version.number = (variant.aggregate(n=Max("number"))["n"] or 0) + 1
            variant.filter(is_current=True).update(is_current=False)
            version.is_current = True
            version.save()
            if locked.status == Asset.Status.PUBLISHED:
                Asset.objects.filter(pk=locked.pk).update(content_updated_at=timezone.now())
            _event(
                locked,
                uploaded_by,
                AssetEvent.Action.VERSION_ADDED,
                f"v{version.number} ({language.code if language else 'no language'}): "
                f"{version.change_note}",
            )
            if version.preview_state == AssetVersion.Preview.PENDING:
                from assets.tasks import make_preview

                version_id = version.pk
                transaction.on_commit(lambda: make_preview.delay(version_id))
    except BaseException:
        if version.file.name:
            version.file.storage.delete(version.file.name)
        raise
    return version


def asset_upload(
    *,
    actor: Any,
    upload: IO[bytes],
    title: str,
    kind: str,
    category: Any = None,
    language: Language | None = None,
    cobrandable: bool = False,
    publish: bool = False,
    change_note: str = "",
) -> Asset:
    """One file in, one asset out (the bulk upload): create the asset, add the file as
    its first version and, with `publish`, publish it, all or nothing.

    Rules: the file passes the one upload validator (`asset_version_add`); the rows
    (asset, version, events) are written in one transaction, and a failure at any step
    rolls them back and deletes the stored file, so no half-made asset, version or
    orphan file is left. The preview is made after commit.
    """
    version: AssetVersion | None = None
    try:
        with transaction.atomic():
            asset = asset_create(
                actor=actor,
                title=title,
                kind=kind,
                category=category,
                language=language,
                cobrandable=cobrandable,
            )
            version = asset_version_add(
                asset=asset,
                upload=upload,
                uploaded_by=actor,
                language=language,
                change_note=change_note,
            )
            if publish:
                asset = asset_publish(asset=asset, actor=actor)
    except BaseException:
        # `asset_version_add` removes its file when its own step fails; a later step's
        # failure rolls back the version row, so its file goes too.
        if version is not None and version.file.name:
            version.file.storage.delete(version.file.name)
        raise
    return asset


def is_main_variant(version: AssetVersion) -> bool:
    """The variant whose preview is the asset's thumbnail: its main language, or none."""
    asset = version.asset
    return version.language_id == asset.language_id or (
        not asset.versions.filter(is_current=True, language=asset.language).exists()
    )


def version_make_preview(*, version_id: int) -> str:
    """Make a version's preview image (and the asset's thumbnail for the main variant).

    Safe to run twice: a version that has its preview is left alone, and of two
    concurrent runs only the first to store its result keeps it.
    """
    version = AssetVersion.objects.select_related("asset").filter(pk=version_id).first()
    if version is None or version.preview_state != AssetVersion.Preview.PENDING:
        return "skipped"
    try:
        with local_copy(version.file, suffix="." + version.file_kind) as path:
            image, page_count = previews.render(path, version.file_kind)
    except Exception as exc:  # a damaged file must not retry forever
        logger.warning("preview of version %s failed: %s", version_id, exc)
        AssetVersion.objects.filter(pk=version_id, preview_state="pending").update(
            preview_state=AssetVersion.Preview.FAILED
        )
        return "failed"
    storage = version.file.storage
    name = storage.save(
        f"assets/{version.asset.uuid}/previews/{version.uuid}.png", previews.as_png_file(image)
    )
    won = AssetVersion.objects.filter(pk=version_id, preview="").update(
        preview=name, preview_state=AssetVersion.Preview.READY, page_count=page_count
    )
    if not won:
        storage.delete(name)
        return "skipped"
    if version.is_current and is_main_variant(version):
        Asset.objects.filter(pk=version.asset_id).update(thumbnail=name)
    return "ready"


# --- Downloads ---------------------------------------------------------------------------


def download_record(
    *,
    partner: Partner,
    version: AssetVersion,
    user: Any = None,
    api_key: PartnerAPIKey | None = None,
    cobranded: bool = False,
    channel: str = DownloadRecord.Channel.PORTAL,
    kit_slug: str | None = None,
) -> DownloadRecord:
    """Record that a partner downloaded a version, and count it on the asset and version.

    The download also enters the result event stream (`analytics.clicks`), in the same
    transaction; `kit_slug` is the kit page it came from, if any (checked there).
    """
    with transaction.atomic(), scope(partner=partner):
        record = DownloadRecord.objects.create(
            partner=partner,
            user=user if isinstance(user, User) and user.pk else None,
            api_key=api_key,
            asset_id=version.asset_id,
            version=version,
            cobranded=cobranded,
            channel=channel,
        )
        AssetVersion.objects.filter(pk=version.pk).update(download_count=F("download_count") + 1)
        Asset.objects.filter(pk=version.asset_id).update(download_count=F("download_count") + 1)
        clicks.download_record(download=record, kit_slug=kit_slug)
        transaction.on_commit(
            lambda: onboarding_record(
                partner=partner, kind="download_asset", actor=record.user, asset=version.asset
            )
        )
    return record


def download_filename(version: AssetVersion) -> str:
    """What the partner's browser saves it as: title, language, version, real extension."""
    base = slugify(version.asset.title)[:60] or "asset"
    language = f"-{version.language.code}" if version.language_id and version.language else ""
    extension = KINDS[version.file_kind].extension
    return f"{base}{language}-v{version.number}.{extension}"


# --- Co-branding ------------------------------------------------------------------------


def cobranded_copy_request(*, version: AssetVersion, partner: Partner, user: Any) -> CobrandedCopy:
    """Ask for the partner's co-branded copy of a version; made by a task after commit.

    Refused (ValidationError naming what is missing) when the asset is not
    co-brandable, the file type cannot be co-branded, or the partner's co-branding
    profile is incomplete. One copy per version × profile revision: asking again
    returns the same row (and retries a failed one).
    """
    if not version.asset.cobrandable or version.file_kind not in cobranding.COBRANDABLE_KINDS:
        raise ValidationError(_("This file cannot be co-branded."))
    missing = cobranding.profile_missing(partner)
    if missing:
        raise ValidationError(
            _("Your company profile is missing: %(missing)s.") % {"missing": ", ".join(missing)},
            code="profile_incomplete",
        )
    with transaction.atomic(), scope(partner=partner):
        copy, created = CobrandedCopy.objects.get_or_create(
            version=version,
            partner=partner,
            cobranding_revision=partner.cobranding_revision,
            defaults={"requested_by": user if isinstance(user, User) else None},
        )
        if not created and copy.state == CobrandedCopy.State.FAILED:
            CobrandedCopy.objects.filter(pk=copy.pk).update(
                state=CobrandedCopy.State.PENDING, error=""
            )
            copy.state = CobrandedCopy.State.PENDING
            created = True
        if created:
            from assets.tasks import make_cobranded_copy

            copy_id = copy.pk
            transaction.on_commit(lambda: make_cobranded_copy.delay(copy_id))
    return copy


def cobranded_copy_make(*, copy_id: int) -> str:
    """Produce a pending co-branded copy. Safe to run twice (only one result is kept)."""
    with scopes_disabled():
        copy = (
            CobrandedCopy.objects.select_related("version__asset", "partner")
            .filter(pk=copy_id)
            .first()
        )
    if copy is None or copy.state != CobrandedCopy.State.PENDING:
        return "skipped"
    partner, version = copy.partner, copy.version
    with scope(partner=partner):
        if partner.cobranding_revision != copy.cobranding_revision:
            _copy_failed(copy, _("The company profile changed; ask for a new copy."))
            return "stale"
        missing = cobranding.profile_missing(partner)
        if missing:
            _copy_failed(copy, _("The company profile is incomplete."))
            return "failed"
        asset = version.asset
        try:
            with (
                local_copy(version.file, suffix="." + version.file_kind) as source,
                tempfile.TemporaryDirectory() as work,
            ):
                target = Path(work) / f"copy.{KINDS[version.file_kind].extension}"
                with cobranding.partner_profile(partner) as profile:
                    cobranding.cobrand_file(
                        source,
                        target,
                        kind=version.file_kind,
                        profile=profile,
                        zone=asset.cobrand_zone,
                        size_percent=asset.cobrand_zone_size,
                    )
                with target.open("rb") as result:
                    name = version.file.storage.save(
                        f"cobranded/{partner.uuid}/{version.uuid}-{copy.uuid}.{target.suffix[1:]}",
                        File(result),
                    )
                size = target.stat().st_size
        except Exception as exc:
            logger.warning("co-branding copy %s failed: %s", copy_id, exc)
            _copy_failed(copy, _("The file could not be co-branded."))
            return "failed"
        won = CobrandedCopy.objects.filter(pk=copy.pk, state=CobrandedCopy.State.PENDING).update(
            state=CobrandedCopy.State.READY, file=name, size=size, finished_at=timezone.now()
        )
        if not won:
            version.file.storage.delete(name)
            return "skipped"
    return "ready"


def _copy_failed(copy: CobrandedCopy, error: str) -> None:
    CobrandedCopy.objects.filter(pk=copy.pk, state=CobrandedCopy.State.PENDING).update(
        state=CobrandedCopy.State.FAILED, error=error[:300], finished_at=timezone.now()
    )


def cobranded_copies_purge(*, older_than: timedelta) -> int:
    """Delete superseded copies (an older profile revision or an old version) and their
    files. Copies of current versions at the partner's current revision are kept."""
    cutoff = timezone.now() - older_than
    removed = 0
    with scopes_disabled():
        stale = (
            CobrandedCopy.objects.filter(created_at__lt=cutoff)
            .exclude(
                version__is_current=True,
                cobranding_revision=F("partner__cobranding_revision"),
            )
            .only("pk", "file")
        )
        for copy in stale.iterator(chunk_size=200):
            if copy.file.name:
                copy.file.storage.delete(copy.file.name)
            CobrandedCopy.objects.filter(pk=copy.pk).delete()
            removed += 1
    return removed


# --- Library visits -------------------------------------------------------------------


def library_visit_touch(
    *, user: Any, partner: Partner, now: datetime | None = None
) -> datetime | None:
    """Note a look at the library; return when the previous visit was (None: first).

    Looks less than VISIT_GAP apart are one visit, so paging through the library
    does not make everything "old" at once.
    """
    now = now or timezone.now()
    with scope(partner=partner):
        visit = LibraryVisit.objects.filter(user=user).first()
        if visit is None:
            LibraryVisit.objects.create(user=user, partner=partner, seen_at=now)
            return None
        if now - visit.seen_at > VISIT_GAP:
            LibraryVisit.objects.filter(pk=visit.pk).update(
                previous_seen_at=visit.seen_at, seen_at=now
            )
            return visit.seen_at
        return visit.previous_seen_at


# --- Staff previews ------------------------------------------------------------------


def main_version(*, asset: Asset) -> AssetVersion | None:
    """The asset's current file in its main language (or language-neutral, or any)."""
    current = list(asset.versions.filter(is_current=True).select_related("language"))
    current.sort(key=lambda v: (v.language_id != asset.language_id, v.language_id is not None))
    return current[0] if current else None


def cobrand_sample_preview(
    *, asset: Asset, zone: str | None = None, size_percent: int | None = None
) -> Any:
    """Staff: the first page (or the image) of the main file co-branded for a sample
    partner, as a Pillow image, before any partner sees it. Nothing is stored."""
    version = main_version(asset=asset)
    if version is None or version.file_kind not in cobranding.COBRANDABLE_KINDS:
        raise ValidationError(_("Upload a PDF or an image (PNG, JPEG, WEBP) to preview."))
    with (
        local_copy(version.file, suffix="." + version.file_kind) as source,
        tempfile.TemporaryDirectory() as work,
    ):
        target = Path(work) / f"preview.{KINDS[version.file_kind].extension}"
        with cobranding.sample_profile(Path(work)) as profile:
            cobranding.cobrand_file(
                source,
                target,
                kind=version.file_kind,
                profile=profile,
                zone=zone or asset.cobrand_zone,
                size_percent=size_percent or asset.cobrand_zone_size,
                first_page_only=True,
            )
        image, _pages = previews.render(target, version.file_kind)
    return image

"""The content library: assets, their files (versions, per language), audiences,
co-branded copies, download records and library visits.

Assets are *shared* content, not partner-owned: which partner sees an asset is the
audience rule, and `Asset.objects.available_to(partner)` is its single definition
(published, inside its dates, matching the audience). Rows that belong to one partner
(download records, co-branded copies, library visits) carry a `partner` foreign key
and django-scopes' `ScopedManager`, like every partner-owned model.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from partners.models import Language, Partner, Region, Tier

# --- A set of choices in one column ---------------------------------------------------


class ChoiceSetField(models.CharField):
    """A set of choices stored in one column as ",a,b," (sorted, delimited at both ends),
    so `field__contains=",a,"` finds the rows holding `a` on PostgreSQL and SQLite alike.
    Python sees a sorted list; "" (the empty set) is stored for none."""

    description = "A set of choices"

    def __init__(self, *args: Any, options: Any = (), **kwargs: Any) -> None:
        self.options = [tuple(option) for option in options]
        kwargs.setdefault("max_length", 200)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["options"] = self.options
        return name, path, args, kwargs

    def to_python(self, value: Any) -> list[str]:
        if isinstance(value, list | tuple | set | frozenset):
            return sorted({str(item) for item in value if item})
        if not value:
            return []
        return sorted({item for item in str(value).split(",") if item})

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> list[str]:
        return self.to_python(value)

    def get_prep_value(self, value: Any) -> str:
        values = self.to_python(value)
        return f",{','.join(values)}," if values else ""

    def value_to_string(self, obj: Any) -> str:
        return ",".join(self.to_python(self.value_from_object(obj)))

    def validate(self, value: Any, model_instance: Any) -> None:
        allowed = {key for key, _label in self.options}
        unknown = [item for item in self.to_python(value) if allowed and item not in allowed]
        if unknown:
            raise ValidationError(_("Unknown choice: %(value)s.") % {"value": ", ".join(unknown)})
        if not self.blank and not self.to_python(value):
            raise ValidationError(self.error_messages["blank"], code="blank")

    def run_validators(self, value: Any) -> None:
        # CharField's max_length validator would measure the list, not the stored text.
        return None

    def formfield(self, **kwargs: Any) -> forms.Field:
        return forms.TypedMultipleChoiceField(
            choices=self.options,
            required=not self.blank,
            label=kwargs.get("label", self.verbose_name),
            help_text=self.help_text,
            widget=forms.CheckboxSelectMultiple,
        )


# --- Audiences ---------------------------------------------------------------------


class AudienceScope(models.TextChoices):
    """What the audience rules of a row amount to; kept by `audience_set` (services)."""

    EVERYONE = "everyone", _("Every partner")
    RULES = "rules", _("Partners matching the rules (plus the listed partners)")
    LISTED = "listed", _("Only the listed partners")


class Audience(models.Model):
    """Who may see a piece of shared content; reused by campaign kits.

    Rules (each one left empty means "any"): tiers, partner types, regions (any
    shared), languages (any shared). A partner matches when it satisfies every rule
    that is set. The allow-list names partners who see the content whatever the rules.
    With no rule and no allow-list the content is for every partner; with only an
    allow-list it is for those partners only. `audience_scope` records which of the
    three cases holds, so the visibility query needs no subquery to tell.
    Write the rules through `assets.services.audience_set`, which keeps it right.
    """

    audience_tiers = models.ManyToManyField(
        Tier, verbose_name=_("tiers"), blank=True, related_name="+"
    )
    audience_partner_types = ChoiceSetField(
        _("partner types"), options=Partner.Type.choices, max_length=120
    )
    audience_regions = models.ManyToManyField(
        Region, verbose_name=_("regions"), blank=True, related_name="+"
    )
    audience_languages = models.ManyToManyField(
        Language,
        verbose_name=_("partner languages"),
        blank=True,
        related_name="+",
        help_text=_("Partners who market in any of these languages."),
    )
    audience_partners = models.ManyToManyField(
        Partner,
        verbose_name=_("allow-list"),
        blank=True,
        related_name="+",
        help_text=_("These partners see it whatever the rules."),
    )
    audience_scope = models.CharField(
        _("audience"),
        max_length=10,
        choices=AudienceScope.choices,
        default=AudienceScope.EVERYONE,
        editable=False,
    )
    # The ids of the tier, region and language rules, copied from the M2M tables by
    # `audience_set` (",3,7,"): the visibility query tests them with LIKE on the row
    # itself instead of probing three join tables per row (bench/library_page.py).
    audience_tier_keys = ChoiceSetField(max_length=1000, editable=False)
    audience_region_keys = ChoiceSetField(max_length=1000, editable=False)
    audience_language_keys = ChoiceSetField(max_length=1000, editable=False)

    class Meta:
        abstract = True

    @classmethod
    def audience_q(cls, partner: Partner) -> Q:
        """The rows of this model whose audience includes `partner` (one SQL condition,
        tested on the row itself but for the allow-list, one indexed lookup)."""
        region_ids, language_ids = partner_audience_keys(partner)

        def any_of(field: str, values: Any) -> Q:
            rule = Q(**{field: ""})  # no rule: any partner
            for value in values:
                rule |= Q(**{f"{field}__contains": f",{value},"})
            return rule

        allow = cls._meta.get_field("audience_partners")
        allow_model = allow.remote_field.through  # type: ignore[union-attr]
        listed = Q(
            pk__in=allow_model.objects.filter(
                **{f"{allow.m2m_reverse_field_name()}_id": partner.pk}  # type: ignore[union-attr]
            ).values(f"{allow.m2m_field_name()}_id")  # type: ignore[union-attr]
        )
        rules = (
            Q(audience_scope=AudienceScope.RULES)
            & any_of("audience_tier_keys", [partner.tier_id])
            & any_of("audience_partner_types", [partner.partner_type])
            & any_of("audience_region_keys", region_ids)
            & any_of("audience_language_keys", language_ids)
        )
        return Q(audience_scope=AudienceScope.EVERYONE) | listed | rules


def partner_audience_keys(partner: Partner) -> tuple[list[int], list[int]]:
    """The partner's region and language ids, read now (one query): not remembered on
    the instance, which may outlive a change of the partner's regions."""
    regions: set[int] = set()
    languages: set[int] = set()
    for region, language in Partner.objects.filter(pk=partner.pk).values_list(
        "regions", "languages"
    ):
        if region is not None:
            regions.add(region)
        if language is not None:
            languages.add(language)
    return sorted(regions), sorted(languages)


# --- Catalogue -----------------------------------------------------------------------


class Category(models.Model):
    name = models.CharField(_("name"), max_length=80, unique=True)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=60, unique=True)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class AssetQuerySet(models.QuerySet):
    def live(self, *, now: Any = None) -> AssetQuerySet:
        """Published and inside its publish/expiry dates."""
        now = now or timezone.now()
        return self.filter(
            Q(status=Asset.Status.PUBLISHED),
            Q(publish_at__isnull=True) | Q(publish_at__lte=now),
            Q(expire_at__isnull=True) | Q(expire_at__gt=now),
        )

    def available_to(self, partner: Partner, *, now: Any = None) -> AssetQuerySet:
        """THE definition of "this partner may see this asset": live and in its audience."""
        return self.live(now=now).filter(Asset.audience_q(partner))


class Asset(Audience):
    class Kind(models.TextChoices):
        BROCHURE = "brochure", _("Brochure")
        CASE_STUDY = "case_study", _("Case study")
        DATASHEET = "datasheet", _("Datasheet")
        PRESENTATION = "presentation", _("Presentation")
        SOCIAL_POST = "social_post", _("Social post")
        EMAIL_TEMPLATE = "email_template", _("Email template")
        LOGO_PACK = "logo_pack", _("Logo pack")
        VIDEO = "video", _("Video")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        ARCHIVED = "archived", _("Archived")

    class Zone(models.TextChoices):
        FOOTER = "footer", _("Footer band (every page)")
        HEADER = "header", _("Header band (every page)")
        BOTTOM_RIGHT = "bottom_right", _("Bottom-right corner")
        BOTTOM_LEFT = "bottom_left", _("Bottom-left corner")
        TOP_RIGHT = "top_right", _("Top-right corner")
        TOP_LEFT = "top_left", _("Top-left corner")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assets",
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="assets")
    language = models.ForeignKey(
        Language,
        verbose_name=_("main language"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The language of the main file; empty for language-neutral content."),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    publish_at = models.DateTimeField(
        _("publish from"), null=True, blank=True, help_text=_("Empty: as soon as published.")
    )
    expire_at = models.DateTimeField(
        _("expires at"), null=True, blank=True, help_text=_("Empty: never expires.")
    )
    featured = models.BooleanField(_("featured"), default=False)
    cobrandable = models.BooleanField(
        _("co-brandable"),
        default=False,
        help_text=_("Partners can get a copy with their logo and contact block (PDF and images)."),
    )
    cobrand_zone = models.CharField(
        _("co-branding zone"), max_length=20, choices=Zone.choices, default=Zone.FOOTER
    )
    cobrand_zone_size = models.PositiveSmallIntegerField(
        _("co-branding zone size (%)"),
        default=12,
        validators=[MinValueValidator(5), MaxValueValidator(40)],
        help_text=_("Height of the zone as a share of the page or image height (5–40)."),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"is_staff": True},
    )
    # Set by the services: when it was (last) published, from when partners see it
    # (the later of that and publish_at), when a published asset last got a new file.
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    live_at = models.DateTimeField(null=True, blank=True, editable=False)
    content_updated_at = models.DateTimeField(null=True, blank=True, editable=False)
    download_count = models.PositiveIntegerField(_("downloads"), default=0, editable=False)
    # The preview of the main file's latest version (the library's thumbnail).
    thumbnail = models.FileField(max_length=300, blank=True, editable=False)
    search_vector = SearchVectorField(null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AssetQuerySet.as_manager()

    class Meta:
        ordering = ["-live_at", "-id"]
        verbose_name = _("asset")
        verbose_name_plural = _("assets")
        indexes = [
            models.Index(fields=["status", "live_at"], name="asset_status_live"),
            models.Index(fields=["-download_count", "-id"], name="asset_downloads"),
            models.Index(fields=["title", "id"], name="asset_title"),
            # The GIN index on search_vector is made by migration 0003 on PostgreSQL only.
        ]

    def __str__(self) -> str:
        return self.title


def asset_file_path(instance: AssetVersion, filename: str) -> str:
    # `filename` is the validator's random name; the asset's UUID only groups files.
    return f"assets/{instance.asset.uuid}/{filename}"


class AssetVersion(models.Model):
    """One uploaded file of an asset: a version of one language variant.

    Version numbers count per (asset, language); `is_current` marks the latest of
    each variant, which is what partners get. Older versions stay as history.
    """

    class Preview(models.TextChoices):
        PENDING = "pending", _("Being made")
        READY = "ready", _("Ready")
        NONE = "none", _("Not available for this type")
        FAILED = "failed", _("Failed")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="versions")
    language = models.ForeignKey(
        Language,
        verbose_name=_("language"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    number = models.PositiveIntegerField(_("version"))
    is_current = models.BooleanField(default=True, editable=False)
    file = models.FileField(_("file"), upload_to=asset_file_path, max_length=300)
    original_name = models.CharField(_("uploaded as"), max_length=200, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.BigIntegerField(_("size (bytes)"))
    file_kind = models.CharField(_("file type"), max_length=10)
    content_type = models.CharField(_("content type"), max_length=120)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    page_count = models.PositiveIntegerField(null=True, blank=True)
    change_note = models.TextField(_("change note"), blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    preview = models.FileField(max_length=300, blank=True, editable=False)
    preview_state = models.CharField(
        max_length=10, choices=Preview.choices, default=Preview.PENDING, editable=False
    )
    download_count = models.PositiveIntegerField(_("downloads"), default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["asset", "language", "-number"]
        verbose_name = _("asset version")
        verbose_name_plural = _("asset versions")
        constraints = [
            models.UniqueConstraint(
                fields=["asset", "language", "number"],
                condition=Q(language__isnull=False),
                name="assetversion_number_per_language",
            ),
            models.UniqueConstraint(
                fields=["asset", "number"],
                condition=Q(language__isnull=True),
                name="assetversion_number_neutral",
            ),
            models.UniqueConstraint(
                fields=["asset", "language"],
                condition=Q(is_current=True, language__isnull=False),
                name="assetversion_one_current_per_language",
            ),
            models.UniqueConstraint(
                fields=["asset"],
                condition=Q(is_current=True, language__isnull=True),
                name="assetversion_one_current_neutral",
            ),
            models.CheckConstraint(condition=Q(size__gt=0), name="assetversion_size_positive"),
        ]
        indexes = [models.Index(fields=["asset", "is_current"], name="assetversion_current")]

    def __str__(self) -> str:
        language = self.language.code if self.language_id and self.language else "—"
        return f"{self.asset} v{self.number} ({language})"


class AssetEvent(models.Model):
    """The trace of a staff decision on an asset: who, when, what (written by services)."""

    class Action(models.TextChoices):
        CREATED = "created", _("Created")
        CHANGED = "changed", _("Changed")
        VERSION_ADDED = "version_added", _("New file")
        PUBLISHED = "published", _("Published")
        ARCHIVED = "archived", _("Archived")

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    detail = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("asset event")
        verbose_name_plural = _("asset history")

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.detail}".strip()


class DownloadRecord(models.Model):
    """One download by a partner: who, which version, co-branded or not, when."""

    class Channel(models.TextChoices):
        PORTAL = "portal", _("Portal")
        API = "api", _("API")

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    api_key = models.ForeignKey(
        "partners.PartnerAPIKey",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="downloads")
    version = models.ForeignKey(AssetVersion, on_delete=models.PROTECT, related_name="downloads")
    cobranded = models.BooleanField(_("co-branded"), default=False)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.PORTAL)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = ScopedManager(partner="partner")

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("download")
        verbose_name_plural = _("downloads")
        indexes = [models.Index(fields=["asset", "partner"], name="download_asset_partner")]

    def __str__(self) -> str:
        return f"{self.partner_id} ← {self.version_id} at {self.at:%Y-%m-%d %H:%M}"


class CobrandedCopy(models.Model):
    """A partner's personalised copy of one version, for one co-branding revision.

    A new version or a changed profile (a new `cobranding_revision`) means a new row:
    cached copies are never stale, only superseded.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Preparing")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    version = models.ForeignKey(AssetVersion, on_delete=models.CASCADE, related_name="+")
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    cobranding_revision = models.PositiveIntegerField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    file = models.FileField(max_length=300, blank=True)
    size = models.BigIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(partner="partner")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("co-branded copy")
        verbose_name_plural = _("co-branded copies")
        constraints = [
            models.UniqueConstraint(
                fields=["version", "partner", "cobranding_revision"],
                name="cobrandedcopy_one_per_revision",
            )
        ]

    def __str__(self) -> str:
        return f"{self.version} for partner {self.partner_id} (rev {self.cobranding_revision})"


class LibraryVisit(models.Model):
    """When a partner user last looked at the library, for "new since your last visit"."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="library_visit"
    )
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    seen_at = models.DateTimeField()
    previous_seen_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(partner="partner")

    class Meta:
        verbose_name = _("library visit")
        verbose_name_plural = _("library visits")

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.seen_at:%Y-%m-%d %H:%M}"

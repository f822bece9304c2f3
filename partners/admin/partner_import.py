"""The partner CSV import of the admin (django-import-export): upload, dry-run preview,
confirm.

Each row creates one partner through `partner_create` (so the audit trail records who
imported it); an import never changes an existing partner: a slug that exists, or
appears twice in the file, is a row error. Any row error shows every row's errors and
imports nothing (the import runs in one transaction). Columns are those of the partner
export (`PartnerAdmin.export_csv`), so an exported file, with new slugs, imports back:
tier by slug, regions and languages by code (separated by spaces), channel manager by
username; other columns (uuid, created_at) are ignored.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, resources, widgets
from import_export.forms import ImportForm

from assets.validation import validate_upload
from partners.models import Language, Partner, Region, Tier
from partners.services import partner_create
from partners.services.languages import set_languages_in_order, staff_language

IMPORT_KINDS = frozenset({"csv"})
TEXT_COLUMNS = (
    "name",
    "display_name",
    "contact_email",
    "contact_phone",
    "contact_website",
    "website",
    "address",
)


class TierWidget(widgets.ForeignKeyWidget):
    def __init__(self) -> None:
        super().__init__(Tier, field="slug")

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Tier:
        slug = (value or "").strip()
        if not slug:
            raise ValueError(_("Give the tier's slug."))
        tier = Tier.objects.filter(slug=slug).first()
        if tier is None:
            known = ", ".join(Tier.objects.order_by("rank").values_list("slug", flat=True))
            raise ValueError(
                _("No tier “%(slug)s”; known tiers: %(known)s.") % {"slug": slug, "known": known}
            )
        return tier

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return value.slug if value else ""


class CodesWidget(widgets.ManyToManyWidget):
    """Regions or languages by code, separated by spaces (as the export writes them);
    an unknown code is an error naming it."""

    def __init__(self, model: type[Region] | type[Language]) -> None:
        super().__init__(model, separator=" ", field="code")

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Any:
        codes = [code.strip() for code in (value or "").replace(",", " ").split() if code.strip()]
        found = self.model.objects.filter(code__in=codes)
        unknown = sorted(set(codes) - {item.code for item in found})
        if unknown:
            raise ValueError(
                _("Unknown %(what)s code(s): %(codes)s.")
                % {"what": self.model._meta.verbose_name, "codes": ", ".join(unknown)}
            )
        return sorted(found, key=lambda item: codes.index(item.code))  # the file's order


class InOrderField(fields.Field):
    """Adds the codes one by one in the file's order (the library's `set()` adds them in
    no particular order): a partner's people read the first of its languages that ships,
    in the order staff entered them (`partners.services.languages`)."""

    def save(self, instance: Any, row: Any, is_m2m: bool = False, **kwargs: Any) -> None:
        if not is_m2m:
            super().save(instance, row, is_m2m, **kwargs)
            return
        set_languages_in_order(getattr(instance, self.attribute), self.clean(row, **kwargs) or [])


class ChannelManagerWidget(widgets.ForeignKeyWidget):
    def __init__(self) -> None:
        super().__init__(get_user_model(), field="username")

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Any:
        username = (value or "").strip()
        if not username:
            return None
        user = (
            get_user_model()
            .objects.filter(username=username, is_staff=True, is_active=True)
            .first()
        )
        if user is None:
            raise ValueError(
                _("No active staff user “%(username)s” to be the channel manager.")
                % {"username": username}
            )
        return user


def undefuse(text: Any) -> Any:
    """Undo the export's formula defusing (`config.csv_export.csv_cell`): a cell it
    wrote as '=… or '+… reads back as it was."""
    if isinstance(text, str) and text[:1] == "'" and text[1:2] in ("=", "+", "-", "@"):
        return text[1:]
    return text


class PartnerResource(resources.ModelResource):
    tier = fields.Field(attribute="tier", column_name="tier", widget=TierWidget())
    regions = fields.Field(attribute="regions", column_name="regions", widget=CodesWidget(Region))
    languages = InOrderField(
        attribute="languages", column_name="languages", widget=CodesWidget(Language)
    )
    channel_manager = fields.Field(
        attribute="channel_manager", column_name="channel_manager", widget=ChannelManagerWidget()
    )

    class Meta:
        model = Partner
        fields = (
            "name",
            "slug",
            "status",
            "tier",
            "partner_type",
            "regions",
            "languages",
            "website",
            "display_name",
            "contact_email",
            "contact_phone",
            "contact_website",
            "address",
            "channel_manager",
        )
        import_id_fields = ("slug",)
        clean_model_instances = True
        skip_unchanged = False
        use_transactions = True

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.slug_counts: Counter[str] = Counter()

    def before_import(self, dataset: Any, **kwargs: Any) -> None:
        if "slug" in (dataset.headers or []):
            self.slug_counts = Counter(
                (slug or "").strip() for slug in dataset["slug"] if (slug or "").strip()
            )

    def before_import_row(self, row: Any, **kwargs: Any) -> None:
        for column in TEXT_COLUMNS:
            if column in row:
                row[column] = undefuse(row[column])
        if "slug" in row:
            row["slug"] = (row["slug"] or "").strip()

    def get_instance(self, instance_loader: Any, row: Any) -> None:
        # Every row creates a partner; an existing slug is reported by validation.
        return None

    def import_instance(self, instance: Partner, row: Any, **kwargs: Any) -> None:
        errors: dict[str, list[str]] = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as exc:
            errors = exc.message_dict
        # The library sets regions and languages only after saving: check them now, so
        # an unknown code is a row error like the others.
        for name in ("regions", "languages"):
            if name in row:
                try:
                    self.fields[name].widget.clean(row[name])
                except ValueError as exc:
                    errors.setdefault(name, []).append(str(exc))
        slug = row.get("slug") or ""
        if self.slug_counts.get(slug, 0) > 1:
            errors.setdefault("slug", []).append(
                _("The slug “%(slug)s” appears in %(n)d rows of the file.")
                % {"slug": slug, "n": self.slug_counts[slug]}
            )
        elif slug and Partner.objects.filter(slug=slug).exists():
            errors.setdefault("slug", []).append(
                _("A partner with the slug “%(slug)s” already exists.") % {"slug": slug}
            )
        if errors:
            raise ValidationError(errors)

    def validate_instance(
        self, instance: Partner, import_validation_errors: Any = None, validate_unique: bool = True
    ) -> None:
        # The slug's uniqueness is checked above with a clearer message.
        super().validate_instance(instance, import_validation_errors, validate_unique=False)

    def save_instance(self, instance: Partner, is_create: bool, row: Any, **kwargs: Any) -> None:
        actor = kwargs.get("user")
        values = {
            name: getattr(instance, name)
            for name in (
                "name",
                "slug",
                "status",
                "tier",
                "partner_type",
                "website",
                "display_name",
                "contact_email",
                "contact_phone",
                "contact_website",
                "address",
                "channel_manager",
            )
        }
        with staff_language():  # the audit trail's reason
            reason = _("Imported from a CSV file")
        created = partner_create(
            actor=actor if getattr(actor, "pk", None) else None, reason=reason, **values
        )
        # The library saves regions and languages next, on this same object.
        instance.pk = created.pk
        instance.uuid = created.uuid
        instance._state.adding = False


class PartnerImportForm(ImportForm):
    """The library's upload form; the file passes the one upload validator first."""

    def clean_import_file(self) -> Any:
        upload = self.cleaned_data["import_file"]
        try:
            validate_upload(
                upload,
                field="import_file",
                allowed=IMPORT_KINDS,
                max_bytes=getattr(settings, "PARTNER_IMPORT_MAX_BYTES", 2 * 1024 * 1024),
            )
        except ValidationError as exc:
            raise forms.ValidationError(exc.message_dict["import_file"]) from exc
        upload.seek(0)
        return upload


IMPORT_HELP = gettext_lazy(
    "Columns: name, slug, status, tier (slug), partner_type, regions and languages "
    "(codes separated by spaces), website, display_name, contact_email, contact_phone, "
    "contact_website, address, channel_manager (username). The partner export writes them."
)

"""The protected-accounts CSV import (django-import-export), as the partner import
(`partners.admin.partner_import`): upload, dry-run preview, confirm.

Columns: domain, company, country, note. The domain is read as registrations read it
(`normalise_domain`: lower case, no scheme, path or `www.`), so a protected account
matches the registrations of its customer. A domain already protected updates that
account's company, country and note (a re-imported list refreshes itself); a domain
that appears twice in the file, a bad domain, a missing company or a country that is
not a known ISO 3166 code is an error at its row and column. Any row error imports nothing
(the import runs in one transaction and the confirm step is not offered).
"""

from __future__ import annotations

import contextlib
from collections import Counter
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, resources

from deals.models import ProtectedAccount
from deals.services import normalise_domain
from partners.admin.partner_import import undefuse
from partners.selectors import is_country

COLUMNS = ("domain", "company", "country", "note")

IMPORT_HELP = gettext_lazy(
    "Columns: domain (e.g. example.com), company, country (two-letter code, e.g. DE; "
    "may be empty), note (may be empty). A domain already on the list updates its "
    "account. Any error imports nothing."
)


class ProtectedAccountResource(resources.ModelResource):
    domain = fields.Field(attribute="domain", column_name="domain")
    company = fields.Field(attribute="company", column_name="company")
    country = fields.Field(attribute="country", column_name="country")
    note = fields.Field(attribute="note", column_name="note")

    class Meta:
        model = ProtectedAccount
        fields = COLUMNS
        import_id_fields = ("domain",)
        clean_model_instances = True
        skip_unchanged = False
        use_transactions = True

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.domain_rows: Counter[str] = Counter()

    def before_import(self, dataset: Any, **kwargs: Any) -> None:
        missing = [
            column for column in ("domain", "company") if column not in (dataset.headers or [])
        ]
        if missing:
            raise ValidationError(
                _("The file has no column %(columns)s; its first line names the columns: %(all)s.")
                % {"columns": ", ".join(missing), "all": ", ".join(COLUMNS)}
            )
        self.domain_rows = Counter()
        for raw in dataset["domain"]:
            try:
                self.domain_rows[normalise_domain(undefuse(raw or ""))] += 1
            except ValidationError:
                continue

    def before_import_row(self, row: Any, **kwargs: Any) -> None:
        """Read each cell as people wrote it; a bad domain stays as written and is
        reported in `import_instance`, at its column."""
        for column in COLUMNS:
            if column in row:
                row[column] = str(undefuse(row[column] or "")).strip()
        if row.get("country"):
            row["country"] = row["country"].upper()
        with contextlib.suppress(ValidationError):
            row["domain"] = normalise_domain(row.get("domain") or "")

    def import_instance(self, instance: ProtectedAccount, row: Any, **kwargs: Any) -> None:
        errors: dict[str, list[str]] = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as exc:
            errors = exc.message_dict
        raw_domain = row.get("domain") or ""
        try:
            domain = normalise_domain(raw_domain)
        except ValidationError as exc:
            messages = exc.message_dict.get("domain", exc.messages)
            errors.setdefault("domain", []).extend(messages)
        else:
            if self.domain_rows.get(domain, 0) > 1:
                errors.setdefault("domain", []).append(
                    _("The domain “%(domain)s” appears in %(n)d rows of the file.")
                    % {"domain": domain, "n": self.domain_rows[domain]}
                )
        if not (row.get("company") or "").strip():
            errors.setdefault("company", []).append(_("Give the customer's company name."))
        country = row.get("country") or ""
        if country and not is_country(country):
            errors.setdefault("country", []).append(
                _("“%(value)s” is not a country code (two letters, e.g. DE, US).")
                % {"value": country}
            )
        if errors:
            raise ValidationError(errors)

    def validate_instance(
        self,
        instance: ProtectedAccount,
        import_validation_errors: Any = None,
        validate_unique: bool = True,
    ) -> None:
        # The domain is the import's key: a known one updates its account.
        super().validate_instance(instance, import_validation_errors, validate_unique=False)

    def save_instance(
        self, instance: ProtectedAccount, is_create: bool, row: Any, **kwargs: Any
    ) -> None:
        actor = kwargs.get("user")
        if is_create and getattr(actor, "pk", None):
            instance.added_by = actor
        super().save_instance(instance, is_create, row, **kwargs)

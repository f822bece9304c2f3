"""Results uploaded as CSV by partners without an integration.

The file's rows become the same event dicts the API takes (one column per field, a
header row naming them) and go through the same `analytics.ingest`, with the same
source as the partner's API keys, so moving from CSV to the API never counts an event
twice. The file passes `assets.validation` first (content sniffed as CSV, size limit).
Errors are shown by row (the header is row 1) and column; nothing of a file with an
error is stored. Partner admins and marketers upload (those who run campaigns);
sales reps see the page refused, as for fund requests.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View
from django_scopes import scope

from analytics import ingest
from assets.validation import RESULTS_CSV_KINDS, validate_upload
from campaigns.models import Launch
from partners.models import Membership
from partners.scoping import PortalAccessMixin

UPLOAD_ROLES = frozenset({Membership.Role.ADMIN, Membership.Role.MARKETER})
REQUIRED_COLUMNS = ("external_id", "kind", "occurred_at")
# What each column holds, as the page's help table says it.
COLUMN_HELP = (
    ("external_id", True, gettext_lazy("Your id of the result (at most 200 characters).")),
    ("kind", True, gettext_lazy("lead, mql, opportunity, won or lost.")),
    (
        "occurred_at",
        True,
        gettext_lazy("When, with the time zone offset: 2026-03-01T14:30:00+01:00."),
    ),
    ("launch", False, gettext_lazy("The tracking code of one of your launches.")),
    ("kit", False, gettext_lazy("The campaign kit's slug, when there is no launch.")),
    (
        "amount",
        False,
        gettext_lazy("Required for opportunity and won: 12500.00 (a point for decimals)."),
    ),
    ("currency", False, gettext_lazy("With an amount: a three-letter code, like EUR.")),
    ("company", False, gettext_lazy("The customer's company name.")),
    (
        "email_domain",
        False,
        gettext_lazy("The contact's domain only, like example.com (never an address)."),
    ),
    ("partner", False, gettext_lazy("Your partner's slug; may be left out.")),
)


class ResultsUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=gettext_lazy("UTF-8, a header row, up to 5,000 results."),
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".csv,text/csv"}),
    )


class CsvProblem(Exception):
    """The file as a whole cannot be read as the results CSV."""


def rows_from_csv(content: bytes) -> tuple[list[dict[str, str]], list[int]]:
    """The data rows as event dicts (empty cells left out) and each one's row number
    in the file (the header is row 1); CsvProblem for a file that is not one."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CsvProblem(_("Save the file as CSV in UTF-8 and upload it again.")) from None
    first_line = text.split("\n", 1)[0]
    try:
        dialect: Any = csv.Sniffer().sniff(first_line, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    # strict: a quote left open is an error, not a cell that swallows the rest.
    reader = csv.reader(io.StringIO(text, newline=""), dialect, strict=True)
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        raise CsvProblem(_("The file is empty.")) from None
    unknown = [name for name in header if name not in ingest.FIELDS]
    if unknown:
        raise CsvProblem(
            _("Row 1: unknown column “%(name)s”. The columns are: %(columns)s.")
            % {"name": unknown[0], "columns": ", ".join(ingest.FIELDS)}
        )
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise CsvProblem(_("Row 1: the column “%(name)s” appears twice.") % {"name": repeated[0]})
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise CsvProblem(
            _("Row 1: the header lacks the column(s) %(names)s.") % {"names": ", ".join(missing)}
        )
    rows: list[dict[str, str]] = []
    numbers: list[int] = []
    try:
        # Records, as a spreadsheet numbers its rows (a quoted cell may span lines).
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            if any(cell.strip() for cell in cells[len(header) :]):
                raise CsvProblem(
                    _("Row %(row)s has more cells than the header has columns.") % {"row": number}
                )
            rows.append(
                {
                    name: cell.strip()
                    for name, cell in zip(header, cells, strict=False)
                    if cell.strip()
                }
            )
            numbers.append(number)
    except csv.Error as exc:
        raise CsvProblem(
            _("The file is not a readable CSV (%(error)s).") % {"error": exc}
        ) from None
    if not rows:
        raise CsvProblem(_("The file has a header but no results."))
    return rows, numbers


class ResultsUploadView(PortalAccessMixin, View):
    allowed_roles = UPLOAD_ROLES
    template_name = "analytics/results_upload.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        if request.GET.get("example"):
            return self.example(request)
        return self.render(ResultsUploadForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ResultsUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render(form, status=400)
        upload = form.cleaned_data["file"]
        try:
            validate_upload(
                upload,
                field="file",
                allowed=RESULTS_CSV_KINDS,
                max_bytes=settings.RESULTS_MAX_BODY_SIZE,
            )
            upload.seek(0)
            rows, numbers = rows_from_csv(upload.read())
        except ValidationError as exc:
            for message in exc.message_dict.get("file", exc.messages):
                form.add_error("file", message)
            return self.render(form, status=400)
        except CsvProblem as exc:
            form.add_error("file", str(exc))
            return self.render(form, status=400)
        caller = ingest.Caller(user=request.user, partner=request.partner)  # type: ignore[attr-defined]
        try:
            result = ingest.ingest_events(payload=rows, caller=caller)
        except ingest.BatchRejected as rejected:
            problems = [
                {
                    "row": numbers[error.index] if error.index is not None else None,
                    "column": error.field if error.field in ingest.FIELDS else "",
                    "message": error.message,
                }
                for error in rejected.errors
            ]
            form.add_error(
                None,
                ngettext(
                    "Nothing was saved: %(count)s problem in the file. "
                    "Correct it and upload the file again.",
                    "Nothing was saved: %(count)s problems in the file. "
                    "Correct them and upload the file again.",
                    len(problems),
                )
                % {"count": len(problems)},
            )
            return self.render(form, problems=problems, status=400)
        messages.success(
            request,
            ngettext(
                "%(created)s new result saved", "%(created)s new results saved", result.created
            )
            % {"created": result.created}
            + "; "
            + ngettext(
                "%(duplicates)s was already recorded.",
                "%(duplicates)s were already recorded.",
                result.duplicates,
            )
            % {"duplicates": result.duplicates},
        )
        return HttpResponseRedirect(reverse("performance:results_upload"))

    def render(
        self,
        form: ResultsUploadForm,
        *,
        problems: list[dict[str, Any]] | None = None,
        status: int = 200,
    ) -> HttpResponse:
        return render(
            self.request,
            self.template_name,
            {
                "form": form,
                "problems": problems or [],
                "columns": COLUMN_HELP,
                "max_events": ingest.MAX_EVENTS,
            },
            status=status,
        )

    def example(self, request: HttpRequest) -> HttpResponse:
        """A small CSV to start from: recent dates, one of the partner's launch codes."""
        partner = request.partner  # type: ignore[attr-defined]
        with scope(partner=partner):
            code = Launch.objects.filter(partner=partner).values_list("code", flat=True).first()
        code = code or ""
        today = timezone.localdate()

        def when(days_ago: int, time: str) -> str:
            return f"{today - timedelta(days=days_ago):%Y-%m-%d}T{time}+00:00"

        domain = "initech.example"
        lines = [
            ["external_id", "kind", "occurred_at", "launch", "amount", "currency", "company",
             "email_domain"],
            ["lead-1001", "lead", when(30, "14:30:00"), code, "", "", "Initech", domain],
            ["opp-2001", "opportunity", when(20, "09:00:00"), code, "25000.00", "EUR", "Initech",
             domain],
            ["deal-2001", "won", when(5, "16:45:00"), code, "24000.00", "EUR", "Initech", domain],
        ]  # fmt: skip
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerows(lines)
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="results-example.csv"'
        return response

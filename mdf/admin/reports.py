"""MDF reports for analysts and managers: the report tables of `mdf.reports`, for all
pools or one, on a page and as CSV downloads.

The page hangs off the fund pool admin (`admin:mdf_reports`, see `pools.py`)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.utils.translation import gettext_lazy as _

from config.csv_export import csv_response
from mdf import reports
from mdf.admin.common import StaffPageMixin, pools_newest_first
from mdf.models import FundPool


class ReportPages(StaffPageMixin):
    """The reports page (`reports_view`) of the fund pool admin."""

    def reports_view(self, request: HttpRequest) -> HttpResponseBase:
        if not request.user.has_perm("mdf.view_fundpool"):
            raise PermissionDenied
        pool_id = request.GET.get("pool", "")
        pool = FundPool.objects.filter(pk=pool_id).first() if pool_id.isdigit() else None
        tables = reports.report_tables(pool=pool)
        export = request.GET.get("export")
        if export:
            if export not in tables:
                raise Http404
            _title, header, rows = tables[export]
            return csv_response(f"mdf-{export}", header, rows)
        return self.page(
            request,
            "reports.html",
            _("MDF reports"),
            tables=tables,
            pools=pools_newest_first(),
            pool=pool,
        )

"""Pieces every MDF staff page shares: service errors shown on forms, CSV downloads,
SLA badges and buttons, read-only admins, and custom pages rendered in the admin's
layout (with the object lookup behind them)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from mdf import clock, selectors
from mdf.models import FINANCE_PERMISSION, FundPool
from mdf.money import format_money
from partners.admin.core import ReadOnlyAdmin  # noqa: F401 - the admin pages of mdf use it from here

FINANCE = FINANCE_PERMISSION


def money_column(field: str, description: Any, currency: Callable[[Any], str]) -> Callable:
    """A list column showing an amount in the one money format ("2,200.00 USD")."""

    @admin.display(description=description, ordering=field)
    def column(obj: Any) -> str:
        value = getattr(obj, field)
        return "—" if value is None else format_money(value, currency(obj))

    return column


def money_record(
    model: Any, fields: list[str], money: Iterable[str], currency: Callable[[Any], str]
) -> list[Any]:
    """A read-only record's fields, with its amounts in the one money format (the admin
    shows a bare DecimalField as "1000.00"), labelled as the model labels them."""
    money = set(money)
    return [
        money_column(name, model._meta.get_field(name).verbose_name, currency)
        if name in money
        else name
        for name in fields
    ]


def pools_newest_first() -> QuerySet[FundPool]:
    """Pools as every pool picker lists them: the latest period first."""
    return FundPool.objects.order_by("-period_start", "name")


def show_errors(form: forms.Form, exc: ValidationError, fields: Iterable[str]) -> None:
    """Put a service's errors on the form: on the named field when the form has it
    (and it is one of `fields`), otherwise above the form."""
    fields = set(fields)
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for name, errors in exc.message_dict.items():
        form.add_error(name if name in fields and name in form.fields else None, errors)


def badge(text: str, colour: str) -> str:
    return format_html(
        '<span style="background:{};color:#fff;padding:2px 6px;border-radius:3px;'
        'white-space:nowrap">{}</span>',
        colour,
        text,
    )


def button(url: str, label: Any) -> str:
    """A link styled as an admin button (a queue row's next step)."""
    return format_html('<a class="button" href="{}">{}</a>', url, label)


def sla_badge(waiting_since: datetime | None, sla_days: int) -> str:
    """Business days waiting for the current decision (`selectors.request_waiting_since`,
    `selectors.claim_waiting_since`; None: not waiting), 'Overdue (N business days)' in
    red once past the pool's decision SLA."""
    if waiting_since is None:
        return "—"
    today = clock.today()
    days = selectors.business_days_between(timezone.localdate(waiting_since), today)
    if selectors.is_overdue(waiting_since, sla_days, today):
        return badge(_("Overdue (%(days)d business days)") % {"days": days}, "#ba2121")
    return _("%(days)d of %(sla)d business days") % {"days": days, "sla": sla_days}


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class StaffPageMixin:
    """Renders the custom pages inside the admin's layout."""

    admin_site: admin.AdminSite
    model: Any

    def viewable_object(self, request: HttpRequest, object_id: str) -> Any:
        """The object behind a custom page: 404 if missing, 403 if not viewable."""
        obj = self.get_object(request, unquote(object_id))  # type: ignore[attr-defined]
        if obj is None:
            raise Http404
        if not self.has_view_permission(request, obj):  # type: ignore[attr-defined]
            raise PermissionDenied
        return obj

    def page(
        self, request: HttpRequest, template: str, title: Any, **context: Any
    ) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title,
            **context,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, f"admin/mdf/{template}", context)

"""List filters for staff lists of partner-owned rows (plans, deal registrations):
by the partner's tier and by its channel manager. The row's model needs a `partner`
foreign key; staff lists run with scopes disabled (the admin middleware)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from partners.models import Tier


class PartnerTierFilter(admin.SimpleListFilter):
    title = _("tier")
    parameter_name = "tier"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[Any, Any]]:
        return [(tier.pk, tier.name) for tier in Tier.objects.order_by("rank")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value():
            return queryset.filter(partner__tier=self.value())
        return queryset


class PartnerChannelManagerFilter(admin.SimpleListFilter):
    """The channel managers of the partners that have rows in this list."""

    title = _("channel manager")
    parameter_name = "manager"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[Any, Any]]:
        managers = (
            model_admin.model.objects.exclude(partner__channel_manager=None)
            .values_list(
                "partner__channel_manager",
                "partner__channel_manager__first_name",
                "partner__channel_manager__last_name",
                "partner__channel_manager__username",
            )
            .distinct()
            .order_by("partner__channel_manager__username")
        )
        return [
            (pk, f"{first} {last}".strip() or username) for pk, first, last, username in managers
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value():
            return queryset.filter(partner__channel_manager=self.value())
        return queryset

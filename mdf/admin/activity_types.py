"""The MDF catalogue for marketing admins: the activity types partners may ask funds
for, and the kinds of proof of performance each one needs."""

from __future__ import annotations

from django.contrib import admin

from mdf.models import ActivityType, ProofKind


@admin.register(ActivityType)
class ActivityTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "active"]
    list_filter = ["active"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["proof_kinds"]


@admin.register(ProofKind)
class ProofKindAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "help_text"]
    prepopulated_fields = {"slug": ["name"]}

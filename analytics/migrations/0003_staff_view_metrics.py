"""The staff analytics pages: marketing admins, channel managers and analysts may view
the daily metrics (`analytics.view_dailymetric`, what the pages check; see
partners.roles)."""

from django.db import migrations

from partners.roles import ANALYST, CHANNEL_MANAGER, MARKETING_ADMIN, grant

PERMISSION = "analytics.view_dailymetric"
ROLES = (MARKETING_ADMIN, CHANNEL_MANAGER, ANALYST)


def forward(apps, schema_editor):
    grant(apps, dict.fromkeys(ROLES, [PERMISSION]))


def reverse(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    permission = Permission.objects.filter(
        content_type__app_label="analytics", codename="view_dailymetric"
    )
    for group in Group.objects.filter(name__in=ROLES):
        group.permissions.remove(*permission)


class Migration(migrations.Migration):
    dependencies = [("analytics", "0002_initial"), ("partners", "0002_staff_roles")]

    operations = [migrations.RunPython(forward, reverse)]

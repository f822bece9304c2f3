"""Content library permissions for the staff roles (see partners.roles)."""

from django.db import migrations

from partners.roles import ANALYST, CHANNEL_MANAGER, MARKETING_ADMIN, grant

MANAGED = ("asset", "assetversion", "category", "tag")
VIEW = [f"assets.view_{model}" for model in (*MANAGED, "downloadrecord", "assetevent")]
ASSET_ROLE_PERMISSIONS = {
    MARKETING_ADMIN: [
        *VIEW,
        *(f"assets.{action}_{model}" for model in MANAGED for action in ("add", "change", "delete")),
        "assets.view_cobrandedcopy",
    ],
    CHANNEL_MANAGER: VIEW,
    ANALYST: VIEW,
}


def forward(apps, schema_editor):
    grant(apps, ASSET_ROLE_PERMISSIONS)


def reverse(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    for group in Group.objects.filter(name__in=list(ASSET_ROLE_PERMISSIONS)):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="assets"))


class Migration(migrations.Migration):
    dependencies = [("assets", "0001_initial"), ("partners", "0002_staff_roles")]

    operations = [migrations.RunPython(forward, reverse)]

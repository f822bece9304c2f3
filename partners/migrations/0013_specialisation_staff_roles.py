"""Specialisations for the staff roles (see partners.roles): marketing admins keep the
list (leads are routed by it); channel managers and analysts read it. Which partner
holds which specialisation is part of the partner (`partners.change_partner`)."""

from django.db import migrations

from partners.roles import ANALYST, CHANNEL_MANAGER, MARKETING_ADMIN, grant

SPECIALISATION_ROLE_PERMISSIONS = {
    MARKETING_ADMIN: [
        f"partners.{action}_specialisation" for action in ("add", "change", "delete", "view")
    ],
    CHANNEL_MANAGER: ["partners.view_specialisation"],
    ANALYST: ["partners.view_specialisation"],
}


def forward(apps, schema_editor):
    grant(apps, SPECIALISATION_ROLE_PERMISSIONS)


def reverse(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    permissions = Permission.objects.filter(
        content_type__app_label="partners", codename__endswith="_specialisation"
    )
    for group in Group.objects.filter(name__in=list(SPECIALISATION_ROLE_PERMISSIONS)):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [("partners", "0012_specialisations")]

    operations = [migrations.RunPython(forward, reverse)]

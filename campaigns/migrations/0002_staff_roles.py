"""Campaign permissions for the staff roles (see partners.roles): marketing admins run
the kits; every staff role reads kits and launches (finance reads the launches that
fund requests name)."""

from django.db import migrations

from partners.roles import ANALYST, CHANNEL_MANAGER, FINANCE_APPROVER, MARKETING_ADMIN, grant

VIEW = [
    f"campaigns.view_{model}"
    for model in ("campaignkit", "campaignkitevent", "launch", "launchstatuschange")
]
CAMPAIGN_ROLE_PERMISSIONS = {
    MARKETING_ADMIN: [
        *VIEW,
        "campaigns.add_campaignkit",
        "campaigns.change_campaignkit",
        "campaigns.delete_campaignkit",
    ],
    CHANNEL_MANAGER: VIEW,
    ANALYST: VIEW,
    FINANCE_APPROVER: ["campaigns.view_campaignkit", "campaigns.view_launch"],
}


def forward(apps, schema_editor):
    grant(apps, CAMPAIGN_ROLE_PERMISSIONS)


def reverse(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    for group in Group.objects.filter(name__in=list(CAMPAIGN_ROLE_PERMISSIONS)):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="campaigns"))


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0001_initial"), ("partners", "0002_staff_roles")]

    operations = [migrations.RunPython(forward, reverse)]

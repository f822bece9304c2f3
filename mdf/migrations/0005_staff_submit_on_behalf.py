"""Staff who work with partners may draft and submit requests and claims on a
partner's behalf (recorded as such; someone else then decides them): marketing
admins and channel managers. Finance approvers (who decide claims) and analysts
(read-only) do not."""

from django.db import migrations

from partners.roles import CHANNEL_MANAGER, MARKETING_ADMIN, grant

ON_BEHALF = ["mdf.add_fundrequest", "mdf.add_claim"]
ROLE_PERMISSIONS = {MARKETING_ADMIN: ON_BEHALF, CHANNEL_MANAGER: ON_BEHALF}


def forward(apps, schema_editor):
    grant(apps, ROLE_PERMISSIONS)


def reverse(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    codenames = [perm.split(".", 1)[1] for perm in ON_BEHALF]
    permissions = Permission.objects.filter(content_type__app_label="mdf", codename__in=codenames)
    for group in Group.objects.filter(name__in=list(ROLE_PERMISSIONS)):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [("mdf", "0004_event_notified_at")]

    operations = [migrations.RunPython(forward, reverse)]

"""MDF permissions for the staff roles (see partners.roles)."""

from django.db import migrations

from partners.roles import ANALYST, CHANNEL_MANAGER, FINANCE_APPROVER, MARKETING_ADMIN, grant

VIEW = [f"mdf.view_{m}" for m in (
    "fundpool", "allocation", "fundrequest", "claim", "claimproof", "ledgerentry", "mdfevent",
    "activitytype", "proofkind",
)]
MDF_ROLE_PERMISSIONS = {
    MARKETING_ADMIN: [
        *VIEW,
        *(f"mdf.{a}_{m}" for m in ("fundpool", "activitytype", "proofkind") for a in ("add", "change")),
        "mdf.add_allocation",
        "mdf.decide_any_request",
    ],
    CHANNEL_MANAGER: [*VIEW, "mdf.change_fundrequest"],
    FINANCE_APPROVER: [
        *VIEW,
        "mdf.change_fundrequest",
        "mdf.change_claim",
        "mdf.finance_approve",
        "mdf.add_allocation",
    ],
    ANALYST: VIEW,
}


def forward(apps, schema_editor):
    grant(apps, MDF_ROLE_PERMISSIONS)


def reverse(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    for group in Group.objects.filter(name__in=list(MDF_ROLE_PERMISSIONS)):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="mdf"))


class Migration(migrations.Migration):
    dependencies = [("mdf", "0002_ledger_append_only"), ("partners", "0002_staff_roles")]

    operations = [migrations.RunPython(forward, reverse)]

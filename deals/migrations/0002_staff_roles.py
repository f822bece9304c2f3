"""Deal and lead permissions for the staff roles (see partners.roles): channel managers
decide registrations and hand out leads; marketing admins run the program settings,
products, protected accounts, routing rules and weights; analysts read."""

from django.db import migrations

from partners.roles import ANALYST, CHANNEL_MANAGER, MARKETING_ADMIN, grant

DEAL_MODELS = ("deal", "dealextension", "dealconflict", "dealevent")
LEAD_MODELS = ("lead", "leadoffer", "leadroutingentry")
PROGRAM_MODELS = ("dealprogram", "product", "protectedaccount", "routingrule", "tierleadweight")
VIEW = [f"deals.view_{model}" for model in (*DEAL_MODELS, *LEAD_MODELS, *PROGRAM_MODELS)]
DEALS_ROLE_PERMISSIONS = {
    MARKETING_ADMIN: [
        *VIEW,
        "deals.change_deal",
        "deals.change_dealextension",
        "deals.add_lead",
        "deals.change_lead",
        *(
            f"deals.{action}_{model}"
            for model in PROGRAM_MODELS
            for action in ("add", "change", "delete")
        ),
    ],
    CHANNEL_MANAGER: [
        *VIEW,
        "deals.change_deal",
        "deals.change_dealextension",
        "deals.add_lead",
        "deals.change_lead",
        "deals.add_protectedaccount",
        "deals.change_protectedaccount",
    ],
    ANALYST: VIEW,
}


def forward(apps, schema_editor):
    grant(apps, DEALS_ROLE_PERMISSIONS)


def reverse(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    for role, perms in DEALS_ROLE_PERMISSIONS.items():
        group = Group.objects.filter(name=role).first()
        if group is None:
            continue
        for perm in perms:
            app_label, codename = perm.split(".", 1)
            group.permissions.remove(
                *Permission.objects.filter(content_type__app_label=app_label, codename=codename)
            )


class Migration(migrations.Migration):
    dependencies = [("deals", "0001_initial"), ("partners", "0012_specialisations")]

    operations = [migrations.RunPython(forward, reverse)]

"""Plan and review permissions for the staff roles (see partners.roles): marketing
admins open planning periods and review any plan; channel managers review their
partners' plans and run business reviews; analysts and finance read."""

from django.db import migrations

from partners.roles import ANALYST, CHANNEL_MANAGER, FINANCE_APPROVER, MARKETING_ADMIN, grant

PLAN_MODELS = (
    "planperiod",
    "plan",
    "planrevision",
    "plantarget",
    "plantargetquarter",
    "planactivity",
    "plancomment",
    "planevent",
    "businessreview",
    "actionitem",
)
VIEW = [f"campaigns.view_{model}" for model in PLAN_MODELS]
RUN_REVIEWS = [
    "campaigns.change_plan",
    "campaigns.add_businessreview",
    "campaigns.change_businessreview",
    "campaigns.add_actionitem",
    "campaigns.change_actionitem",
]
PLAN_ROLE_PERMISSIONS = {
    MARKETING_ADMIN: [
        *VIEW,
        *RUN_REVIEWS,
        "campaigns.add_planperiod",
        "campaigns.change_planperiod",
        "campaigns.delete_planperiod",
    ],
    CHANNEL_MANAGER: [*VIEW, *RUN_REVIEWS],
    ANALYST: VIEW,
    FINANCE_APPROVER: ["campaigns.view_plan", "campaigns.view_planactivity"],
}


def forward(apps, schema_editor):
    grant(apps, PLAN_ROLE_PERMISSIONS)


def reverse(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    models = Permission.objects.filter(
        content_type__app_label="campaigns", content_type__model__in=PLAN_MODELS
    )
    for group in Group.objects.filter(name__in=list(PLAN_ROLE_PERMISSIONS)):
        group.permissions.remove(*models)


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0003_joint_marketing_plans"), ("partners", "0002_staff_roles")]

    operations = [migrations.RunPython(forward, reverse)]

"""Recruitment, onboarding and enablement permissions for the staff roles (see
partners.roles): marketing admins run the program (agreements, checklist steps, tracks,
tier requirements) and review applications; channel managers review applications,
invite and confirm custom steps; analysts and finance read."""

from django.db import migrations

from partners.roles import ANALYST, CHANNEL_MANAGER, FINANCE_APPROVER, MARKETING_ADMIN, grant

MODELS = (
    "partnerapplication",
    "invitation",
    "programagreement",
    "agreementacceptance",
    "onboardingstep",
    "onboardingcompletion",
    "enablementtrack",
    "trackasset",
    "quizquestion",
    "quizchoice",
    "quizattempt",
    "certification",
    "tierrequirement",
    "tierassessment",
)
VIEW = [f"partners.view_{model}" for model in MODELS]
PROGRAM = [
    f"partners.{action}_{model}"
    for model in (
        "programagreement",
        "onboardingstep",
        "enablementtrack",
        "trackasset",
        "quizquestion",
        "quizchoice",
        "tierrequirement",
    )
    for action in ("add", "change", "delete")
]
REVIEW = [
    "partners.change_partnerapplication",
    "partners.add_invitation",
    "partners.change_invitation",
    "partners.add_onboardingcompletion",
]
ONBOARDING_ROLE_PERMISSIONS = {
    MARKETING_ADMIN: [*VIEW, *PROGRAM, *REVIEW],
    CHANNEL_MANAGER: [*VIEW, *REVIEW],
    ANALYST: VIEW,
    FINANCE_APPROVER: ["partners.view_tierassessment"],
}


def forward(apps, schema_editor):
    grant(apps, ONBOARDING_ROLE_PERMISSIONS)


def reverse(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    models = Permission.objects.filter(
        content_type__app_label="partners", content_type__model__in=MODELS
    )
    for group in Group.objects.filter(name__in=list(ONBOARDING_ROLE_PERMISSIONS)):
        group.permissions.remove(*models)


class Migration(migrations.Migration):
    dependencies = [("partners", "0008_recruitment_onboarding_enablement")]

    operations = [migrations.RunPython(forward, reverse)]

"""Voice-of-the-partner permissions for the staff roles (see partners.roles):
marketing admins define surveys and read every rating and answer; channel managers
and analysts read them (the lowest-rated content and NPS pages, the inlines)."""

from django.db import migrations

from partners.roles import ANALYST, CHANNEL_MANAGER, MARKETING_ADMIN, grant

VIEW = [
    f"partners.view_{model}"
    for model in (
        "contentrating",
        "survey",
        "surveyquestion",
        "surveyround",
        "surveyresponse",
        "surveyanswer",
        "surveysend",
    )
]
VOICE_ROLE_PERMISSIONS = {
    MARKETING_ADMIN: [
        *VIEW,
        *(
            f"partners.{action}_{model}"
            for model in ("survey", "surveyquestion")
            for action in ("add", "change", "delete")
        ),
    ],
    CHANNEL_MANAGER: VIEW,
    ANALYST: VIEW,
}


def forward(apps, schema_editor):
    grant(apps, VOICE_ROLE_PERMISSIONS)


def reverse(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    codenames = {perm.split(".", 1)[1] for perms in VOICE_ROLE_PERMISSIONS.values() for perm in perms}
    permissions = Permission.objects.filter(
        content_type__app_label="partners", codename__in=codenames
    )
    for group in Group.objects.filter(name__in=list(VOICE_ROLE_PERMISSIONS)):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [("partners", "0010_voice_of_the_partner")]

    operations = [migrations.RunPython(forward, reverse)]

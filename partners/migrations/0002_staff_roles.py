"""Staff roles as Django groups with their permissions.

Later apps extend these groups in their own migrations with the permissions of
their models, through `partners.roles.grant`.
"""

from django.db import migrations

from partners.roles import STAFF_ROLE_PERMISSIONS, grant, revoke_all


def create_roles(apps, schema_editor):
    grant(apps, STAFF_ROLE_PERMISSIONS)


def remove_roles(apps, schema_editor):
    revoke_all(apps, list(STAFF_ROLE_PERMISSIONS))


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]

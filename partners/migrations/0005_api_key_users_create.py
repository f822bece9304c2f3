"""Every existing API key gets its own user, as `api_key_create` now makes one.

Partner keys could do everything a partner admin can through the API, so their users
get the partner admin role; staff keys' users are staff. The users cannot log in
(inactive, no usable password). The label is written here rather than imported, so
this migration keeps working when the service changes.
"""

from django.contrib.auth.hashers import make_password
from django.db import migrations


def label(key) -> str:
    creator = key.created_by
    if creator is None:
        by = "the operator (command line)"
    else:
        by = f"{creator.first_name} {creator.last_name}".strip() or creator.username
    return f"API key ‘{key.name}’, created by {by}"[:150]


def create_users(apps, schema_editor):
    PartnerAPIKey = apps.get_model("partners", "PartnerAPIKey")
    Membership = apps.get_model("partners", "Membership")
    User = apps.get_model("auth", "User")
    for key in PartnerAPIKey.objects.filter(user__isnull=True).select_related("created_by"):
        user = User.objects.create(
            username=f"api-key:{key.prefix}",
            first_name=label(key),
            is_active=False,
            is_staff=key.partner_id is None,
            password=make_password(None),
        )
        if key.partner_id is not None:
            Membership.objects.create(user=user, partner_id=key.partner_id, role="admin")
        key.user = user
        key.save(update_fields=["user"])


class Migration(migrations.Migration):
    dependencies = [("partners", "0004_api_key_user")]

    # Backwards: 0004's reversal drops the column; the users stay, as trails name them.
    operations = [migrations.RunPython(create_users, migrations.RunPython.noop)]

import hashlib
import secrets

from django.db import migrations, models


def fill_unsent_hashes(apps, schema_editor):
    # Going back to a required hash: an invitation whose email was not sent yet gets the
    # hash of a token nobody holds (its link never worked; a resend sends a new one).
    Invitation = apps.get_model("partners", "Invitation")
    for invitation in Invitation.objects.filter(token_hash__isnull=True).only("pk"):
        invitation.token_hash = hashlib.sha256(secrets.token_bytes(32)).hexdigest()
        invitation.save(update_fields=["token_hash"])


class Migration(migrations.Migration):

    dependencies = [
        ('partners', '0016_identityproviderdomain_approval'),
    ]

    operations = [
        migrations.AlterField(
            model_name='invitation',
            name='token_hash',
            field=models.CharField(editable=False, max_length=64, null=True, unique=True),
        ),
        # Runs before the field is required again when migrating backwards.
        migrations.RunPython(migrations.RunPython.noop, fill_unsent_hashes),
    ]

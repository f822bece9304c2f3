"""Proof file names stored before uploads' names were cleaned (`..%2f..%2finvoice.pdf`)
read as people now see every uploaded name: `assets.validation.display_name`."""

from django.db import migrations


def clean_names(apps, schema_editor):
    from assets.validation import display_name

    ClaimProof = apps.get_model("mdf", "ClaimProof")
    for proof in ClaimProof.objects.only("pk", "original_name").iterator():
        cleaned = display_name(proof.original_name)
        if cleaned != proof.original_name:
            ClaimProof.objects.filter(pk=proof.pk).update(original_name=cleaned)


class Migration(migrations.Migration):
    dependencies = [("mdf", "0009_actor_indexes_for_user_deletion")]

    # The names as uploaded are not kept anywhere else: going back leaves them cleaned.
    operations = [migrations.RunPython(clean_names, migrations.RunPython.noop)]

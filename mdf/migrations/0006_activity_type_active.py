"""Activity types can be retired: kept by the requests that have them, not offered
to new ones. Every existing type stays offered."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('mdf', '0005_staff_submit_on_behalf'),
    ]

    operations = [
        migrations.AddField(
            model_name='activitytype',
            name='active',
            field=models.BooleanField(default=True, help_text='Untick to retire the type: requests that have it keep it (and are claimed as before), new requests cannot choose it.', verbose_name='offered to partners'),
        ),
    ]

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('analytics', '0005_dailymetric_fillfactor'),
        ('campaigns', '0005_plan_event_system_actor'),
        ('partners', '0013_specialisation_staff_roles'),
    ]

    operations = [
        migrations.AlterField(
            model_name='resultevent',
            name='launch',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='campaigns.launch'),
        ),
        migrations.AlterField(
            model_name='resultevent',
            name='partner',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='partners.partner'),
        ),
    ]

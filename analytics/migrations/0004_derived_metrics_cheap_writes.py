"""DailyMetric is derived data: cheaper writes for the rollup and the rebuild.

Its foreign keys lose their database constraints (the events the rows are computed
from enforce theirs; Django still cascades deletes) and their single-column indexes;
the bucket key is reordered to lead with (partner, day), so it also serves the
partner's period reads in place of `dailymetric_partner_day`, and (kit, day) replaces
the kit's single-column index. Reversible: Django puts every piece back.
"""

import django.db.models.deletion
import django.db.models.functions.comparison
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('analytics', '0003_staff_view_metrics'),
        ('campaigns', '0002_staff_roles'),
        ('partners', '0007_audit_membership_field'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='dailymetric',
            name='dailymetric_bucket',
        ),
        migrations.RemoveIndex(
            model_name='dailymetric',
            name='dailymetric_partner_day',
        ),
        migrations.AlterField(
            model_name='dailymetric',
            name='kit',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='campaigns.campaignkit'),
        ),
        migrations.AlterField(
            model_name='dailymetric',
            name='launch',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='campaigns.launch'),
        ),
        migrations.AlterField(
            model_name='dailymetric',
            name='partner',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='partners.partner'),
        ),
        migrations.AddIndex(
            model_name='dailymetric',
            index=models.Index(fields=['kit', 'day'], name='dailymetric_kit_day'),
        ),
        migrations.AddConstraint(
            model_name='dailymetric',
            constraint=models.UniqueConstraint(models.F('partner'), models.F('day'), django.db.models.functions.comparison.Coalesce('kit', models.Value(0)), django.db.models.functions.comparison.Coalesce('launch', models.Value(0)), models.F('currency'), name='dailymetric_bucket'),
        ),
    ]

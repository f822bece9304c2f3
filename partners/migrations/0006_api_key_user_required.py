from django.conf import settings
from django.db import migrations, models
import django.db.models.deletion


class Migration(migrations.Migration):
    # Its own migration: PostgreSQL refuses to alter a table that has pending trigger
    # events from the data migration before it (0005) in the same transaction.
    dependencies = [("partners", "0005_api_key_users_create")]

    operations = [
        migrations.AlterField(
            model_name="partnerapikey",
            name="user",
            field=models.OneToOneField(
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="api_key",
                to=settings.AUTH_USER_MODEL,
                verbose_name="acts as",
            ),
        ),
    ]

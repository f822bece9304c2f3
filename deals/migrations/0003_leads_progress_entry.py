"""Lead routing history: the partner's progress on an accepted lead ("worked"), so staff
see a lead being worked after hand-off (deals.services.leads.lead_work)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("deals", "0002_staff_roles"),
    ]

    operations = [
        migrations.AlterField(
            model_name="leadroutingentry",
            name="action",
            field=models.CharField(
                choices=[
                    ("created", "Received"),
                    ("offered", "Offered"),
                    ("accepted", "Accepted"),
                    ("declined", "Declined"),
                    ("expired", "Not answered in time"),
                    ("withdrawn", "Withdrawn by staff"),
                    ("returned", "Back with staff: no partner left"),
                    ("converted", "Converted to a deal registration"),
                    ("closed", "Closed"),
                    ("worked", "Progress updated"),
                ],
                max_length=12,
            ),
        ),
    ]

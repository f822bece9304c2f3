import django.core.validators
import django.db.models.deletion
import uuid
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('campaigns', '0002_staff_roles'),
        ('mdf', '0011_fundrequest_launch'),
        ('partners', '0007_audit_membership_field'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Plan',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('uuid', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ('title', models.CharField(max_length=200, verbose_name='title')),
                ('objectives', models.TextField(blank=True, verbose_name='objectives')),
                ('status', models.CharField(choices=[('draft', 'Draft'), ('submitted', 'Submitted'), ('changes_requested', 'Changes requested'), ('approved', 'Approved'), ('closed', 'Closed')], default='draft', max_length=20, verbose_name='status')),
                ('revision', models.PositiveIntegerField(default=1, editable=False, verbose_name='revision')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('submitted_at', models.DateTimeField(blank=True, editable=False, null=True)),
                ('approved_at', models.DateTimeField(blank=True, editable=False, null=True)),
                ('closed_at', models.DateTimeField(blank=True, editable=False, null=True)),
                ('scorecard', models.JSONField(blank=True, editable=False, null=True)),
                ('approved_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('closed_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('created_by', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('partner', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='plans', to='partners.partner')),
                ('reviewer', models.ForeignKey(blank=True, help_text="Empty: the partner's channel manager.", limit_choices_to={'is_active': True, 'is_staff': True}, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='plans_to_review', to=settings.AUTH_USER_MODEL, verbose_name='reviewer')),
            ],
            options={
                'verbose_name': 'joint marketing plan',
                'verbose_name_plural': 'joint marketing plans',
                'ordering': ['-period__start', 'partner__name'],
            },
        ),
        migrations.CreateModel(
            name='BusinessReview',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('uuid', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ('title', models.CharField(max_length=200, verbose_name='title')),
                ('scheduled_at', models.DateTimeField(verbose_name='date and time')),
                ('other_attendees', models.CharField(blank=True, help_text='Names, comma separated.', max_length=500, verbose_name='other attendees')),
                ('status', models.CharField(choices=[('scheduled', 'Scheduled'), ('held', 'Held'), ('cancelled', 'Cancelled')], default='scheduled', max_length=12, verbose_name='status')),
                ('notes', models.TextField(blank=True, verbose_name='notes')),
                ('held_at', models.DateTimeField(blank=True, editable=False, null=True)),
                ('snapshot', models.JSONField(blank=True, editable=False, null=True)),
                ('reminder_sent_at', models.DateTimeField(blank=True, editable=False, null=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('attendees', models.ManyToManyField(blank=True, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='attendees')),
                ('created_by', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('held_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('partner', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='partners.partner')),
                ('plan', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='reviews', to='campaigns.plan')),
            ],
            options={
                'verbose_name': 'business review',
                'verbose_name_plural': 'business reviews',
                'ordering': ['-scheduled_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='PlanActivity',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('uuid', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ('title', models.CharField(max_length=200, verbose_name='title')),
                ('owner_side', models.CharField(choices=[('vendor', 'Vendor'), ('partner', 'Partner')], max_length=10, verbose_name='owner')),
                ('start_date', models.DateField(verbose_name='start date')),
                ('end_date', models.DateField(verbose_name='end date')),
                ('budget', models.DecimalField(decimal_places=2, default=0, max_digits=14, validators=[django.core.validators.MinValueValidator(0)], verbose_name='budget')),
                ('currency', models.CharField(default='USD', max_length=3, verbose_name='currency')),
                ('status', models.CharField(choices=[('planned', 'Planned'), ('in_progress', 'In progress'), ('done', 'Done'), ('cancelled', 'Cancelled')], default='planned', max_length=12, verbose_name='status')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('activity_type', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='mdf.activitytype', verbose_name='type')),
                ('fund_request', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='plan_activities', to='mdf.fundrequest', verbose_name='fund request')),
                ('kit', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='campaigns.campaignkit', verbose_name='campaign kit')),
                ('launch', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='plan_activities', to='campaigns.launch', verbose_name='launch')),
                ('partner', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='partners.partner')),
                ('plan', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='activities', to='campaigns.plan')),
            ],
            options={
                'verbose_name': 'plan activity',
                'verbose_name_plural': 'plan activities',
                'ordering': ['plan', 'start_date', 'id'],
            },
        ),
        migrations.CreateModel(
            name='PlanComment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('body', models.TextField(verbose_name='comment')),
                ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                ('activity', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='comments', to='campaigns.planactivity')),
                ('author', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('partner', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='partners.partner')),
                ('plan', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='comments', to='campaigns.plan')),
            ],
            options={
                'verbose_name': 'plan comment',
                'verbose_name_plural': 'plan comments',
                'ordering': ['created_at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='PlanEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField(auto_now_add=True, db_index=True)),
                ('action', models.CharField(choices=[('created', 'Created'), ('changed', 'Changed'), ('submitted', 'Submitted'), ('approved', 'Approved'), ('changes_requested', 'Changes requested'), ('reopened', 'New revision started'), ('actual_entered', 'Actual entered'), ('closed', 'Closed')], max_length=20)),
                ('revision', models.PositiveIntegerField()),
                ('detail', models.CharField(blank=True, max_length=500)),
                ('actor', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('partner', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='partners.partner')),
                ('plan', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='events', to='campaigns.plan')),
            ],
            options={
                'verbose_name': 'plan event',
                'verbose_name_plural': 'plan history',
                'ordering': ['-at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='PlanPeriod',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('quarter', 'Quarter'), ('half', 'Half year'), ('year', 'Year')], max_length=10, verbose_name='kind')),
                ('start', models.DateField(help_text='The first day of a calendar quarter.', verbose_name='starts')),
                ('end', models.DateField(editable=False, verbose_name='ends')),
                ('name', models.CharField(help_text='e.g. 2027 Q1, 2027 H2, FY 2027', max_length=40, verbose_name='name')),
                ('is_open', models.BooleanField(default=True, help_text='Partners may start plans only for open periods.', verbose_name='open for plans')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
            ],
            options={
                'verbose_name': 'planning period',
                'verbose_name_plural': 'planning periods',
                'ordering': ['-start', 'kind'],
                'constraints': [models.UniqueConstraint(fields=('kind', 'start'), name='plan_period_unique'), models.CheckConstraint(condition=models.Q(('end__gt', models.F('start'))), name='plan_period_end_after_start')],
            },
        ),
        migrations.AddField(
            model_name='plan',
            name='period',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='plans', to='campaigns.planperiod', verbose_name='period'),
        ),
        migrations.CreateModel(
            name='PlanRevision',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.PositiveIntegerField()),
                ('content', models.TextField()),
                ('submitted_at', models.DateTimeField()),
                ('decision', models.CharField(choices=[('pending', 'Awaiting review'), ('approved', 'Approved'), ('changes_requested', 'Changes requested')], default='pending', max_length=20)),
                ('decided_at', models.DateTimeField(blank=True, null=True)),
                ('decision_note', models.TextField(blank=True)),
                ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('partner', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='partners.partner')),
                ('plan', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='revisions', to='campaigns.plan')),
                ('submitted_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'plan revision',
                'verbose_name_plural': 'plan revisions',
                'ordering': ['plan', '-number'],
            },
        ),
        migrations.CreateModel(
            name='PlanTarget',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('measure', models.CharField(choices=[('leads', 'Leads'), ('mqls', 'MQLs'), ('opportunities', 'Opportunities'), ('won', 'Won deals'), ('pipeline', 'Pipeline'), ('revenue', 'Revenue'), ('clicks', 'Clicks'), ('downloads', 'Downloads'), ('mdf_utilisation', 'MDF utilisation'), ('custom', 'Custom')], max_length=20, verbose_name='measure')),
                ('name', models.CharField(blank=True, help_text='Required for a custom target.', max_length=120, verbose_name='name')),
                ('currency', models.CharField(blank=True, help_text='For pipeline and revenue.', max_length=3, verbose_name='currency')),
                ('weight', models.DecimalField(decimal_places=2, default=1, max_digits=6, validators=[django.core.validators.MinValueValidator(0)], verbose_name='weight')),
                ('position', models.PositiveIntegerField(default=0, editable=False)),
                ('partner', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='partners.partner')),
                ('plan', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='targets', to='campaigns.plan')),
            ],
            options={
                'verbose_name': 'plan target',
                'verbose_name_plural': 'plan targets',
                'ordering': ['plan', 'position', 'id'],
            },
        ),
        migrations.CreateModel(
            name='PlanTargetQuarter',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('quarter', models.PositiveSmallIntegerField()),
                ('value', models.DecimalField(decimal_places=2, max_digits=14, validators=[django.core.validators.MinValueValidator(0)], verbose_name='target')),
                ('actual', models.DecimalField(blank=True, decimal_places=2, max_digits=14, null=True, verbose_name='actual')),
                ('actual_entered_at', models.DateTimeField(blank=True, null=True)),
                ('actual_entered_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('partner', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='partners.partner')),
                ('target', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='quarters', to='campaigns.plantarget')),
            ],
            options={
                'verbose_name': 'quarterly target',
                'verbose_name_plural': 'quarterly targets',
                'ordering': ['target', 'quarter'],
            },
        ),
        migrations.CreateModel(
            name='ActionItem',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('uuid', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ('title', models.CharField(max_length=300, verbose_name='action')),
                ('owner_side', models.CharField(choices=[('vendor', 'Vendor'), ('partner', 'Partner')], max_length=10, verbose_name='owner side')),
                ('due_date', models.DateField(verbose_name='due')),
                ('status', models.CharField(choices=[('open', 'Open'), ('done', 'Done'), ('cancelled', 'Cancelled')], default='open', max_length=12, verbose_name='status')),
                ('completed_at', models.DateTimeField(blank=True, editable=False, null=True)),
                ('overdue_reminded_at', models.DateTimeField(blank=True, editable=False, null=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('completed_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('owner', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='owner')),
                ('partner', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='partners.partner')),
                ('review', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='action_items', to='campaigns.businessreview')),
            ],
            options={
                'verbose_name': 'action item',
                'verbose_name_plural': 'action items',
                'ordering': ['due_date', 'id'],
                'indexes': [models.Index(fields=['status', 'due_date'], name='action_item_status_due')],
            },
        ),
        migrations.AddIndex(
            model_name='businessreview',
            index=models.Index(fields=['status', 'scheduled_at'], name='review_status_scheduled'),
        ),
        migrations.AddConstraint(
            model_name='planactivity',
            constraint=models.CheckConstraint(condition=models.Q(('end_date__gte', models.F('start_date'))), name='plan_activity_end_after_start'),
        ),
        migrations.AddConstraint(
            model_name='planactivity',
            constraint=models.CheckConstraint(condition=models.Q(('budget__gte', 0)), name='plan_activity_budget_not_negative'),
        ),
        migrations.AddIndex(
            model_name='plan',
            index=models.Index(fields=['status', 'submitted_at'], name='plan_status_submitted'),
        ),
        migrations.AddConstraint(
            model_name='plan',
            constraint=models.UniqueConstraint(fields=('partner', 'period'), name='plan_one_per_partner_period'),
        ),
        migrations.AddConstraint(
            model_name='planrevision',
            constraint=models.UniqueConstraint(fields=('plan', 'number'), name='plan_revision_unique'),
        ),
        migrations.AddConstraint(
            model_name='plantarget',
            constraint=models.CheckConstraint(condition=models.Q(('weight__gt', 0)), name='plan_target_weight_positive'),
        ),
        migrations.AddConstraint(
            model_name='plantarget',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('measure', 'custom'), _negated=True), models.Q(('name', ''), _negated=True), _connector='OR'), name='plan_target_custom_named'),
        ),
        migrations.AddConstraint(
            model_name='plantargetquarter',
            constraint=models.UniqueConstraint(fields=('target', 'quarter'), name='plan_target_quarter_unique'),
        ),
        migrations.AddConstraint(
            model_name='plantargetquarter',
            constraint=models.CheckConstraint(condition=models.Q(('quarter__gte', 1), ('quarter__lte', 4)), name='plan_target_quarter_range'),
        ),
        migrations.AddConstraint(
            model_name='plantargetquarter',
            constraint=models.CheckConstraint(condition=models.Q(('value__gte', 0)), name='plan_target_value_not_negative'),
        ),
    ]

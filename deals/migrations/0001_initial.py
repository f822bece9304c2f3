import django.db.models.deletion
import uuid
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('campaigns', '0005_plan_event_system_actor'),
        ('partners', '0012_specialisations'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Product',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=120, unique=True, verbose_name='name')),
                ('slug', models.SlugField(max_length=80, unique=True, verbose_name='slug')),
                ('active', models.BooleanField(default=True, verbose_name='offered')),
            ],
            options={
                'verbose_name': 'product',
                'verbose_name_plural': 'products',
                'ordering': ['name'],
            },
        ),
        migrations.CreateModel(
            name='Deal',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('uuid', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ('company', models.CharField(max_length=200, verbose_name='customer company')),
                ('domain', models.CharField(help_text="The customer's web domain, e.g. example.com.", max_length=253, verbose_name='customer web domain')),
                ('country', models.CharField(max_length=2, verbose_name='customer country')),
                ('contact_name', models.CharField(blank=True, max_length=120, verbose_name='customer contact')),
                ('contact_email', models.EmailField(blank=True, max_length=254, verbose_name='contact email')),
                ('amount', models.DecimalField(decimal_places=2, max_digits=14, verbose_name='estimated amount')),
                ('currency', models.CharField(max_length=3, verbose_name='currency')),
                ('expected_close_date', models.DateField(verbose_name='expected close date')),
                ('stage', models.CharField(choices=[('prospecting', 'Prospecting'), ('qualification', 'Qualification'), ('proposal', 'Proposal'), ('negotiation', 'Negotiation')], default='prospecting', max_length=20, verbose_name='stage')),
                ('notes', models.TextField(blank=True, verbose_name='notes')),
                ('status', models.CharField(choices=[('submitted', 'Under review'), ('more_info', 'More information requested'), ('approved', 'Approved'), ('rejected', 'Rejected'), ('expired', 'Expired'), ('won', 'Won'), ('lost', 'Lost')], default='submitted', max_length=12, verbose_name='status')),
                ('submitted_at', models.DateTimeField(verbose_name='registered at')),
                ('decided_at', models.DateTimeField(blank=True, null=True, verbose_name='decided at')),
                ('decision_reason', models.TextField(blank=True, verbose_name='reason')),
                ('expires_on', models.DateField(blank=True, null=True, verbose_name='protected until')),
                ('closed_at', models.DateTimeField(blank=True, null=True, verbose_name='closed at')),
                ('won_amount', models.DecimalField(blank=True, decimal_places=2, max_digits=14, null=True, verbose_name='won amount')),
                ('lost_reason', models.TextField(blank=True, verbose_name='lost reason')),
                ('conflict_cleared', models.BooleanField(default=False, verbose_name='conflict reviewed')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('launch', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='campaigns.launch', verbose_name='sourced by campaign launch')),
                ('partner', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='deals', to='partners.partner')),
                ('registered_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('products', models.ManyToManyField(related_name='+', to='deals.product', verbose_name='products')),
            ],
            options={
                'verbose_name': 'deal registration',
                'verbose_name_plural': 'deal registrations',
                'ordering': ['-submitted_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='DealEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField(db_index=True)),
                ('action', models.CharField(choices=[('registered', 'Registered'), ('conflict_flagged', 'Conflict flagged'), ('conflict_cleared', 'Conflict reviewed'), ('more_info', 'More information requested'), ('answered', 'Information added'), ('approved', 'Approved'), ('rejected', 'Rejected'), ('extension_requested', 'Extension requested'), ('extension_approved', 'Extension approved'), ('extension_rejected', 'Extension rejected'), ('stage_changed', 'Stage changed'), ('changed', 'Changed'), ('reminded', 'Expiry reminder sent'), ('expired', 'Expired'), ('won', 'Won'), ('lost', 'Lost')], max_length=24)),
                ('old_value', models.CharField(blank=True, max_length=100)),
                ('new_value', models.CharField(blank=True, max_length=100)),
                ('detail', models.TextField(blank=True)),
                ('shared', models.BooleanField(default=True)),
                ('notified_at', models.DateTimeField(blank=True, null=True)),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('deal', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='events', to='deals.deal')),
                ('partner', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='partners.partner')),
            ],
            options={
                'verbose_name': 'deal event',
                'verbose_name_plural': 'deal history',
                'ordering': ['-at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='DealProgram',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('exclusivity_days', models.PositiveSmallIntegerField(default=90, help_text="How long an approved registration protects the partner's deal.", verbose_name='exclusivity period (days)')),
                ('extension_days', models.PositiveSmallIntegerField(default=30, help_text='Days an approved extension adds.', verbose_name='extension (days)')),
                ('lead_sla_business_days', models.PositiveSmallIntegerField(default=2, help_text='A partner must accept or decline an offered lead within this time.', verbose_name='lead answer time (business days)')),
            ],
            options={
                'verbose_name': 'deal program',
                'verbose_name_plural': 'deal program',
                'constraints': [models.CheckConstraint(condition=models.Q(('exclusivity_days__gte', 1)), name='dealprogram_days'), models.CheckConstraint(condition=models.Q(('lead_sla_business_days__gte', 1)), name='dealprogram_sla')],
            },
        ),
        migrations.CreateModel(
            name='Lead',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('uuid', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ('company', models.CharField(max_length=200, verbose_name='company')),
                ('domain', models.CharField(blank=True, max_length=253, verbose_name='web domain')),
                ('country', models.CharField(blank=True, max_length=2, verbose_name='country')),
                ('contact_name', models.CharField(blank=True, max_length=120, verbose_name='contact')),
                ('contact_email', models.EmailField(blank=True, max_length=254, verbose_name='contact email')),
                ('contact_phone', models.CharField(blank=True, max_length=40, verbose_name='contact phone')),
                ('description', models.TextField(blank=True, verbose_name='what they asked for')),
                ('amount', models.DecimalField(blank=True, decimal_places=2, max_digits=14, null=True, verbose_name='estimated amount')),
                ('currency', models.CharField(blank=True, max_length=3, verbose_name='currency')),
                ('external_id', models.CharField(blank=True, max_length=200, verbose_name='external id')),
                ('status', models.CharField(choices=[('new', 'With staff'), ('offered', 'Offered'), ('accepted', 'Accepted'), ('returned', 'Back with staff'), ('converted', 'Converted to a deal'), ('closed', 'Closed')], default='new', max_length=10, verbose_name='status')),
                ('created_at', models.DateTimeField()),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('region', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, to='partners.region', verbose_name='region')),
                ('specialisation', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, to='partners.specialisation', verbose_name='specialisation')),
            ],
            options={
                'verbose_name': 'lead',
                'verbose_name_plural': 'leads',
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='LeadOffer',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('uuid', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ('offered_at', models.DateTimeField()),
                ('due_at', models.DateTimeField(verbose_name='answer by')),
                ('status', models.CharField(choices=[('pending', 'Waiting for your answer'), ('accepted', 'Accepted'), ('declined', 'Declined'), ('expired', 'Not answered in time'), ('withdrawn', 'Withdrawn')], default='pending', max_length=10)),
                ('responded_at', models.DateTimeField(blank=True, null=True)),
                ('decline_reason', models.CharField(blank=True, choices=[('no_capacity', 'No capacity right now'), ('out_of_area', 'Outside our area'), ('not_a_fit', 'Not a fit for our offering'), ('existing', 'Already a customer of ours'), ('other', 'Other')], max_length=20, verbose_name='reason')),
                ('decline_note', models.TextField(blank=True, verbose_name='note')),
                ('work_status', models.CharField(choices=[('new', 'Not contacted yet'), ('contacted', 'Contacted'), ('qualified', 'Qualified'), ('disqualified', 'Disqualified')], default='new', max_length=15, verbose_name='progress')),
                ('next_step', models.CharField(blank=True, max_length=200, verbose_name='next step')),
                ('next_step_due', models.DateField(blank=True, null=True, verbose_name='next step due')),
                ('deal', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='source_offer', to='deals.deal')),
                ('lead', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='offers', to='deals.lead')),
                ('partner', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='lead_offers', to='partners.partner')),
                ('responded_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'lead offer',
                'verbose_name_plural': 'lead offers',
                'ordering': ['-offered_at', '-id'],
            },
        ),
        migrations.AddField(
            model_name='lead',
            name='current_offer',
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='deals.leadoffer'),
        ),
        migrations.CreateModel(
            name='ProtectedAccount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('domain', models.CharField(max_length=253, unique=True, verbose_name='web domain')),
                ('company', models.CharField(max_length=200, verbose_name='company')),
                ('country', models.CharField(blank=True, max_length=2, verbose_name='country')),
                ('note', models.CharField(blank=True, max_length=300, verbose_name='note')),
                ('added_at', models.DateTimeField(auto_now_add=True)),
                ('added_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'protected account',
                'verbose_name_plural': 'protected accounts',
                'ordering': ['company'],
            },
        ),
        migrations.CreateModel(
            name='DealConflict',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('other_partner', 'Registered by another partner'), ('protected_account', 'Protected account')], max_length=20)),
                ('detected_at', models.DateTimeField(auto_now_add=True)),
                ('deal', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='conflicts', to='deals.deal')),
                ('other_deal', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='deals.deal')),
                ('protected_account', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='deals.protectedaccount')),
            ],
            options={
                'verbose_name': 'deal conflict',
                'verbose_name_plural': 'deal conflicts',
                'ordering': ['detected_at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='RoutingRule',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=120, verbose_name='name')),
                ('position', models.PositiveSmallIntegerField(default=100, verbose_name='position')),
                ('active', models.BooleanField(default=True, verbose_name='active')),
                ('partner_types', models.JSONField(blank=True, default=list, help_text='Empty: any type.', verbose_name='partner types')),
                ('regions', models.ManyToManyField(blank=True, related_name='+', to='partners.region', verbose_name='lead regions')),
                ('specialisations', models.ManyToManyField(blank=True, related_name='+', to='partners.specialisation', verbose_name='lead specialisations')),
                ('tiers', models.ManyToManyField(blank=True, related_name='+', to='partners.tier', verbose_name='partner tiers')),
            ],
            options={
                'verbose_name': 'routing rule',
                'verbose_name_plural': 'routing rules',
                'ordering': ['position', 'id'],
            },
        ),
        migrations.CreateModel(
            name='RoutingCounter',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('offers', models.PositiveIntegerField(default=0)),
                ('partner', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='partners.partner')),
                ('rule', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='counters', to='deals.routingrule')),
            ],
        ),
        migrations.CreateModel(
            name='LeadRoutingEntry',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField(db_index=True)),
                ('action', models.CharField(choices=[('created', 'Received'), ('offered', 'Offered'), ('accepted', 'Accepted'), ('declined', 'Declined'), ('expired', 'Not answered in time'), ('withdrawn', 'Withdrawn by staff'), ('returned', 'Back with staff: no partner left'), ('converted', 'Converted to a deal registration'), ('closed', 'Closed')], max_length=12)),
                ('detail', models.TextField(blank=True)),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('lead', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='routing', to='deals.lead')),
                ('partner', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='partners.partner')),
                ('rule', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='deals.routingrule')),
            ],
            options={
                'verbose_name': 'routing entry',
                'verbose_name_plural': 'routing history',
                'ordering': ['at', 'id'],
            },
        ),
        migrations.AddField(
            model_name='leadoffer',
            name='rule',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='deals.routingrule'),
        ),
        migrations.CreateModel(
            name='TierLeadWeight',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('weight', models.PositiveSmallIntegerField(default=1, verbose_name='weight')),
                ('tier', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='lead_weight', to='partners.tier')),
            ],
            options={
                'verbose_name': 'lead weight',
                'verbose_name_plural': 'lead weights',
                'ordering': ['tier__rank'],
            },
        ),
        migrations.CreateModel(
            name='DealExtension',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('requested_at', models.DateTimeField()),
                ('reason', models.TextField(verbose_name='reason')),
                ('status', models.CharField(choices=[('pending', 'Pending'), ('approved', 'Approved'), ('rejected', 'Rejected')], default='pending', max_length=10)),
                ('days', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='days added')),
                ('decided_at', models.DateTimeField(blank=True, null=True)),
                ('decision_reason', models.TextField(blank=True, verbose_name='decision reason')),
                ('deal', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='extensions', to='deals.deal')),
                ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('partner', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='partners.partner')),
                ('requested_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'extension request',
                'verbose_name_plural': 'extension requests',
                'ordering': ['-requested_at', '-id'],
                'constraints': [models.UniqueConstraint(condition=models.Q(('status', 'pending')), fields=('deal',), name='dealextension_one_pending')],
            },
        ),
        migrations.CreateModel(
            name='DealReminder',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('expires_on', models.DateField()),
                ('days_before', models.PositiveSmallIntegerField()),
                ('sent_at', models.DateTimeField(auto_now_add=True)),
                ('deal', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='deals.deal')),
                ('partner', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='partners.partner')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('deal', 'expires_on', 'days_before'), name='dealreminder_once')],
            },
        ),
        migrations.AddIndex(
            model_name='lead',
            index=models.Index(fields=['status', 'created_at'], name='lead_status_created'),
        ),
        migrations.AddConstraint(
            model_name='lead',
            constraint=models.UniqueConstraint(condition=models.Q(('external_id', ''), _negated=True), fields=('external_id',), name='lead_external_id_once'),
        ),
        migrations.AddConstraint(
            model_name='lead',
            constraint=models.CheckConstraint(condition=models.Q(('amount__isnull', True), ('amount__gte', 0), _connector='OR'), name='lead_amount_not_negative'),
        ),
        migrations.AddIndex(
            model_name='deal',
            index=models.Index(fields=['domain', 'status'], name='deal_domain_status'),
        ),
        migrations.AddIndex(
            model_name='deal',
            index=models.Index(fields=['status', 'expires_on'], name='deal_status_expiry'),
        ),
        migrations.AddConstraint(
            model_name='deal',
            constraint=models.UniqueConstraint(condition=models.Q(('status__in', ['submitted', 'more_info', 'approved'])), fields=('partner', 'domain'), name='deal_one_open_per_partner_domain'),
        ),
        migrations.AddConstraint(
            model_name='deal',
            constraint=models.CheckConstraint(condition=models.Q(('amount__gte', 0)), name='deal_amount_not_negative'),
        ),
        migrations.AddConstraint(
            model_name='deal',
            constraint=models.CheckConstraint(condition=models.Q(('won_amount__isnull', True), ('won_amount__gte', 0), _connector='OR'), name='deal_won_amount_not_negative'),
        ),
        migrations.AddConstraint(
            model_name='routingcounter',
            constraint=models.UniqueConstraint(fields=('rule', 'partner'), name='routingcounter_once'),
        ),
        migrations.AddIndex(
            model_name='leadoffer',
            index=models.Index(fields=['status', 'due_at'], name='leadoffer_status_due'),
        ),
        migrations.AddConstraint(
            model_name='leadoffer',
            constraint=models.UniqueConstraint(fields=('lead', 'partner'), name='leadoffer_once_per_partner'),
        ),
        migrations.AddConstraint(
            model_name='leadoffer',
            constraint=models.UniqueConstraint(condition=models.Q(('status__in', ['pending', 'accepted'])), fields=('lead',), name='leadoffer_one_live'),
        ),
        migrations.AddConstraint(
            model_name='tierleadweight',
            constraint=models.CheckConstraint(condition=models.Q(('weight__gte', 1)), name='tierleadweight_positive'),
        ),
    ]

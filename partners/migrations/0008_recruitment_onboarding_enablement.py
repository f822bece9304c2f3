import django.core.validators
import django.db.models.deletion
import uuid
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('assets', '0003_search_index'),
        ('partners', '0007_audit_membership_field'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='EnablementTrack',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('title', models.CharField(max_length=200, verbose_name='title')),
                ('slug', models.SlugField(max_length=80, unique=True, verbose_name='slug')),
                ('description', models.TextField(blank=True, verbose_name='description')),
                ('pass_mark', models.PositiveSmallIntegerField(default=80, validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(100)], verbose_name='pass mark (%)')),
                ('validity_months', models.PositiveSmallIntegerField(blank=True, help_text='Empty: the certification does not expire.', null=True, verbose_name='certification valid for (months)')),
                ('active', models.BooleanField(default=True, verbose_name='offered to partners')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
            ],
            options={
                'verbose_name': 'enablement track',
                'verbose_name_plural': 'enablement tracks',
                'ordering': ['title'],
                'constraints': [models.CheckConstraint(condition=models.Q(('pass_mark__gte', 1), ('pass_mark__lte', 100)), name='track_pass_mark_range')],
            },
        ),
        migrations.CreateModel(
            name='Invitation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('uuid', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ('email', models.EmailField(max_length=254, verbose_name='email')),
                ('role', models.CharField(choices=[('admin', 'Partner admin'), ('marketer', 'Marketer'), ('sales', 'Sales rep')], max_length=20, verbose_name='role')),
                ('token_hash', models.CharField(editable=False, max_length=64, unique=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('expires_at', models.DateTimeField()),
                ('accepted_at', models.DateTimeField(blank=True, null=True)),
                ('revoked_at', models.DateTimeField(blank=True, null=True)),
                ('accepted_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('invited_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('partner', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='invitations', to='partners.partner')),
            ],
            options={
                'verbose_name': 'invitation',
                'verbose_name_plural': 'invitations',
                'ordering': ['-created_at'],
            },
        ),
        migrations.CreateModel(
            name='OnboardingStep',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('title', models.CharField(max_length=200, verbose_name='title')),
                ('description', models.TextField(blank=True, verbose_name='what to do')),
                ('kind', models.CharField(choices=[('accept_agreement', 'Accept the program agreement'), ('company_profile', 'Complete the company profile'), ('upload_logo', 'Upload the company logo'), ('invite_teammate', 'Invite a teammate'), ('download_asset', 'Download a named asset'), ('launch_campaign', 'Launch a first campaign'), ('complete_track', 'Complete an enablement track'), ('custom', 'Custom step confirmed by staff')], max_length=20, verbose_name='kind')),
                ('position', models.PositiveIntegerField(default=0, verbose_name='order')),
                ('due_days', models.PositiveIntegerField(default=14, help_text='Counted from the start of onboarding.', verbose_name='due in (days)')),
                ('required', models.BooleanField(default=True, verbose_name='required')),
                ('active', models.BooleanField(default=True, verbose_name='active')),
                ('asset', models.ForeignKey(blank=True, help_text='For “download a named asset”.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='assets.asset', verbose_name='asset')),
                ('tier', models.ForeignKey(blank=True, help_text='Empty: every partner.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='partners.tier', verbose_name='tier')),
                ('track', models.ForeignKey(blank=True, help_text='For “complete an enablement track”.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='partners.enablementtrack', verbose_name='enablement track')),
            ],
            options={
                'verbose_name': 'onboarding step',
                'verbose_name_plural': 'onboarding steps',
                'ordering': ['position', 'id'],
            },
        ),
        migrations.CreateModel(
            name='OnboardingCompletion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('completed_at', models.DateTimeField(auto_now_add=True)),
                ('confirmed_by_staff', models.BooleanField(default=False)),
                ('completed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('partner', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='partners.partner')),
                ('step', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='completions', to='partners.onboardingstep')),
            ],
            options={
                'verbose_name': 'completed onboarding step',
                'verbose_name_plural': 'completed onboarding steps',
                'ordering': ['completed_at'],
            },
        ),
        migrations.CreateModel(
            name='PartnerApplication',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('uuid', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ('status', models.CharField(choices=[('pending', 'Awaiting review'), ('approved', 'Approved'), ('rejected', 'Rejected')], default='pending', max_length=12, verbose_name='status')),
                ('company', models.CharField(max_length=200, verbose_name='company')),
                ('website', models.URLField(max_length=300, verbose_name='website')),
                ('website_domain', models.CharField(db_index=True, editable=False, max_length=253)),
                ('country', models.CharField(help_text='ISO 3166 code', max_length=2, verbose_name='country')),
                ('partner_type', models.CharField(choices=[('reseller', 'Reseller'), ('distributor', 'Distributor'), ('msp', 'Managed service provider'), ('referral', 'Referral'), ('technology', 'Technology')], max_length=20, verbose_name='partner type')),
                ('size', models.CharField(choices=[('1-10', '1–10 employees'), ('11-50', '11–50 employees'), ('51-200', '51–200 employees'), ('201-1000', '201–1,000 employees'), ('1000+', 'More than 1,000 employees')], max_length=10, verbose_name='company size')),
                ('specialties', models.CharField(blank=True, max_length=500, verbose_name='specialties')),
                ('contact_name', models.CharField(max_length=200, verbose_name='contact name')),
                ('contact_email', models.EmailField(max_length=254, verbose_name='contact email')),
                ('contact_phone', models.CharField(blank=True, max_length=40, verbose_name='contact phone')),
                ('sales_motion', models.CharField(choices=[('resale', 'We resell licences'), ('services', 'We sell services around the product'), ('managed', 'We run it for customers (managed service)'), ('referral', 'We refer customers'), ('marketplace', 'Through a marketplace or distribution')], max_length=20, verbose_name='how you sell')),
                ('message', models.TextField(blank=True, verbose_name='message')),
                ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                ('duplicate_reason', models.CharField(blank=True, max_length=300)),
                ('fit_score', models.PositiveSmallIntegerField(blank=True, null=True)),
                ('fit_parts', models.JSONField(blank=True, default=list)),
                ('decided_at', models.DateTimeField(blank=True, null=True)),
                ('reject_reason', models.TextField(blank=True, verbose_name='reason')),
                ('channel_manager', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='channel manager')),
                ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('duplicate_of_application', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='partners.partnerapplication')),
                ('duplicate_of_partner', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='partners.partner')),
                ('languages', models.ManyToManyField(blank=True, related_name='+', to='partners.language', verbose_name='languages')),
                ('partner', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='application', to='partners.partner')),
                ('regions', models.ManyToManyField(blank=True, related_name='+', to='partners.region', verbose_name='regions')),
                ('tier', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='partners.tier', verbose_name='tier')),
            ],
            options={
                'verbose_name': 'partner application',
                'verbose_name_plural': 'partner applications',
                'ordering': ['-created_at'],
            },
        ),
        migrations.CreateModel(
            name='ProgramAgreement',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('version', models.PositiveIntegerField(unique=True, verbose_name='version')),
                ('title', models.CharField(max_length=200, verbose_name='title')),
                ('text', models.TextField(verbose_name='text')),
                ('effective_date', models.DateField(verbose_name='effective from')),
                ('published_at', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='published')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('created_by', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'program agreement',
                'verbose_name_plural': 'program agreements',
                'ordering': ['-version'],
            },
        ),
        migrations.CreateModel(
            name='AgreementAcceptance',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('accepted_at', models.DateTimeField(auto_now_add=True)),
                ('ip_address', models.GenericIPAddressField(blank=True, null=True, verbose_name='IP address')),
                ('partner', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='partners.partner')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('agreement', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='acceptances', to='partners.programagreement')),
            ],
            options={
                'verbose_name': 'agreement acceptance',
                'verbose_name_plural': 'agreement acceptances',
                'ordering': ['-accepted_at'],
            },
        ),
        migrations.CreateModel(
            name='QuizAttempt',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('answers', models.JSONField(default=dict)),
                ('score', models.PositiveSmallIntegerField(validators=[django.core.validators.MaxValueValidator(100)])),
                ('passed', models.BooleanField()),
                ('at', models.DateTimeField(auto_now_add=True)),
                ('partner', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='partners.partner')),
                ('track', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='attempts', to='partners.enablementtrack')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'quiz attempt',
                'verbose_name_plural': 'quiz attempts',
                'ordering': ['-at'],
            },
        ),
        migrations.CreateModel(
            name='Certification',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('earned_at', models.DateTimeField()),
                ('expires_at', models.DateTimeField(blank=True, null=True)),
                ('partner', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='certifications', to='partners.partner')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('track', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='certifications', to='partners.enablementtrack')),
                ('attempt', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='partners.quizattempt')),
            ],
            options={
                'verbose_name': 'certification',
                'verbose_name_plural': 'certifications',
                'ordering': ['-earned_at'],
            },
        ),
        migrations.CreateModel(
            name='QuizQuestion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('text', models.CharField(max_length=500, verbose_name='question')),
                ('position', models.PositiveIntegerField(default=0, verbose_name='order')),
                ('track', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='questions', to='partners.enablementtrack')),
            ],
            options={
                'verbose_name': 'quiz question',
                'verbose_name_plural': 'quiz questions',
                'ordering': ['track', 'position', 'id'],
            },
        ),
        migrations.CreateModel(
            name='QuizChoice',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('text', models.CharField(max_length=300, verbose_name='answer')),
                ('correct', models.BooleanField(default=False, verbose_name='correct')),
                ('position', models.PositiveIntegerField(default=0, verbose_name='order')),
                ('question', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='choices', to='partners.quizquestion')),
            ],
            options={
                'verbose_name': 'quiz answer',
                'verbose_name_plural': 'quiz answers',
                'ordering': ['question', 'position', 'id'],
            },
        ),
        migrations.CreateModel(
            name='TierAssessment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('assessed_at', models.DateTimeField(db_index=True)),
                ('measured', models.JSONField(default=dict)),
                ('lacking', models.JSONField(default=list)),
                ('current_tier', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='partners.tier')),
                ('next_tier', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='partners.tier')),
                ('partner', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='tier_assessments', to='partners.partner')),
                ('recommended_tier', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='partners.tier')),
            ],
            options={
                'verbose_name': 'tier assessment',
                'verbose_name_plural': 'tier assessments',
                'ordering': ['-assessed_at'],
            },
        ),
        migrations.CreateModel(
            name='TierRequirement',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('window_days', models.PositiveIntegerField(default=365, verbose_name='trailing window (days)')),
                ('min_revenue', models.DecimalField(blank=True, decimal_places=2, max_digits=14, null=True, validators=[django.core.validators.MinValueValidator(0)], verbose_name='minimum revenue')),
                ('currency', models.CharField(default='USD', max_length=3, verbose_name='currency')),
                ('min_won_deals', models.PositiveIntegerField(blank=True, null=True, verbose_name='minimum won deals')),
                ('min_leads', models.PositiveIntegerField(blank=True, null=True, verbose_name='minimum leads')),
                ('min_certified_users', models.PositiveIntegerField(blank=True, null=True, verbose_name='minimum certified users')),
                ('tier', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='requirement', to='partners.tier')),
            ],
            options={
                'verbose_name': 'tier requirement',
                'verbose_name_plural': 'tier requirements',
            },
        ),
        migrations.CreateModel(
            name='TrackAsset',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('position', models.PositiveIntegerField(default=0, verbose_name='order')),
                ('asset', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='assets.asset')),
                ('track', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='items', to='partners.enablementtrack')),
            ],
            options={
                'verbose_name': 'track asset',
                'verbose_name_plural': 'track assets',
                'ordering': ['track', 'position', 'id'],
            },
        ),
        migrations.AddConstraint(
            model_name='onboardingstep',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('kind', 'download_asset'), _negated=True), ('asset__isnull', False), _connector='OR'), name='onboarding_step_download_names_asset'),
        ),
        migrations.AddConstraint(
            model_name='onboardingstep',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('kind', 'complete_track'), _negated=True), ('track__isnull', False), _connector='OR'), name='onboarding_step_track_names_track'),
        ),
        migrations.AddConstraint(
            model_name='onboardingcompletion',
            constraint=models.UniqueConstraint(fields=('partner', 'step'), name='onboarding_step_done_once'),
        ),
        migrations.AddIndex(
            model_name='partnerapplication',
            index=models.Index(fields=['status', 'created_at'], name='application_status_created'),
        ),
        migrations.AddConstraint(
            model_name='partnerapplication',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'approved'), _negated=True), ('partner__isnull', False), _connector='OR'), name='application_approved_has_partner'),
        ),
        migrations.AddConstraint(
            model_name='agreementacceptance',
            constraint=models.UniqueConstraint(fields=('agreement', 'partner'), name='agreement_accepted_once_per_partner'),
        ),
        migrations.AddConstraint(
            model_name='trackasset',
            constraint=models.UniqueConstraint(fields=('track', 'asset'), name='track_asset_once'),
        ),
    ]

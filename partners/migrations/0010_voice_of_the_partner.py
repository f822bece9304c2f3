import django.core.validators
import django.db.models.deletion
import uuid
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('assets', '0003_search_index'),
        ('campaigns', '0002_staff_roles'),
        ('partners', '0009_onboarding_staff_roles'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Survey',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('uuid', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ('title', models.CharField(max_length=200, verbose_name='title')),
                ('intro', models.TextField(blank=True, verbose_name='introduction')),
                ('nps_question', models.CharField(default='How likely are you to recommend our partner program to a colleague?', help_text='Answered 0–10.', max_length=300, verbose_name='NPS question')),
                ('is_active', models.BooleanField(default=True, help_text='Clear to stop sending new rounds.', verbose_name='sending')),
                ('interval_months', models.PositiveSmallIntegerField(default=6, validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(24)], verbose_name='every (months)')),
                ('next_send_on', models.DateField(blank=True, help_text='Empty: not scheduled.', null=True, verbose_name='next send date')),
                ('open_days', models.PositiveSmallIntegerField(default=14, help_text='How long partners may answer a round.', validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(90)], verbose_name='open for (days)')),
                ('reminder_days', models.PositiveSmallIntegerField(default=3, help_text='0: no reminder.', validators=[django.core.validators.MaxValueValidator(90)], verbose_name='reminder (days before closing)')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('created_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'partner survey',
                'verbose_name_plural': 'partner surveys',
                'ordering': ['title'],
            },
        ),
        migrations.CreateModel(
            name='SurveyQuestion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('text', models.CharField(max_length=300, verbose_name='question')),
                ('position', models.PositiveSmallIntegerField(default=0, verbose_name='position')),
                ('survey', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='questions', to='partners.survey')),
            ],
            options={
                'verbose_name': 'free-text question',
                'verbose_name_plural': 'free-text questions',
                'ordering': ['position', 'id'],
            },
        ),
        migrations.CreateModel(
            name='SurveyResponse',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('uuid', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ('score', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(10)], verbose_name='score')),
                ('answered_at', models.DateTimeField(auto_now_add=True, verbose_name='answered')),
                ('partner', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='survey_responses', to='partners.partner')),
                ('tier', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='partners.tier')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='survey_responses', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'survey response',
                'verbose_name_plural': 'survey responses',
                'ordering': ['-answered_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='SurveyAnswer',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('text', models.TextField(max_length=4000, verbose_name='answer')),
                ('partner', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='partners.partner')),
                ('question', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='answers', to='partners.surveyquestion')),
                ('response', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='answers', to='partners.surveyresponse')),
            ],
            options={
                'verbose_name': 'survey answer',
                'verbose_name_plural': 'survey answers',
                'ordering': ['question__position', 'question_id'],
            },
        ),
        migrations.CreateModel(
            name='SurveyRound',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('uuid', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ('number', models.PositiveIntegerField(verbose_name='round')),
                ('opens_on', models.DateField(verbose_name='opens')),
                ('closes_on', models.DateField(verbose_name='closes')),
                ('opened_at', models.DateTimeField(auto_now_add=True)),
                ('reminded_at', models.DateTimeField(blank=True, null=True, verbose_name='reminder sent')),
                ('survey', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='rounds', to='partners.survey')),
            ],
            options={
                'verbose_name': 'survey round',
                'verbose_name_plural': 'survey rounds',
                'ordering': ['survey', '-opens_on', '-number'],
            },
        ),
        migrations.AddField(
            model_name='surveyresponse',
            name='round',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='responses', to='partners.surveyround'),
        ),
        migrations.CreateModel(
            name='SurveySend',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('invitation', 'Invitation'), ('reminder', 'Reminder')], max_length=12)),
                ('email', models.EmailField(max_length=254)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('sent_at', models.DateTimeField(blank=True, null=True)),
                ('partner', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='partners.partner')),
                ('round', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='sends', to='partners.surveyround')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'survey email',
                'verbose_name_plural': 'survey emails',
                'ordering': ['round', 'kind', 'email'],
            },
        ),
        migrations.CreateModel(
            name='ContentRating',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('uuid', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ('rating', models.PositiveSmallIntegerField(help_text='From 1 (poor) to 5 (excellent).', validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(5)], verbose_name='rating')),
                ('comment', models.TextField(blank=True, max_length=2000, verbose_name='comment')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='rated')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='changed')),
                ('asset', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='ratings', to='assets.asset', verbose_name='asset')),
                ('kit', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='ratings', to='campaigns.campaignkit', verbose_name='campaign kit')),
                ('partner', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.CASCADE, related_name='content_ratings', to='partners.partner')),
                ('user', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.CASCADE, related_name='content_ratings', to=settings.AUTH_USER_MODEL, verbose_name='rated by')),
            ],
            options={
                'verbose_name': 'content rating',
                'verbose_name_plural': 'content ratings',
                'ordering': ['-updated_at', '-id'],
                'constraints': [models.CheckConstraint(condition=models.Q(models.Q(('asset__isnull', False), ('kit__isnull', True)), models.Q(('asset__isnull', True), ('kit__isnull', False)), _connector='OR'), name='rating_names_one_item'), models.CheckConstraint(condition=models.Q(('rating__gte', 1), ('rating__lte', 5)), name='rating_from_1_to_5'), models.UniqueConstraint(condition=models.Q(('asset__isnull', False)), fields=('user', 'asset'), name='one_rating_per_user_asset'), models.UniqueConstraint(condition=models.Q(('kit__isnull', False)), fields=('user', 'kit'), name='one_rating_per_user_kit')],
            },
        ),
        migrations.AddConstraint(
            model_name='survey',
            constraint=models.CheckConstraint(condition=models.Q(('interval_months__gte', 1)), name='survey_interval_1'),
        ),
        migrations.AddConstraint(
            model_name='survey',
            constraint=models.CheckConstraint(condition=models.Q(('open_days__gte', 1)), name='survey_open_1_day'),
        ),
        migrations.AddConstraint(
            model_name='surveyanswer',
            constraint=models.UniqueConstraint(fields=('response', 'question'), name='one_answer_per_question'),
        ),
        migrations.AddConstraint(
            model_name='surveyround',
            constraint=models.UniqueConstraint(fields=('survey', 'number'), name='survey_round_number'),
        ),
        migrations.AddConstraint(
            model_name='surveyround',
            constraint=models.CheckConstraint(condition=models.Q(('closes_on__gte', models.F('opens_on'))), name='survey_round_dates'),
        ),
        migrations.AddConstraint(
            model_name='surveyresponse',
            constraint=models.UniqueConstraint(fields=('round', 'user'), name='one_response_per_user_round'),
        ),
        migrations.AddConstraint(
            model_name='surveyresponse',
            constraint=models.CheckConstraint(condition=models.Q(('score__gte', 0), ('score__lte', 10)), name='survey_score_0_to_10'),
        ),
        migrations.AddConstraint(
            model_name='surveysend',
            constraint=models.UniqueConstraint(fields=('round', 'user', 'kind'), name='one_send_per_kind'),
        ),
    ]

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('partners', '0011_voice_staff_roles'),
    ]

    operations = [
        migrations.CreateModel(
            name='Specialisation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=80, unique=True, verbose_name='name')),
                ('slug', models.SlugField(max_length=80, unique=True, verbose_name='slug')),
            ],
            options={
                'verbose_name': 'specialisation',
                'verbose_name_plural': 'specialisations',
                'ordering': ['name'],
            },
        ),
        migrations.AddField(
            model_name='partner',
            name='specialisations',
            field=models.ManyToManyField(blank=True, related_name='partners', to='partners.specialisation', verbose_name='specialisations'),
        ),
    ]

# The demo phone's texts (moved here from the sms app, see sms 0003).

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('core', '0001_initial'),
        ('inbox', '0008_message_parts'),
        ('sms', '0003_move_simulatedtext_to_demo'),
    ]

    operations = [
        migrations.CreateModel(
            name='SimulatedText',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('direction', models.CharField(choices=[('to_library', 'Sent by the phone'), ('to_phone', 'Received by the phone')], max_length=12)),
                ('phone', models.CharField(help_text='The simulated customer phone (E.164).', max_length=32)),
                ('channel_number', models.CharField(help_text="The workspace's number.", max_length=32)),
                ('body', models.TextField(blank=True)),
                ('media_urls', models.JSONField(blank=True, default=list)),
                ('sid', models.CharField(max_length=64, unique=True)),
                ('status', models.CharField(choices=[('sending', 'Sending'), ('delivered', 'Delivered'), ('failed', 'Not delivered')], default='sending', max_length=12)),
                ('detail', models.CharField(blank=True, max_length=255)),
                ('status_callback', models.CharField(blank=True, max_length=500)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('channel', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='inbox.channel')),
                ('workspace', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='core.workspace')),
            ],
            options={
                'ordering': ('created_at', 'id'),
                'indexes': [models.Index(fields=['workspace', 'phone', 'channel_number', 'created_at'], name='simulated_text_thread')],
            },
        ),
    ]

# The demo phone's texts moved to the demo app (frontdesk/demo), which is installed
# only in demo mode; its rows are demo data and are not carried over.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('sms', '0002_simulatedtext'),
    ]

    operations = [
        migrations.DeleteModel(name='SimulatedText'),
    ]

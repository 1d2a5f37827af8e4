"""WSGI entry point of the floor project (served by granian like frontdesk.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.sms_bench.floor_settings"
application = get_wsgi_application()

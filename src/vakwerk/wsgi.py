"""WSGI entry point for gunicorn. Runs the system checks first, so a bad production
configuration (see vakwerk.shell.checks) stops the server instead of serving."""

import os

from django.core.management import call_command
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vakwerk.settings")
application = get_wsgi_application()
call_command("check", fail_level="ERROR")

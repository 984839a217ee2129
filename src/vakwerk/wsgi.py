"""WSGI entry point for gunicorn. Runs the system checks first, so a bad production
configuration (see vakwerk.shell.checks) stops the server instead of serving."""

import os

from django.core.checks import ERROR, run_checks
from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vakwerk.settings")
application = get_wsgi_application()
problems = [message for message in run_checks() if message.level >= ERROR]
if problems:
    raise ImproperlyConfigured("\n".join(str(message) for message in problems))

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from vakwerk.accounts.totp import current_code


class Command(BaseCommand):
    help = "Print the current authenticator code of the demo HR and operator logins."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(current_code(settings.DEMO_TOTP_SECRET))

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from vakwerk.people.demo import seed_demo


class Command(BaseCommand):
    help = "Load the demo organisations and print the demo logins. Safe to run again."

    def handle(self, *args: Any, **options: Any) -> None:
        reports, installation_logins = seed_demo()
        for report in reports:
            state = f"{report.created} people created" if report.created else "already present"
            self.stdout.write(f"{report.organisation.name} ({report.organisation.slug}): {state}")
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("Demo logins (password: %s)" % settings.DEMO_PASSWORD))
        for report in reports:
            for login in report.logins:
                self.stdout.write(f"  {login}")
        for login in installation_logins:
            self.stdout.write(f"  {login}")
        self.stdout.write(
            "HR and operator logins ask for an authenticator code after the password. Add the\n"
            f"TOTP secret {settings.DEMO_TOTP_SECRET} to an authenticator app, or print the\n"
            "current code with: .venv/bin/python manage.py demo_totp"
        )
        self.stdout.write("Open http://127.0.0.1:8000")

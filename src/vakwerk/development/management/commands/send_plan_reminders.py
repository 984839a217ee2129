"""Email reminders of plan activities due within a week. Run once a day (cron, a timer)."""

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from vakwerk.development.notices import due_reminders_send


class Command(BaseCommand):
    help = (
        "Email employees and their managers about activities of approved development plans "
        "that are due within a week. Each due date is reminded once: safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="Act as if today were this date (YYYY-MM-DD).")

    def handle(self, *args: Any, **options: Any) -> None:
        today = timezone.localdate()
        if options["date"]:
            try:
                today = dt.date.fromisoformat(options["date"])
            except ValueError as error:
                raise CommandError(
                    f"--date: expected YYYY-MM-DD, got {options['date']!r}"
                ) from error
        sent = due_reminders_send(today)
        self.stdout.write(f"{sent} plan reminder email(s) sent for {today.isoformat()}.")

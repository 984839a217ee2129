"""Queue the automatic reminders of open rounds. Run once a day (cron, a systemd timer)."""

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from vakwerk.assessments.reminders import send_due_reminders


class Command(BaseCommand):
    help = (
        "Remind raters who have not answered in open rounds that close in exactly the "
        "round's number of reminder days. Safe to run more than once a day."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--date",
            help="Act as if today were this date (YYYY-MM-DD), e.g. to catch up a missed day.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        today = timezone.localdate()
        if options["date"]:
            try:
                today = dt.date.fromisoformat(options["date"])
            except ValueError as error:
                raise CommandError(
                    f"--date: expected YYYY-MM-DD, got {options['date']!r}"
                ) from error
        reminded = send_due_reminders(today)
        self.stdout.write(f"{reminded} reminder(s) queued for {today.isoformat()}.")

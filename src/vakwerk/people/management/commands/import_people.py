"""``manage.py import_people --organisation SLUG FILE [--dry-run]``: the import on the command line.

Exit code 0 when the file is valid (the plan, or what was done, is printed); 1 with the list of
problems (row, column, value, expected) when it is not. Nothing is written unless every row is
valid.
"""

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from vakwerk.audit.services import Actor
from vakwerk.organisations.models import Organisation
from vakwerk.people import importing


class Command(BaseCommand):
    help = "Import people from a CSV or XLSX file into an organisation (or check it: --dry-run)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organisation", required=True, help="the organisation's short name")
        parser.add_argument("file", type=Path, help="a CSV or XLSX file")
        parser.add_argument(
            "--dry-run", action="store_true", help="only check and show what would change"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            organisation = Organisation.objects.get(slug=options["organisation"])
        except Organisation.DoesNotExist as error:
            raise CommandError(
                f"No organisation with short name {options['organisation']!r}."
            ) from error
        path: Path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}") from error
        try:
            if options["dry_run"]:
                plan = importing.people_import_dry_run(organisation=organisation, data=data)
            else:
                plan = importing.people_import_apply(
                    organisation=organisation,
                    actor=Actor(user=None),
                    data=data,
                    file_name=path.name,
                )
        except importing.ImportFileError as error:
            self.stderr.write(str(error.message))
            sys.exit(1)
        if not plan.is_valid:
            self.stderr.write(f"{len(plan.errors)} problem(s); nothing was imported.")
            self.stderr.write("row\tcolumn\tvalue\texpected")
            for problem in plan.errors:
                self.stderr.write(str(problem))
            sys.exit(1)
        summary = plan.summary()
        heading = "Dry run, nothing written" if options["dry_run"] else "Imported"
        self.stdout.write(f"{heading}: {path.name} ({summary['rows']} rows)")
        for key in (
            "creates",
            "updates",
            "leavers",
            "unchanged",
            "departments",
            "teams",
            "teams_moved",
        ):
            self.stdout.write(f"  {key}: {summary[key]}")

"""Fail when a user-facing string is missing from the Dutch catalogue.

Runs ``makemessages`` into a scratch copy of the source tree's catalogues, so the working
tree is never touched, then checks that every message there has a Dutch translation that
is not fuzzy in the committed catalogue. English is the source language (msgids), so the
English catalogue is complete by construction.
"""

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import polib
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

LOCALE = "nl"


def catalogue(locale_dir: Path) -> Path:
    return locale_dir / LOCALE / "LC_MESSAGES" / "django.po"


class Command(BaseCommand):
    help = "Check that every user-facing string has a Dutch translation."

    def handle(self, *args: Any, **options: Any) -> None:
        committed_path = catalogue(Path(settings.LOCALE_PATHS[0]))
        if not committed_path.exists():
            raise CommandError(f"{committed_path} is missing: run `make messages`.")
        committed = polib.pofile(str(committed_path))
        translated = {
            (entry.msgctxt, entry.msgid, entry.msgid_plural)
            for entry in committed.translated_entries()
            if not entry.fuzzy
        }
        with tempfile.TemporaryDirectory() as scratch:
            source = Path(scratch) / "vakwerk"
            shutil.copytree(
                settings.SRC_DIR,
                source,
                ignore=shutil.ignore_patterns("locale", "static", "__pycache__", "tests"),
            )
            (source / "locale").mkdir()
            extracted = polib.pofile(str(self._extract(source)))
        missing = [
            entry.msgid
            for entry in extracted
            if (entry.msgctxt, entry.msgid, entry.msgid_plural) not in translated
        ]
        if missing:
            listing = "\n".join(f"  - {msgid!r}" for msgid in missing[:50])
            raise CommandError(
                f"{len(missing)} message(s) lack a Dutch translation in {committed_path}:\n"
                f"{listing}\nRun `make messages` and translate them."
            )
        self.stdout.write(f"Dutch catalogue complete: {len(extracted)} messages translated.")

    def _extract(self, source: Path) -> Path:
        """Run makemessages on the scratch copy, writing into its own locale folder."""
        cwd = Path.cwd()
        try:
            os.chdir(source)
            with override_settings(LOCALE_PATHS=[source / "locale"]):
                call_command("makemessages", locale=[LOCALE], no_location=True, verbosity=0)
        finally:
            os.chdir(cwd)
        return catalogue(source / "locale")

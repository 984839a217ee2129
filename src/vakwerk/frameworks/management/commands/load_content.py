from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from vakwerk.assessments.sjt import sjt_load_pack
from vakwerk.audit.services import Actor
from vakwerk.development.catalogue import catalogue_load_pack
from vakwerk.frameworks import services
from vakwerk.frameworks.content import PackError, read_pack
from vakwerk.frameworks.models import VersionStatus
from vakwerk.organisations.models import Organisation


class Command(BaseCommand):
    help = (
        "Validate a content pack and load it into an organisation: a framework pack starts a "
        "new framework (draft); a core-values pack is added to the organisation's draft; SJT "
        "and catalogue packs add their items and learning activities."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("pack", type=Path, help="the pack's YAML file")
        parser.add_argument("--organisation", help="slug of the organisation to load it into")
        parser.add_argument(
            "--check", action="store_true", help="only validate the pack; load nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            pack = read_pack(options["pack"])
        except PackError as error:
            raise CommandError("\n".join(error.problems)) from error
        if options["check"]:
            self.stdout.write(f"{pack.slug}: valid")
            return
        if not options["organisation"]:
            raise CommandError("--organisation is required unless --check is given")
        organisation = Organisation.objects.filter(slug=options["organisation"]).first()
        if organisation is None:
            raise CommandError(f"No organisation with slug {options['organisation']!r}")
        actor = Actor(user=None, origin=None)
        try:
            if pack.kind == "exercises":
                from vakwerk.practice.bank import exercises_load_pack

                added = exercises_load_pack(organisation=organisation, actor=actor, pack=pack)
                self.stdout.write(f"{pack.slug}: {added} practice exercises added")
                return
            if pack.kind == "scenarios":
                from vakwerk.practice.services import scenarios_load_pack

                added = scenarios_load_pack(organisation=organisation, actor=actor, pack=pack)
                self.stdout.write(f"{pack.slug}: {added} scenario families added")
                return
            if pack.kind == "sjt":
                created = sjt_load_pack(organisation=organisation, actor=actor, pack=pack)
                self.stdout.write(f"{pack.slug}: {created} situational judgement items added")
                return
            if pack.kind == "catalogue":
                added = catalogue_load_pack(organisation=organisation, actor=actor, pack=pack)
                self.stdout.write(f"{pack.slug}: {added} learning activities added")
                return
            if pack.kind == "framework":
                framework = services.framework_adopt_pack(
                    organisation=organisation, actor=actor, pack=pack
                )
                self.stdout.write(f"{pack.slug}: framework {framework.name} created as a draft")
                return
            draft = organisation.frameworks.order_by("name").first()
            version = draft.versions.filter(status=VersionStatus.DRAFT).first() if draft else None
            if version is None:
                raise CommandError("The organisation has no draft framework to add this pack to")
            added = services.framework_add_pack(version=version, actor=actor, pack=pack)
            self.stdout.write(f"{pack.slug}: {added} competencies added to {version}")
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error

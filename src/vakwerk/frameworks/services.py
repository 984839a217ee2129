"""Writes to frameworks and role profiles. Published versions are never changed."""

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vakwerk.audit.services import Actor, audit_log
from vakwerk.frameworks.content import Pack
from vakwerk.frameworks.models import (
    Competency,
    Framework,
    FrameworkVersion,
    Indicator,
    Level,
    RoleProfile,
    RoleTarget,
    VersionStatus,
)
from vakwerk.organisations.models import Organisation

COMPETENCY_TEXT_FIELDS = ("name", "description", "why_daily", "why_career")


def _require_draft(version: FrameworkVersion) -> None:
    if not version.is_draft:
        raise ValidationError(_("A published version cannot be changed; start a new draft."))


def _competency_from_pack(version: FrameworkVersion, item: dict[str, Any], position: int) -> None:
    competency = Competency(
        version=version,
        code=item["code"],
        kind=item["kind"],
        position=position,
        case_uri=item.get("case_uri", ""),
        esco_uri=item.get("esco_uri", ""),
        **{field: item[field]["nl"] for field in COMPETENCY_TEXT_FIELDS},
        **{f"{field}_en": item[field]["en"] for field in COMPETENCY_TEXT_FIELDS},
    )
    competency.full_clean(exclude=["version"])
    competency.save()
    indicators = []
    for place, indicator in enumerate(item["indicators"]):
        row = Indicator(
            competency=competency,
            level=indicator["level"],
            position=place,
            text=indicator["text"]["nl"],
            text_en=indicator["text"]["en"],
        )
        row.full_clean()
        indicators.append(row)
    Indicator.objects.bulk_create(indicators)


@transaction.atomic
def framework_adopt_pack(*, organisation: Organisation, actor: Actor, pack: Pack) -> Framework:
    """Create a framework (version 1, draft) from a framework pack, with its role profiles."""
    if pack.kind != "framework":
        raise ValidationError(_("Only a framework pack can start a framework."))
    name = pack.title("nl")
    if Framework.objects.filter(organisation=organisation, name=name).exists():
        raise ValidationError(
            _("This organisation already has a framework called %(name)s.") % {"name": name}
        )
    framework = Framework.objects.create(organisation=organisation, name=name)
    version = FrameworkVersion.objects.create(framework=framework, number=1)
    for level in pack.data["levels"]:
        Level.objects.create(
            version=version,
            number=level["number"],
            name=level["name"]["nl"],
            name_en=level["name"]["en"],
            description=level["description"]["nl"],
            description_en=level["description"]["en"],
        )
    for position, item in enumerate(pack.data["competencies"]):
        _competency_from_pack(version, item, position)
    created_profiles = []
    for profile in pack.data.get("role_profiles", []):
        if RoleProfile.objects.filter(organisation=organisation, code=profile["code"]).exists():
            continue
        role = RoleProfile.objects.create(
            organisation=organisation,
            code=profile["code"],
            name=profile["name"]["nl"],
            name_en=profile["name"]["en"],
            description=profile["description"]["nl"],
            description_en=profile["description"]["en"],
        )
        RoleTarget.objects.bulk_create(
            RoleTarget(
                profile=role,
                competency_code=target["competency"],
                minimum=target["minimum"],
                target=target["target"],
                weight=Decimal(str(target["weight"])),
            )
            for target in profile["targets"]
        )
        created_profiles.append(role.code)
    audit_log(
        organisation=organisation,
        actor=actor,
        action="framework.adopt_pack",
        target=framework,
        details={"pack": pack.slug, "role_profiles": created_profiles},
    )
    return framework


@transaction.atomic
def framework_add_pack(*, version: FrameworkVersion, actor: Actor, pack: Pack) -> int:
    """Add a pack's competencies (e.g. core values) to a draft; codes already there are kept."""
    _require_draft(version)
    existing = set(version.competencies.values_list("code", flat=True))
    levels = set(version.levels.values_list("number", flat=True))
    added = 0
    start = version.competencies.count()
    for item in pack.data["competencies"]:
        if item["code"] in existing:
            continue
        outside = {i["level"] for i in item["indicators"]} - levels
        if outside:
            raise ValidationError(
                _("%(code)s has indicators for levels this framework does not have: %(levels)s.")
                % {"code": item["code"], "levels": ", ".join(map(str, sorted(outside)))}
            )
        _competency_from_pack(version, item, start + added)
        added += 1
    audit_log(
        organisation=version.framework.organisation,
        actor=actor,
        action="framework.add_pack",
        target=version,
        details={"pack": pack.slug, "added": added},
    )
    return added


@transaction.atomic
def framework_new_draft(*, version: FrameworkVersion, actor: Actor) -> FrameworkVersion:
    """Copy a published version into a new draft: the way to change a published framework."""
    framework = Framework.objects.select_for_update().get(pk=version.framework_id)
    draft = framework.versions.filter(status=VersionStatus.DRAFT).first()
    if draft is not None:
        return draft
    number = (
        framework.versions.order_by("-number").values_list("number", flat=True).first() or 0
    ) + 1
    draft = FrameworkVersion.objects.create(framework=framework, number=number)
    Level.objects.bulk_create(
        Level(
            version=draft,
            number=level.number,
            name=level.name,
            name_en=level.name_en,
            description=level.description,
            description_en=level.description_en,
        )
        for level in version.levels.all()
    )
    for competency in version.competencies.prefetch_related("indicators"):
        indicators = list(competency.indicators.all())
        competency.pk = None
        competency.version = draft
        competency.save()
        Indicator.objects.bulk_create(
            Indicator(
                competency=competency,
                level=i.level,
                position=i.position,
                text=i.text,
                text_en=i.text_en,
            )
            for i in indicators
        )
    audit_log(
        organisation=framework.organisation,
        actor=actor,
        action="framework.new_draft",
        target=draft,
        details={"from_version": version.number},
    )
    return draft


@transaction.atomic
def framework_publish(*, version: FrameworkVersion, actor: Actor, note: str = "") -> None:
    version = FrameworkVersion.objects.select_for_update().get(pk=version.pk)
    _require_draft(version)
    if not version.competencies.exists():
        raise ValidationError(_("A framework needs at least one competency to be published."))
    if not version.levels.exists():
        raise ValidationError(_("A framework needs a level scale to be published."))
    without = list(
        version.competencies.filter(indicators__isnull=True).values_list("code", flat=True)
    )
    if without:
        raise ValidationError(
            _("These competencies have no behavioural indicators yet: %(codes)s.")
            % {"codes": ", ".join(without)}
        )
    version.status = VersionStatus.PUBLISHED
    version.published_at = timezone.now()
    version.note = note
    version.save()
    audit_log(
        organisation=version.framework.organisation,
        actor=actor,
        action="framework.publish",
        target=version,
        details={"version": version.number, "note": note},
    )


@transaction.atomic
def competency_save(
    *,
    version: FrameworkVersion,
    actor: Actor,
    competency: Competency | None,
    fields: dict[str, Any],
    indicators: dict[int, list[str]],
) -> Competency:
    """Create or change a competency of a draft; ``indicators`` maps level -> Dutch texts.

    English indicator texts are kept for lines whose Dutch text did not change.
    """
    _require_draft(version)
    if competency is None:
        competency = Competency(version=version, position=version.competencies.count())
    elif competency.version_id != version.pk:
        raise ValidationError(_("This competency belongs to another version."))
    for name, value in fields.items():
        setattr(competency, name, value)
    competency.full_clean()
    competency.save()
    english = {(i.level, i.text): i.text_en for i in competency.indicators.all()}
    competency.indicators.all().delete()
    Indicator.objects.bulk_create(
        Indicator(
            competency=competency,
            level=level,
            position=place,
            text=text,
            text_en=english.get((level, text), ""),
        )
        for level, texts in indicators.items()
        for place, text in enumerate(texts)
    )
    audit_log(
        organisation=version.framework.organisation,
        actor=actor,
        action="framework.competency_save",
        target=competency,
        details={"competency": competency.code},  # not "code": a secret key to the log
    )
    return competency


@transaction.atomic
def competency_delete(*, competency: Competency, actor: Actor) -> None:
    _require_draft(competency.version)
    audit_log(
        organisation=competency.version.framework.organisation,
        actor=actor,
        action="framework.competency_delete",
        target=competency,
        details={"competency": competency.code},  # not "code": a secret key to the log
    )
    competency.delete()


@transaction.atomic
def role_profile_save(
    *,
    organisation: Organisation,
    actor: Actor,
    profile: RoleProfile | None,
    fields: dict[str, Any],
    targets: dict[str, tuple[int, int, Decimal]],
) -> RoleProfile:
    """Create or change a role profile; ``targets`` maps code -> (minimum, target, weight)."""
    if profile is None:
        profile = RoleProfile(organisation=organisation)
    for name, value in fields.items():
        setattr(profile, name, value)
    profile.full_clean()
    profile.save()
    profile.targets.exclude(competency_code__in=targets).delete()
    for code, (minimum, target, weight) in targets.items():
        row = profile.targets.filter(competency_code=code).first() or RoleTarget(
            profile=profile, competency_code=code
        )
        row.minimum, row.target, row.weight = minimum, target, weight
        row.full_clean()
        row.save()
    audit_log(
        organisation=organisation,
        actor=actor,
        action="role_profile.save",
        target=profile,
        details={
            "role_profile": profile.code,  # not "code": a secret key to the log
            "targets": {c: list(map(str, t)) for c, t in targets.items()},
        },
    )
    return profile


@transaction.atomic
def role_profile_copy(*, profile: RoleProfile, actor: Actor, code: str, name: str) -> RoleProfile:
    targets = {t.competency_code: (t.minimum, t.target, t.weight) for t in profile.targets.all()}
    return role_profile_save(
        organisation=profile.organisation,
        actor=actor,
        profile=None,
        fields={
            "code": code,
            "name": name,
            "description": profile.description,
            "description_en": profile.description_en,
        },
        targets=targets,
    )


@transaction.atomic
def levels_save(
    *, version: FrameworkVersion, actor: Actor, names: dict[int, dict[str, str]]
) -> None:
    """Rename the levels of a draft; ``names`` maps level number -> field -> text."""
    _require_draft(version)
    for level in version.levels.all():
        for field, value in names.get(level.number, {}).items():
            setattr(level, field, value)
        level.full_clean()
        level.save()
    audit_log(
        organisation=version.framework.organisation,
        actor=actor,
        action="framework.levels",
        target=version,
        details={str(number): fields.get("name", "") for number, fields in names.items()},
    )

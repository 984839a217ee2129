"""Reading frameworks and role profiles, always within one organisation."""

from dataclasses import dataclass, field
from functools import cache

from django.db import connection
from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.shortcuts import get_object_or_404

from vakwerk.frameworks.models import (
    Competency,
    Framework,
    FrameworkVersion,
    Indicator,
    RoleProfile,
    VersionStatus,
)
from vakwerk.lib import sql
from vakwerk.lib.i18n import pack_text
from vakwerk.organisations.models import Organisation

DIFF_FIELDS = (
    "kind",
    "name",
    "name_en",
    "description",
    "description_en",
    "why_daily",
    "why_daily_en",
    "why_career",
    "why_career_en",
    "case_uri",
    "esco_uri",
)


def frameworks(organisation: Organisation) -> QuerySet[Framework]:
    return Framework.objects.filter(organisation=organisation).prefetch_related(
        Prefetch("versions", queryset=FrameworkVersion.objects.order_by("-number"))
    )


def version_of(organisation: Organisation, version_id: int) -> FrameworkVersion:
    """The version with this id in this organisation, or 404."""
    return get_object_or_404(
        FrameworkVersion.objects.select_related("framework"),
        pk=version_id,
        framework__organisation=organisation,
    )


def version_content(version: FrameworkVersion) -> QuerySet[Competency]:
    return version.competencies.prefetch_related(
        Prefetch("indicators", queryset=Indicator.objects.order_by("level", "position"))
    )


def current_version(organisation: Organisation) -> FrameworkVersion | None:
    """The newest published version of the organisation's first framework, else its draft."""
    versions = FrameworkVersion.objects.filter(framework__organisation=organisation)
    return (
        versions.filter(status=VersionStatus.PUBLISHED)
        .order_by("framework__name", "-number")
        .first()
        or versions.order_by("framework__name", "-number").first()
    )


def role_profiles(organisation: Organisation) -> QuerySet[RoleProfile]:
    return RoleProfile.objects.filter(organisation=organisation).prefetch_related("targets")


@dataclass
class CompetencyChange:
    code: str
    fields: list[str] = field(default_factory=list)
    indicators_added: list[tuple[int, str]] = field(default_factory=list)
    indicators_removed: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class VersionDiff:
    added: list[Competency]
    removed: list[Competency]
    changed: list[CompetencyChange]
    levels_changed: list[int]

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.levels_changed)


def version_diff(old: FrameworkVersion, new: FrameworkVersion) -> VersionDiff:
    before = {c.code: c for c in version_content(old)}
    after = {c.code: c for c in version_content(new)}
    changed = []
    for code in sorted(before.keys() & after.keys()):
        a, b = before[code], after[code]
        change = CompetencyChange(code=code)
        change.fields = [f for f in DIFF_FIELDS if getattr(a, f) != getattr(b, f)]
        old_lines = {(i.level, i.text) for i in a.indicators.all()}
        new_lines = {(i.level, i.text) for i in b.indicators.all()}
        change.indicators_added = sorted(new_lines - old_lines)
        change.indicators_removed = sorted(old_lines - new_lines)
        if change.fields or change.indicators_added or change.indicators_removed:
            changed.append(change)
    old_levels = {lv.number: (lv.name, lv.name_en) for lv in old.levels.all()}
    new_levels = {lv.number: (lv.name, lv.name_en) for lv in new.levels.all()}
    levels_changed = sorted(
        n for n in old_levels.keys() | new_levels.keys() if old_levels.get(n) != new_levels.get(n)
    )
    return VersionDiff(
        added=[after[c] for c in sorted(after.keys() - before.keys())],
        removed=[before[c] for c in sorted(before.keys() - after.keys())],
        changed=changed,
        levels_changed=levels_changed,
    )


def current_competencies(organisation: Organisation) -> dict[str, Competency]:
    """Competency code -> competency of the newest published version of each framework (with
    several frameworks the first by name wins a code). For content that refers to competencies
    by code, such as learning activities and plans made without a measured round."""
    newest = (
        FrameworkVersion.objects.filter(
            framework=OuterRef("framework"), status=VersionStatus.PUBLISHED
        )
        .order_by("-number")
        .values("pk")[:1]
    )
    versions = FrameworkVersion.objects.filter(
        framework__organisation=organisation,
        status=VersionStatus.PUBLISHED,
        pk=Subquery(newest),
    )
    found: dict[str, Competency] = {}
    for competency in Competency.objects.filter(version__in=versions).order_by(
        "version__framework__name", "kind", "position", "code"
    ):
        found.setdefault(competency.code, competency)
    return found


@cache
def _labels_statement() -> str:
    """``current_competency_labels``' statement, with the models' table and column names."""
    c, v, f = Competency, FrameworkVersion, Framework
    picked = [(f, "f", "name"), (f, "f", "id"), (v, "v", "number"), (c, "c", "kind")]
    picked += [(c, "c", "position"), (c, "c", "code"), (c, "c", "name"), (c, "c", "name_en")]
    columns = ", ".join(f"{alias}.{sql.column(model, name)}" for model, alias, name in picked)
    joins = (
        f"{sql.table(c)} c"
        f" JOIN {sql.table(v)} v ON v.{sql.column(v, 'id')} = c.{sql.column(c, 'version')}"
        f" JOIN {sql.table(f)} f ON f.{sql.column(f, 'id')} = v.{sql.column(v, 'framework')}"
    )
    where = f"f.{sql.column(f, 'organisation')} = %s AND v.{sql.column(v, 'status')} = %s"
    # Names from the models (quoted by the backend); the values go in as parameters.
    return f"SELECT {columns} FROM {joins} WHERE {where}"  # noqa: S608


def current_competency_labels(organisation: Organisation) -> dict[str, str]:
    """Competency code -> name in the reader's language, as ``current_competencies`` picks
    them (a test holds the two equal). For pages that name competencies by code (today's
    practice, a scenario's ending): one plain statement for the names of every published
    version, the newest picked here. Plain SQL (``vakwerk.lib.sql``) because it runs on the
    practice pages people open most: on today's practice page it went from 4.0 ms through the
    ORM to 1.2-1.4 ms (measured in-process, on a slow machine)."""
    with connection.cursor() as cursor:
        cursor.execute(_labels_statement(), [organisation.pk, VersionStatus.PUBLISHED.value])
        rows = cursor.fetchall()
    newest: dict[int, int] = {}
    for _name, framework, number, *_rest in rows:
        newest[framework] = max(newest.get(framework, number), number)
    labels: dict[str, str] = {}
    for _name, framework, number, _kind, _position, code, name, name_en in sorted(rows):
        if number == newest[framework]:
            labels.setdefault(code, pack_text({"nl": name, "en": name_en}))
    return labels

"""Reads for the insight pages and exports: one person, one team, the whole organisation.

Every function takes the organisation first and only reads; whether the viewer may see an
individual is decided by ``insights.access`` before these are called, and aggregates over
people are only returned for groups of at least the organisation's anonymity threshold.
Levels are on the framework's level scale (``Estimate.level``), which is anchored on the
behavioural indicators and so comparable between rounds (unlike the standardised estimate).
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from django.core.cache import cache
from django.db.models import (
    Count,
    Exists,
    F,
    FilteredRelation,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vakwerk.assessments.models import (
    Invitation,
    InvitationStatus,
    Round,
    RoundStatus,
    Source,
    Subject,
)
from vakwerk.assessments.privacy import subject_feedback
from vakwerk.audit.models import AuditEvent
from vakwerk.audit.services import Actor
from vakwerk.frameworks.models import Competency, Level, RoleProfile, RoleTarget
from vakwerk.insights.gaps import (
    AGREEMENT_WORDS,
    AT_TARGET,
    BELOW,
    STATUS_LABELS,
    WITHIN,
    Band,
    gap_of,
    is_uncertain,
    shortfall,
    status_of,
)
from vakwerk.measurement.engine.update import months_between
from vakwerk.measurement.models import Estimate, EstimateRun, RunStatus
from vakwerk.measurement.selectors import CurrentLevel, current_levels
from vakwerk.organisations.models import Organisation
from vakwerk.people.models import Department, Employee, Team

PARTICIPATION_SECONDS = 3600
TOTALS_SECONDS = 24 * 3600
PRIORITIES = 3
STRENGTHS = 2
EVIDENCE_LABELS = {
    Source.SELF: _("self-assessment"),
    Source.MANAGER: _("manager"),
    Source.PEER: _("colleagues"),
    Source.EXTERNAL: _("external raters"),
    "sjt": _("situational judgement test"),
    "practice": _("practice (counted with a low weight)"),
}
# Groups of the source views shown as "others" next to the self view, most specific first.
OTHER_GROUPS = ("others", "peer", "manager", "external")


# --- rounds -------------------------------------------------------------------------------


def with_scale_top(rounds: QuerySet[Round]) -> QuerySet[Round]:
    """``rounds`` with the number of levels of their framework version (``scale_top``)."""
    levels = (
        Level.objects.filter(version=OuterRef("version"))
        .order_by()
        .values("version")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return rounds.annotate(level_count=Subquery(levels))


def measured_rounds(organisation: Organisation) -> QuerySet[Round]:
    """Closed rounds with stored estimates, newest first. ``Exists`` rather than a join: the
    join gave a row per run (or per estimate, filtered further) to sort and make distinct."""
    finished = EstimateRun.objects.filter(round=OuterRef("pk"), status=RunStatus.DONE)
    return with_scale_top(
        Round.objects.filter(organisation=organisation, status=RoundStatus.CLOSED)
        .filter(Exists(finished))
        .select_related("version")
        .order_by("-closed_at", "-id")
    )


def pick_round(rounds: Sequence[Round], round_id: int | None) -> Round | None:
    """The asked-for round when it is among ``rounds``, else the newest."""
    for round_ in rounds:
        if round_.pk == round_id:
            return round_
    return rounds[0] if rounds else None


def bands_for(profile_ids: Iterable[int | None]) -> dict[int, dict[str, Band]]:
    """Role profile id -> competency code -> desired band (one query)."""
    wanted = {pk for pk in profile_ids if pk is not None}
    bands: dict[int, dict[str, Band]] = defaultdict(dict)
    targets = (
        RoleTarget.objects.filter(profile_id__in=wanted)
        .order_by()
        .values_list("profile_id", "competency_code", "minimum", "target", "weight")
    )
    for profile_id, code, minimum, target, weight in targets:
        bands[profile_id][code] = Band(minimum, target, weight)
    return bands


def scale_top(round_: Round) -> int:
    """The highest level of the round's framework (4 when it has none): annotated by
    ``with_scale_top`` (``measured_rounds``, ``personal_rounds``), else one query."""
    top = getattr(round_, "level_count", None)
    if top is None:
        top = Level.objects.filter(version=round_.version).count()
    return top or 4


def competencies_of(round_: Round, codes: Iterable[str] | None = None) -> list[Competency]:
    """The round's competencies in framework order; only ``codes`` when given (the ones
    measured: each person is measured on their role's competencies)."""
    found = Competency.objects.filter(version=round_.version).order_by("position", "code")
    if round_.competency_codes:
        found = found.filter(code__in=round_.competency_codes)
    if codes is not None:
        found = found.filter(code__in=list(codes))
    return list(found)


# --- one person ---------------------------------------------------------------------------


@dataclass
class TrendPoint:
    round: Round
    level: float | None
    lower: float | None
    upper: float | None


@dataclass
class CompetencyResult:
    competency: Competency
    estimate: Estimate | None
    band: Band | None
    trend: list[TrendPoint] = field(default_factory=list)
    comments: dict[str, list[str]] = field(default_factory=dict)
    # The estimate as it stands now: later pulse updates applied, its interval widened by the
    # age of the evidence (``measurement.selectors.current_levels``).
    current: CurrentLevel | None = None
    # The figures derived from these fields are cached properties: a team page asks for the
    # status of every cell several times. The fields are not changed after construction.

    @cached_property
    def level(self) -> float | None:
        if self.current is not None:
            return self.current.level
        return self.estimate.level if self.estimate else None

    @cached_property
    def lower(self) -> float | None:
        if self.current is not None:
            return self.current.level_lower
        return self.estimate.level_lower if self.estimate else None

    @cached_property
    def upper(self) -> float | None:
        if self.current is not None:
            return self.current.level_upper
        return self.estimate.level_upper if self.estimate else None

    @property
    def outdated(self) -> bool:
        """The evidence is older than the organisation's ``results_outdated_months``."""
        return self.current is not None and self.current.is_outdated

    @property
    def from_pulse(self) -> bool:
        return self.current is not None and self.current.from_pulse

    @cached_property
    def status(self) -> str | None:
        if self.level is None or self.band is None:
            return None
        return status_of(self.level, self.band)

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status]) if self.status else ""

    @cached_property
    def gap(self) -> float | None:
        if self.level is None or self.band is None:
            return None
        return gap_of(self.level, self.band)

    @cached_property
    def uncertain(self) -> bool:
        if self.estimate is None or self.band is None:
            return True
        return is_uncertain(self.lower, self.upper, self.band)

    @cached_property
    def shortfall(self) -> float:
        if self.level is None or self.band is None:
            return 0.0
        return shortfall(self.level, self.band)

    def _view_level(self, groups: Sequence[str]) -> float | None:
        views = self.estimate.views if self.estimate else {}
        for group in groups:
            level = views.get(group, {}).get("level")
            if level is not None:
                return float(level)
        return None

    @cached_property
    def self_level(self) -> float | None:
        return self._view_level(("self",))

    @cached_property
    def others_level(self) -> float | None:
        return self._view_level(OTHER_GROUPS)

    @property
    def agreement_words(self) -> tuple[str, str] | None:
        if self.estimate is None or not self.estimate.agreement:
            return None
        title, text = AGREEMENT_WORDS[self.estimate.agreement]
        return str(title), str(text)

    @property
    def comment_groups(self) -> list[tuple[str, list[str]]]:
        return [(str(EVIDENCE_LABELS.get(s, s)), texts) for s, texts in self.comments.items()]

    @property
    def evidence_list(self) -> list[tuple[str, int]]:
        """(source label, number of scores) for the sources that contributed."""
        return [(str(EVIDENCE_LABELS[source]), n) for source, n in self.evidence.items()]

    @property
    def evidence(self) -> dict[str, int]:
        e = self.estimate
        if e is None:
            return {}
        counts = {
            Source.SELF: e.n_self,
            Source.MANAGER: e.n_manager,
            Source.PEER: e.n_peer,
            Source.EXTERNAL: e.n_external,
            "sjt": e.n_sjt,
            "practice": e.n_practice,
        }
        return {source: n for source, n in counts.items() if n}


@dataclass
class PersonalReport:
    employee: Employee
    round: Round | None
    rounds: list[Round]  # rounds with results for this person, oldest first
    results: list[CompetencyResult]
    scale_top: int

    @property
    def measured(self) -> list[CompetencyResult]:
        return [r for r in self.results if r.level is not None]

    @property
    def priorities(self) -> list[CompetencyResult]:
        """The largest weighted shortfalls under the target (at most three)."""
        short = [r for r in self.measured if r.band is not None and r.shortfall > 0]
        short.sort(key=lambda r: (-r.shortfall, r.competency.position, r.competency.code))
        return short[:PRIORITIES]

    @property
    def strengths(self) -> list[CompetencyResult]:
        """The furthest at or above target, else the highest levels (at most two)."""
        chosen = {r.competency.code for r in self.priorities}
        rest = [r for r in self.measured if r.competency.code not in chosen]
        rest.sort(
            key=lambda r: (
                -(r.level or 0.0) + (r.band.target if r.band else 0.0),
                r.competency.position,
            )
        )
        return rest[:STRENGTHS]

    @property
    def age_days(self) -> int | None:
        if self.round is None or self.round.closed_at is None:
            return None
        return (timezone.now() - self.round.closed_at).days

    @property
    def outdated(self) -> list[CompetencyResult]:
        """Results whose evidence is older than the organisation allows: measure again."""
        return [r for r in self.results if r.outdated]

    @property
    def updated_by_pulse(self) -> bool:
        return any(r.from_pulse for r in self.results)


def personal_rounds(organisation: Organisation, employee: Employee) -> list[Round]:
    """Closed rounds in which this person has results, oldest first."""
    ids = (
        Estimate.objects.filter(organisation=organisation, employee=employee)
        .values_list("round_id", flat=True)
        .distinct()
    )
    return list(
        with_scale_top(
            Round.objects.filter(organisation=organisation, status=RoundStatus.CLOSED, pk__in=ids)
            .select_related("version")
            .order_by("closed_at", "id")
        )
    )


def personal_report(
    organisation: Organisation,
    employee: Employee,
    *,
    round_id: int | None = None,
    actor: Actor,
    viewer_is_subject: bool,
) -> PersonalReport:
    """One person's results in one round (the newest unless asked), with the trend over all
    their rounds and the comments of groups at or above the anonymity threshold."""
    rounds = personal_rounds(organisation, employee)
    round_ = pick_round(list(reversed(rounds)), round_id)
    if round_ is None:
        return PersonalReport(employee, None, [], [], 4)
    estimates: dict[tuple[int, str], Estimate] = {
        (e.round_id, e.competency_code): e
        for e in Estimate.objects.filter(organisation=organisation, employee=employee)
    }
    band_of = bands_for([employee.role_profile_id]).get(employee.role_profile_id or 0, {})
    comments: dict[str, dict[str, list[str]]] = {}
    subject = Subject.objects.filter(round=round_, employee=employee).first()
    if subject is not None:  # the round and organisation at hand, not fetched again
        subject.round = round_
        round_.organisation = organisation
    measured = {code for round_pk, code in estimates if round_pk == round_.pk}
    measured.update(subject.competency_codes if subject else [])
    if subject is not None:
        feedback = subject_feedback(
            subject, actor=actor, viewer_is_subject=viewer_is_subject, distributions=False
        )  # the report shows the comments; the answers are in its estimates
        comments = {code: item.comments for code, item in feedback.items()}
    current = current_levels(
        organisation,
        [e for (round_pk, _code), e in estimates.items() if round_pk == round_.pk],
        closed_at={round_.pk: round_.closed_at},
    )
    results = []
    for competency in competencies_of(round_, measured):
        code = competency.code
        trend = []
        for r in rounds:
            e = estimates.get((r.pk, code))
            trend.append(
                TrendPoint(r, e.level, e.level_lower, e.level_upper)
                if e
                else TrendPoint(r, None, None, None)
            )
        estimate = estimates.get((round_.pk, code))
        results.append(
            CompetencyResult(
                competency=competency,
                estimate=estimate,
                band=band_of.get(code),
                trend=trend,
                comments=comments.get(code, {}),
                current=current.get(estimate.pk) if estimate else None,
            )
        )
    return PersonalReport(employee, round_, rounds, results, scale_top(round_))


# --- aggregates ---------------------------------------------------------------------------


@dataclass
class Distribution:
    """How many people are below, within and at or above their band on one competency."""

    below: int = 0
    within: int = 0
    at_target: int = 0
    no_target: int = 0  # measured, but their role sets no band for this competency

    def __add__(self, other: "Distribution") -> "Distribution":
        return Distribution(
            self.below + other.below,
            self.within + other.within,
            self.at_target + other.at_target,
            self.no_target + other.no_target,
        )

    def add(self, status: str | None) -> None:
        if status == BELOW:
            self.below += 1
        elif status == WITHIN:
            self.within += 1
        elif status == AT_TARGET:
            self.at_target += 1
        else:
            self.no_target += 1

    @property
    def with_target(self) -> int:
        return self.below + self.within + self.at_target

    @property
    def people(self) -> int:
        return self.with_target + self.no_target

    @property
    def share_at_target(self) -> float | None:
        return self.at_target / self.with_target if self.with_target else None


def shown(count: int, organisation: Organisation) -> bool:
    """Aggregates over fewer people than the anonymity threshold are never shown."""
    return count >= organisation.anonymity_threshold


# --- a manager's team ---------------------------------------------------------------------


@dataclass
class TeamRow:
    employee: Employee
    visible: bool  # may the viewer see this person's individual results
    results: dict[str, CompetencyResult]

    @property
    def below_count(self) -> int:
        return sum(1 for r in self.results.values() if r.status == BELOW)

    @property
    def outdated_count(self) -> int:
        return sum(1 for r in self.results.values() if r.outdated)


@dataclass
class Participation:
    people: int = 0
    self_done: int = 0
    manager_done: int = 0
    feedback_invited: int = 0
    feedback_done: int = 0


@dataclass
class TeamOverview:
    round: Round | None
    rounds: list[Round]
    competencies: list[Competency]
    rows: list[TeamRow]  # visible individuals only
    hidden: int  # measured people whose individual results the viewer may not see
    distributions: dict[str, Distribution]  # only when shown over enough people
    measured: int
    participation: Participation
    scale_top: int
    threshold: int

    @property
    def outdated_rows(self) -> list[TeamRow]:
        """People shown whose results are (partly) older than the organisation allows."""
        return [row for row in self.rows if row.outdated_count]


def team_overview(
    organisation: Organisation,
    members: Sequence[Employee],
    *,
    round_id: int | None,
    may_see: set[int],
) -> TeamOverview:
    """The team picture of ``members`` (a manager's direct reports): individual rows for the
    people in ``may_see``, distributions only over at least the anonymity threshold."""
    ids = [m.pk for m in members]
    theirs = Estimate.objects.filter(round=OuterRef("pk"), employee_id__in=ids)
    rounds = list(measured_rounds(organisation).filter(Exists(theirs)))
    round_ = pick_round(rounds, round_id)
    threshold = organisation.anonymity_threshold
    if round_ is None:
        return TeamOverview(None, [], [], [], 0, {}, 0, Participation(), 4, threshold)
    bands = bands_for(m.role_profile_id for m in members)
    by_person: dict[int, dict[str, Estimate]] = defaultdict(dict)
    for e in Estimate.objects.filter(organisation=organisation, round=round_, employee_id__in=ids):
        by_person[e.employee_id][e.competency_code] = e
    competencies = competencies_of(round_, {code for found in by_person.values() for code in found})
    current = current_levels(
        organisation,
        [e for found in by_person.values() for e in found.values()],
        closed_at={round_.pk: round_.closed_at},
    )
    distributions: dict[str, Distribution] = {c.code: Distribution() for c in competencies}
    hidden_measured: dict[str, int] = defaultdict(int)  # per competency, people not shown
    rows = []
    hidden = 0
    for member in members:
        mine = by_person.get(member.pk)
        if not mine:
            continue
        band_of = bands.get(member.role_profile_id or 0, {})
        results = {}
        for c in competencies:
            estimate = mine.get(c.code)
            results[c.code] = CompetencyResult(
                c,
                estimate,
                band_of.get(c.code),
                current=current.get(estimate.pk) if estimate else None,
            )
        visible = member.pk in may_see
        for code, result in results.items():
            if result.level is not None:
                distributions[code].add(result.status)
                hidden_measured[code] += not visible
        if visible:
            rows.append(TeamRow(member, True, results))
        else:
            hidden += 1
    measured = len(by_person)
    return TeamOverview(
        round=round_,
        rounds=rounds,
        competencies=competencies,
        rows=rows,
        hidden=hidden,
        # A team figure minus the rows shown is the figure of the people not shown: it stays
        # out unless those people, too, are none or at least the threshold.
        distributions={
            code: d
            for code, d in distributions.items()
            if shown(d.people, organisation)
            and (hidden_measured[code] == 0 or shown(hidden_measured[code], organisation))
        },
        measured=measured,
        participation=participation(Subject.objects.filter(round=round_, employee_id__in=ids)),
        scale_top=scale_top(round_),
        threshold=threshold,
    )


def sort_team_rows(rows: list[TeamRow], *, sort: str, only_below: bool) -> list[TeamRow]:
    """By name, or by the gap on one competency (the largest shortfall first, unmeasured
    last); optionally only the people below the minimum somewhere."""
    found = [row for row in rows if row.below_count] if only_below else list(rows)

    def by_name(row: TeamRow) -> tuple[str, str]:
        return (row.employee.last_name.lower(), row.employee.first_name.lower())

    if sort == "naam":
        return sorted(found, key=by_name)

    def by_gap(row: TeamRow) -> tuple[bool, float, tuple[str, str]]:
        result = row.results.get(sort)
        level, band = (result.level, result.band) if result else (None, None)
        if level is None or band is None:
            return (True, 0.0, by_name(row))
        return (False, level - band.target, by_name(row))

    return sorted(found, key=by_gap)


def participation(subjects: QuerySet[Subject]) -> Participation:
    """Response counts of these subjects of one round (two queries)."""
    result = Participation(people=subjects.count())
    rows = (
        Invitation.objects.filter(subject__in=subjects)
        .values("source")
        .annotate(
            total=Count("id"),
            done=Count("id", filter=Q(status=InvitationStatus.COMPLETED)),
        )
    )
    for row in rows:
        if row["source"] == Source.SELF:
            result.self_done = row["done"]
        elif row["source"] == Source.MANAGER:
            result.manager_done = row["done"]
        else:
            result.feedback_invited += row["total"]
            result.feedback_done += row["done"]
    return result


# --- the organisation ---------------------------------------------------------------------

GROUP_DEPARTMENT, GROUP_TEAM, GROUP_ROLE = "afdeling", "team", "functieprofiel"
GROUP_LABELS = {
    GROUP_DEPARTMENT: _("Department"),
    GROUP_TEAM: _("Team"),
    GROUP_ROLE: _("Role profile"),
}
GROUP_FIELDS = {
    GROUP_DEPARTMENT: "employee__team__department_id",
    GROUP_TEAM: "employee__team_id",
    GROUP_ROLE: "employee__role_profile_id",
}


def band_relation() -> FilteredRelation:
    """For an Estimate query: the role target of the person's role profile for the same
    competency (``band__minimum``, ``band__target``, ``band__weight``)."""
    return FilteredRelation(
        "employee__role_profile__targets",
        condition=Q(employee__role_profile__targets__competency_code=F("competency_code")),
    )


def band_counts(
    organisation: Organisation, round_ids: Sequence[int], *, group_field: str | None = None
) -> QuerySet[Estimate, dict[str, object]]:
    """The one aggregate under the organisation view: per round, unit and competency, how
    many measured people are below, within and at or above their role's band.

    The band is joined in SQL (the role target of the person's role profile for the same
    competency), so a page over tens of thousands of people is one grouped query."""
    found = Estimate.objects.filter(
        organisation=organisation, round_id__in=round_ids, level__isnull=False
    ).annotate(band=band_relation())
    keys = ["round_id", "competency_code"] + ([group_field] if group_field else [])
    # Counting employee (not id) lets PostgreSQL answer from the covering index
    # ``estimate_band_counts`` without reading the wide estimate rows.
    return (
        found.values(*keys)
        .annotate(
            people=Count("employee"),
            below=Count("employee", filter=Q(level__lt=F("band__minimum"))),
            within=Count(
                "employee", filter=Q(level__gte=F("band__minimum"), level__lt=F("band__target"))
            ),
            at_target=Count("employee", filter=Q(level__gte=F("band__target"))),
        )
        .order_by(*keys)
    )


@dataclass
class Unit:
    key: int | None
    name: str
    distributions: dict[str, Distribution]
    people: int
    suppressed: bool = False


@dataclass
class OrganisationOverview:
    round: Round | None
    rounds: list[Round]  # newest first
    competencies: list[Competency]
    group_by: str
    department: Department | None
    total: Unit | None
    units: list[Unit]
    trend: dict[str, list[float | None]]  # competency -> share at target per round (oldest first)
    trend_rounds: list[Round]
    participation: Participation
    threshold: int
    outdated: bool = False  # the round is older than the organisation's results_outdated_months

    @property
    def largest_gaps(self) -> list[tuple[Competency, Distribution]]:
        """Competencies with the most people under their target, most first."""
        if self.total is None:
            return []
        ranked = [
            (c, self.total.distributions[c.code])
            for c in self.competencies
            if c.code in self.total.distributions
        ]
        ranked = [pair for pair in ranked if pair[1].below + pair[1].within > 0]
        ranked.sort(key=lambda pair: -(pair[1].below + pair[1].within) / pair[1].with_target)
        return ranked[:3]


def _unit_names(organisation: Organisation, group_by: str) -> dict[int, str]:
    if group_by == GROUP_TEAM:
        return dict(Team.objects.filter(organisation=organisation).values_list("pk", "name"))
    if group_by == GROUP_DEPARTMENT:
        return dict(Department.objects.filter(organisation=organisation).values_list("pk", "name"))
    return {p.pk: p.label for p in RoleProfile.objects.filter(organisation=organisation)}


def _distribution(row: dict[str, object]) -> Distribution:
    people = int(str(row["people"]))
    below, within, at_target = (int(str(row[k])) for k in ("below", "within", "at_target"))
    return Distribution(below, within, at_target, people - below - within - at_target)


def suppress(units: list[Unit], organisation: Organisation, *, has_total: bool) -> None:
    """Hide every figure over fewer people than the threshold, per competency.

    A unit under the threshold is hidden whole; a competency measured for too few people in a
    unit hides that one figure. When a total is shown next to the units, the hidden figures of
    a competency must together cover none or at least the threshold of people, or the total
    minus the visible figures would give a small group away: then the next smallest figures
    are hidden as well (secondary suppression)."""
    threshold = organisation.anonymity_threshold
    for code in sorted({code for unit in units for code in unit.distributions}):
        cells = [unit for unit in units if code in unit.distributions]
        hidden = [u for u in cells if min(u.people, u.distributions[code].people) < threshold]
        visible = sorted(
            (u for u in cells if u not in hidden), key=lambda u: u.distributions[code].people
        )
        hidden_people = sum(u.distributions[code].people for u in hidden)
        while has_total and 0 < hidden_people < threshold and visible:
            extra = visible.pop(0)
            hidden.append(extra)
            hidden_people += extra.distributions[code].people
        for unit in hidden:
            del unit.distributions[code]
    for unit in units:
        unit.suppressed = unit.people < threshold or not unit.distributions


def unit_distributions(
    rows: Iterable[dict[str, object]], field: str, codes: set[str]
) -> dict[int | None, dict[str, Distribution]]:
    """``band_counts`` rows grouped by ``field``, per unit and competency (None: no unit)."""
    per_unit: dict[int | None, dict[str, Distribution]] = defaultdict(dict)
    for row in rows:
        key = row[field]
        if row["competency_code"] in codes:
            per_unit[key if isinstance(key, int) else None][str(row["competency_code"])] = (
                _distribution(row)
            )
    return per_unit


def _summed(parts: Iterable[dict[str, Distribution]]) -> dict[str, Distribution]:
    totals: dict[str, Distribution] = defaultdict(Distribution)
    for found in parts:
        for code, d in found.items():
            totals[code] = totals[code] + d
    return dict(totals)


def _by_department(
    per_team: dict[int | None, dict[str, Distribution]], department_of: dict[int, int | None]
) -> dict[int | None, dict[str, Distribution]]:
    """Team figures added up per department (None: no team, or a team without one), as the
    department split counts them."""
    grouped: dict[int | None, list[dict[str, Distribution]]] = defaultdict(list)
    for team_id, found in per_team.items():
        grouped[department_of.get(team_id) if team_id is not None else None].append(found)
    return {key: _summed(parts) for key, parts in grouped.items()}


def department_figures_shown(
    organisation: Organisation, per_department: dict[int | None, dict[str, Distribution]]
) -> dict[int | None, set[str]]:
    """Per department, the competencies whose figure the department split shows, after the
    same suppression as on that page."""
    totals = _summed(per_department.values())
    total = Unit(None, "", totals, _unit_people(totals))
    units = [
        Unit(key, "", dict(found), _unit_people(found)) for key, found in per_department.items()
    ]
    suppress([total], organisation, has_total=False)
    suppress(units, organisation, has_total=not total.suppressed)
    return {u.key: set() if u.suppressed else set(u.distributions) for u in units}


def _teams_within(
    teams: list[Unit],
    department_of: dict[int, int | None],
    shown_codes: dict[int | None, set[str]],
    organisation: Organisation,
    department_id: int | None,
) -> list[Unit]:
    """The team units to show (one department's, or all), suppressed per department.

    The department split is another page of the same figures: a department's figure minus its
    teams shown is the figure of its teams not shown, so those must together cover none or at
    least the threshold of people, exactly as against a total on one page. A competency whose
    department figure that split hides shows none of the department's teams either (their sum
    would be the hidden figure). Hidden team figures then add up, over the organisation, to
    none or at least the threshold as well, so the organisation's total needs no more."""
    groups: dict[int | None, list[Unit]] = defaultdict(list)
    for team in teams:
        groups[department_of.get(team.key) if team.key is not None else None].append(team)
    shown: list[Unit] = []
    for key, members in groups.items():
        if department_id is not None and key != department_id:
            continue
        allowed = shown_codes.get(key, set())
        for team in members:
            team.distributions = {c: d for c, d in team.distributions.items() if c in allowed}
        suppress(members, organisation, has_total=True)
        shown.extend(members)
    shown.sort(key=lambda u: (u.key is None, u.name.lower()))
    return shown


def _department_splits(
    organisation: Organisation, rounds: Sequence[Round]
) -> dict[int, dict[int | None, dict[str, Distribution]]]:
    """Per round, the department split: per department (None: none) and competency, the
    distribution over the people measured; the trend's points add it up or take a department
    from it. A round's figures only change with a new estimate run, so they are kept under a
    key with the run's id (a day at most, for people who moved)."""
    runs = dict(
        EstimateRun.objects.filter(round__in=rounds, status=RunStatus.DONE)
        .values("round_id")
        .annotate(last=Max("id"))
        .values_list("round_id", "last")
    )
    keys = {r.pk: f"insights:departments:{r.pk}:{runs.get(r.pk)}" for r in rounds}
    cached = cache.get_many(list(keys.values()))
    found: dict[int, dict[int | None, dict[str, Distribution]]] = {
        pk: cached[key] for pk, key in keys.items() if key in cached
    }
    missing = [pk for pk in keys if pk not in found]
    if missing:
        field = GROUP_FIELDS[GROUP_DEPARTMENT]
        fresh: dict[int, dict[int | None, dict[str, Distribution]]] = {pk: {} for pk in missing}
        for row in band_counts(organisation, missing, group_field=field):
            key = row[field]
            fresh[int(str(row["round_id"]))].setdefault(key if isinstance(key, int) else None, {})[
                str(row["competency_code"])
            ] = _distribution(row)
        cache.set_many({keys[pk]: value for pk, value in fresh.items()}, TOTALS_SECONDS)
        found.update(fresh)
    return found


def _trend_points(
    organisation: Organisation, rounds: Sequence[Round], department_id: int | None
) -> dict[int, dict[str, Distribution]]:
    """Per earlier round, the figures of the whole organisation, or of one department as that
    round's department split shows them (suppressed as on that page)."""
    points: dict[int, dict[str, Distribution]] = {}
    for round_id, split in _department_splits(organisation, rounds).items():
        if department_id is None:
            points[round_id] = _summed(split.values())
            continue
        allowed = department_figures_shown(organisation, split).get(department_id, set())
        mine = split.get(department_id, {})
        points[round_id] = {c: d for c, d in mine.items() if c in allowed}
    return points


def organisation_overview(
    organisation: Organisation,
    *,
    round_id: int | None,
    group_by: str,
    department_id: int | None = None,
) -> OrganisationOverview:
    rounds = list(measured_rounds(organisation))
    round_ = pick_round(rounds, round_id)
    threshold = organisation.anonymity_threshold
    department = (
        Department.objects.filter(organisation=organisation, pk=department_id).first()
        if department_id is not None
        else None
    )
    if department is not None:
        group_by = GROUP_TEAM
    if round_ is None:
        return OrganisationOverview(
            None, [], [], group_by, department, None, [], {}, [], Participation(), threshold
        )
    competencies = competencies_of(round_)
    codes = {c.code for c in competencies}
    dept_id = department.pk if department else None

    names = _unit_names(organisation, group_by)
    # Teams are always read for the whole organisation: what a team split or a department's
    # drill-down shows must add nothing to the department split (see _teams_within).
    per_unit = unit_distributions(
        band_counts(organisation, [round_.pk], group_field=GROUP_FIELDS[group_by]),
        GROUP_FIELDS[group_by],
        codes,
    )
    # Every grouping splits the people measured, so the units add up to the total.
    totals = _summed(per_unit.values())
    competencies = [c for c in competencies if c.code in totals]  # the ones measured
    total = Unit(None, "", totals, _unit_people(totals))
    units = [
        Unit(key, names.get(key, "") if key is not None else "", found, _unit_people(found))
        for key, found in per_unit.items()
    ]
    units.sort(key=lambda u: (u.key is None, u.name.lower()))

    oldest_first = list(reversed(rounds))
    chosen = oldest_first.index(round_)
    trend_rounds = oldest_first[max(0, chosen - 5) : chosen + 1]
    if group_by == GROUP_TEAM:
        department_of: dict[int, int | None] = dict(
            Team.objects.filter(organisation=organisation).values_list("pk", "department_id")
        )
        per_department = _by_department(per_unit, department_of)
        shown_codes = department_figures_shown(organisation, per_department)
        units = _teams_within(units, department_of, shown_codes, organisation, dept_id)
        if department is not None:
            totals = per_department.get(dept_id, {})
            allowed = shown_codes.get(dept_id, set())
            total = Unit(
                None,
                "",
                {c: d for c, d in totals.items() if c in allowed},
                _unit_people(totals),
            )
    earlier = _trend_points(organisation, trend_rounds[:-1], dept_id)
    earlier[round_.pk] = total.distributions
    trend = {
        c.code: [_shown_share(earlier[r.pk].get(c.code), organisation) for r in trend_rounds]
        for c in competencies
    }
    suppress([total], organisation, has_total=False)
    if group_by != GROUP_TEAM:
        suppress(units, organisation, has_total=not total.suppressed)
    subjects = Subject.objects.filter(round=round_)
    if dept_id is not None:
        subjects = subjects.filter(employee__team__department_id=dept_id)
    # A closed round's invitations no longer change; counting them over a whole organisation
    # reads every invitation of the round, so the figure is kept for a while.
    participation_key = f"insights:participation:{round_.pk}:{dept_id or 'all'}"
    taking_part = cache.get(participation_key)
    if not isinstance(taking_part, Participation):
        taking_part = participation(subjects)
        cache.set(participation_key, taking_part, PARTICIPATION_SECONDS)
    return OrganisationOverview(
        round=round_,
        rounds=rounds,
        competencies=competencies,
        group_by=group_by,
        department=department,
        total=total,
        units=units,
        trend=trend,
        trend_rounds=trend_rounds,
        participation=taking_part,
        threshold=threshold,
        outdated=round_is_outdated(organisation, round_),
    )


def round_is_outdated(organisation: Organisation, round_: Round) -> bool:
    """Whether a round's results are older than the organisation's ``results_outdated_months``
    (the organisation view's figures are the round's, without later pulses)."""
    if round_.closed_at is None:
        return False
    days = (timezone.now() - round_.closed_at).total_seconds() / 86400.0
    return months_between(days) >= organisation.results_outdated_months


def _shown_share(found: Distribution | None, organisation: Organisation) -> float | None:
    if found is None or not shown(found.people, organisation):
        return None
    return found.share_at_target


def _unit_people(found: dict[str, Distribution]) -> int:
    """People in a unit: the most measured on any competency (each person is measured on all
    of the round's competencies, so this is the head count)."""
    return max((d.people for d in found.values()), default=0)


# --- the access log -----------------------------------------------------------------------

# A plan shows the measured levels it starts from, so opening someone's plan (page, API) or its
# conversation guide is a look at their results too (development.views, api.routers.plans).
ACCESS_ACTIONS = ("results.view", "results.export", "feedback.view", "plan.view", "plan.guide")


def access_events(organisation: Organisation, employee: Employee) -> QuerySet[AuditEvent]:
    """Every recorded look at this person's results or feedback by someone else."""
    subjects = [
        str(pk) for pk in Subject.objects.filter(employee=employee).values_list("pk", flat=True)
    ]
    return AuditEvent.objects.filter(
        Q(object_type="people.employee", object_id=str(employee.pk))
        | Q(object_type="assessments.subject", object_id__in=subjects),
        organisation=organisation,
        action__in=ACCESS_ACTIONS,
    ).order_by("-created_at", "-id")

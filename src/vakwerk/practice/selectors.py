"""Reads for daily practice: what is due today, and a calm look back at the week.

Today's page is opened by every practising employee every day, so it reads each table once:
the organisation's scenario families, the person's cards (all of them: a few dozen at most)
and one query for the three practice-bank items; what is due, what comes back later and which
cards are missing are worked out from those rows.
"""

import datetime as dt
import threading
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from vakwerk.development.models import FocusKind, PlanFocus
from vakwerk.frameworks.models import RoleTarget
from vakwerk.frameworks.selectors import current_competency_labels
from vakwerk.lib import sql
from vakwerk.lib.ids import MAX_DATABASE_ID
from vakwerk.nudges import campaign_selectors
from vakwerk.nudges.models import Campaign
from vakwerk.organisations.models import Organisation
from vakwerk.people.models import Employee
from vakwerk.practice.models import (
    Attempt,
    Card,
    Exercise,
    ExerciseAnswer,
    ExerciseKind,
    ScenarioFamily,
    ScenarioVariant,
)

if TYPE_CHECKING:
    from vakwerk.accounts.models import User

SESSION_ITEMS = 2  # two scenarios of 6-8 decisions: about five minutes
BANK_KINDS = (ExerciseKind.JUDGEMENT, ExerciseKind.CARD, ExerciseKind.REFLECTION)


def own_employee(organisation: Organisation, user: "User") -> Employee | None:
    """The user's own employee record in ``organisation`` (at most one), without the team and
    manager that ``people.selectors.employee_of`` joins in: practice does not show them."""
    return Employee.objects.filter(organisation=organisation, user=user).first()


def scenario_families(organisation: Organisation) -> list[ScenarioFamily]:
    """All of the organisation's scenario families, offered or not, oldest first."""
    return list(ScenarioFamily.objects.filter(organisation=organisation).order_by("pk"))


def practice_codes(
    organisation: Organisation,
    employee: Employee,
    *,
    families: Sequence[ScenarioFamily] | None = None,
    campaigns: Sequence[Campaign] | None = None,
) -> set[str]:
    """The competencies a person practises: their role's, else every competency the scenarios
    and the practice bank offer; plus the themes of campaigns running for them. ``families``
    (``scenario_families``) and ``campaigns`` (``active_campaigns_for`` today) save reading
    them again."""
    codes: set[str] = set()
    if employee.role_profile_id is not None:
        codes = set(
            RoleTarget.objects.filter(profile_id=employee.role_profile_id).values_list(
                "competency_code", flat=True
            )
        )
    if codes:
        # A campaign's theme is practised also by people whose role lacks it.
        if campaigns is None:
            campaigns = campaign_selectors.active_campaigns_for(employee, timezone.localdate())
        return codes | set(campaign_selectors.campaign_codes(campaigns))
    if families is None:
        families = scenario_families(organisation)
    offered = Exercise.objects.filter(organisation=organisation).order_by()
    return {code for family in families for code in family.competency_codes} | set(
        offered.values_list("competency_code", flat=True).distinct()
    )


def focus_codes(employee: Employee) -> list[str]:
    """Focus competencies of the person's newest plan, in the plan's order."""
    focus = (
        PlanFocus.objects.filter(plan__employee=employee, kind=FocusKind.FOCUS)
        .order_by("-plan__created_at", "position")
        .values_list("competency_code", flat=True)
    )
    return list(dict.fromkeys(focus))


@dataclass
class Today:
    due: list[Card]  # today's session, plan focus and campaign themes first
    more: int  # due cards beyond today's session
    running: Attempt | None
    week_runs: int
    week_scores: dict[str, float]  # competency label -> mean performance this week
    next_due: dt.datetime | None
    judgement: Exercise | None = None  # from the practice bank, for today's competencies
    card: Exercise | None = None
    reflection: Exercise | None = None
    campaigns: list[Campaign] = field(default_factory=list)  # running for this person
    # An offered family x competency of ``codes`` without a card yet (``services.cards_ensure``
    # makes them): on a first visit, or after the families or the person's role changed.
    cards_missing: bool = False


def today(
    organisation: Organisation,
    employee: Employee,
    now: dt.datetime,
    *,
    codes: set[str],
    families: Sequence[ScenarioFamily] | None = None,
    campaigns: Sequence[Campaign] | None = None,
) -> Today:
    """Today's session for ``employee``, who practises ``codes`` (``practice_codes``).
    ``families`` (``scenario_families``) and ``campaigns`` (``active_campaigns_for`` on the
    day of ``now``) save reading them again."""
    end_of_day = now.replace(hour=23, minute=59, second=59)
    if families is None:
        families = scenario_families(organisation)
    family_of = {family.pk: family for family in families}
    cards = list(Card.objects.filter(organisation=organisation, employee=employee).defer("state"))
    for card in cards:
        card.family = family_of[card.family_id]
    have = {(card.family_id, card.competency_code) for card in cards}
    missing = any(
        code in codes and (family.pk, code) not in have
        for family in families
        if family.is_active
        for code in family.competency_codes
    )
    if campaigns is None:
        campaigns = campaign_selectors.active_campaigns_for(employee, timezone.localdate(now))
    # Plan focus and campaign themes in turn: campaign_selectors.favoured_codes says why.
    focus = campaign_selectors.favoured_codes(
        focus_codes(employee), campaign_selectors.campaign_codes(campaigns)
    )
    due = [card for card in cards if card.due <= end_of_day and card.family.is_active]
    due.sort(
        key=lambda c: (
            focus.index(c.competency_code) if c.competency_code in focus else len(focus),
            c.due,
            c.pk,
        )
    )
    # One card per family in a session: the same scenario twice in five minutes teaches little.
    session: list[Card] = []
    for card in due:
        if len(session) < SESSION_ITEMS and card.family_id not in {c.family_id for c in session}:
            session.append(card)
    # The run under way (the newest unfinished one) and this week's finished runs, together.
    recent = list(
        Attempt.objects.filter(organisation=organisation, employee=employee)
        .filter(Q(finished_at=None) | Q(finished_at__gte=now - dt.timedelta(days=7)))
        .select_related("variant")
        .only("finished_at", "scores", "variant__title", "variant__title_en")
    )
    running = next((attempt for attempt in recent if not attempt.is_finished), None)
    week = [attempt.scores for attempt in recent if attempt.is_finished]
    labels = {}
    if any(week):  # the competency names, only when there are scores to name
        labels = current_competency_labels(organisation)
    totals: defaultdict[str, list[float]] = defaultdict(list)
    for scores in week:
        for code, score in scores.items():
            totals[labels.get(code, code)].append(float(score))
    later = min((card.due for card in cards if card.due > end_of_day), default=None)
    # The bank's items follow today's scenarios, then the plan's focus, then the role.
    wanted = list(dict.fromkeys([c.competency_code for c in session] + focus + sorted(codes)))
    items = bank_items(organisation, employee, wanted)
    return Today(
        due=session,
        more=len(due) - len(session),
        running=running,
        week_runs=len(week),
        week_scores={label: sum(v) / len(v) for label, v in sorted(totals.items())},
        next_due=later,
        judgement=items.get(ExerciseKind.JUDGEMENT),
        card=items.get(ExerciseKind.CARD),
        reflection=items.get(ExerciseKind.REFLECTION),
        campaigns=list(campaigns),
        cards_missing=missing,
    )


def bank_items(
    organisation: Organisation, employee: Employee, codes: list[str]
) -> dict[str, Exercise]:
    """Per kind of the practice bank, the exercise ``bank.next_exercise`` picks (for ``codes``,
    most wanted first: the one this person met longest ago, never met first), for all kinds in
    one statement, with only what the pick needs: today's page links to them. Plain SQL
    (``vakwerk.lib.sql``): through the ORM, building this grouped query cost more than today's
    page spent on any other read (a test holds it to ``bank.next_exercise``)."""
    if not codes:
        return {}
    columns = _bank_columns()
    kinds = ", ".join(["%s"] * len(BANK_KINDS))
    wanted = ", ".join(["%s"] * len(codes))
    with connection.cursor() as cursor:
        cursor.execute(
            _bank_sql().format(kinds=kinds, codes=wanted),
            [employee.pk, organisation.pk, True, *BANK_KINDS, *codes],
        )
        rows = cursor.fetchall()
    # The pick on the plain values; only the exercise picked for each kind becomes an instance.
    names = [field.attname for field in columns.fields]
    kind_at, code_at = names.index("kind"), names.index("code")
    competency_at = names.index("competency_code")
    answered_at = ExerciseAnswer._meta.get_field("answered_at")
    rank = {code: i for i, code in enumerate(codes)}
    never = dt.datetime.min.replace(tzinfo=dt.UTC)

    def wanted_first(row: tuple[Any, ...]) -> tuple[dt.datetime, int, str]:
        met = sql.convert(answered_at, row[-1])
        return (met or never, rank.get(row[competency_at], len(rank)), row[code_at])

    picked: dict[str, Exercise] = {}
    for row in sorted(rows, key=wanted_first):
        if row[kind_at] not in picked:
            picked[row[kind_at]] = columns.load(row[:-1])
    return picked


@cache
def _bank_columns() -> sql.Columns[Exercise]:
    kept = {"id", "kind", "competency_code", "code"}
    return sql.columns(
        Exercise,
        exclude=tuple(f.name for f in Exercise._meta.concrete_fields if f.name not in kept),
    )


@cache
def _bank_sql() -> str:
    """``bank_items``' statement with ``{kinds}`` and ``{codes}`` left for the placeholders."""
    column, e = sql.column, Exercise
    selected = _bank_columns().select("e")
    last = f"MAX(a.{column(ExerciseAnswer, 'answered_at')})"
    answers = (
        f"{sql.table(ExerciseAnswer)} a ON a.{column(ExerciseAnswer, 'exercise')} = "
        f"e.{column(e, 'id')} AND a.{column(ExerciseAnswer, 'employee')} = %s"
    )
    where = (
        f"e.{column(e, 'organisation')} = %s AND e.{column(e, 'is_active')} = %s"
        f" AND e.{column(e, 'kind')} IN ({{kinds}})"
        f" AND e.{column(e, 'competency_code')} IN ({{codes}})"
    )
    # Names from the models (quoted by the backend); the values go in as parameters.
    return (
        f"SELECT {selected}, {last} FROM {sql.table(e)} e LEFT JOIN {answers}"  # noqa: S608
        f" WHERE {where} GROUP BY {selected}"
    )


def own_cards(organisation: Organisation, user: "User") -> QuerySet[Card]:
    """The cards of the user's own employee record in ``organisation``, in one query with the
    scoping (no separate read of the employee): a view looks a card up in these only."""
    return Card.objects.filter(
        organisation=organisation, employee__organisation=organisation, employee__user=user
    )


def attempt_of(
    organisation: Organisation, user: "User", attempt_id: int, *, lock: bool = False
) -> Attempt | None:
    """One of the attempts of the user's own employee record in ``organisation`` (scoped as
    ``own_cards``) with its scenario variant, without the variant's graph (see
    ``variant_graph``); None for anyone else's. ``lock`` locks the attempt's row until the
    transaction ends.

    Plain SQL (``vakwerk.lib.sql``): every scenario step and every answer reads it, and the
    ORM form of this read cost 1.2-1.4 ms of CPU against 0.24-0.32 ms for this one (measured
    in-process on PostgreSQL). A test holds it equal to the ORM form."""
    if not 0 < attempt_id <= MAX_DATABASE_ID:  # the ORM's lookups say "no match"; SQL would fail
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            _attempt_sql(lock and connection.features.has_select_for_update_of),
            [attempt_id, organisation.pk, organisation.pk, user.pk],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    attempt_columns, variant_columns = _attempt_columns()
    attempt = attempt_columns.load(row[: len(attempt_columns.fields)])
    attempt.variant = variant_columns.load(row[len(attempt_columns.fields) :])
    return attempt


def _attempt_columns() -> tuple[sql.Columns[Attempt], sql.Columns[ScenarioVariant]]:
    return sql.columns(Attempt), sql.columns(ScenarioVariant, exclude=("graph",))


@cache
def _attempt_sql(lock: bool) -> str:
    attempt_columns, variant_columns = _attempt_columns()
    column = sql.column
    employee_id, variant_id = column(Attempt, "employee"), column(Attempt, "variant")
    variants = sql.table(ScenarioVariant)
    return (
        f"SELECT {attempt_columns.select('a')}, {variant_columns.select('v')} "  # noqa: S608
        f"FROM {sql.table(Attempt)} a "
        f"JOIN {sql.table(Employee)} e ON e.{column(Employee, 'id')} = a.{employee_id} "
        f"JOIN {variants} v ON v.{column(ScenarioVariant, 'id')} = a.{variant_id} "
        f"WHERE a.{column(Attempt, 'id')} = %s AND a.{column(Attempt, 'organisation')} = %s "
        f"AND e.{column(Employee, 'organisation')} = %s AND e.{column(Employee, 'user')} = %s"
        + (" FOR UPDATE OF a" if lock else "")
    )


GRAPH_CACHE_SIZE = 256
"""Parsed scenario graphs kept per process, by digest: the shipped packs hold 28 variants, and
copies of one variant in several organisations share an entry (about 0.1 MB each parsed)."""
_graphs: dict[str, dict[str, Any]] = {}
_graphs_lock = threading.Lock()  # threaded servers: one thread evicts while another adds


def forget_graphs() -> None:
    """Empty this process's graph cache (tests)."""
    _graphs.clear()


def variant_graph(variant: ScenarioVariant) -> dict[str, Any]:
    """The variant's graph (``{"start": ..., "nodes": {...}}``), to read, never to change.

    A running scenario reads its graph on every step and every answer; reading and parsing
    tens of kilobytes of JSON each time cost a tenth of such a request. A graph is cached by
    its digest, so an edited variant (new digest) is read afresh, and an entry can never be
    stale. A variant loaded with its graph uses that graph."""
    if "graph" not in variant.get_deferred_fields() or not variant.graph_digest:
        return variant.graph
    graph = _graphs.get(variant.graph_digest)
    if graph is None:
        # Kept under the digest read with it: an edit between loading ``variant`` and this
        # read cannot put the new graph under the old digest (which other organisations'
        # copies of the old graph share).
        graph, digest = ScenarioVariant.objects.values_list("graph", "graph_digest").get(
            pk=variant.pk
        )
        with _graphs_lock:
            if len(_graphs) >= GRAPH_CACHE_SIZE:
                del _graphs[next(iter(_graphs))]  # the oldest entry
            _graphs[digest] = graph
    return graph

"""Reads for campaigns: HR's list and campaign page, and the campaigns a person is part of.

A person belongs to a campaign's population when the campaign names no departments and no
teams (the whole organisation), when their team is chosen, or when their team's department is
chosen. Team membership is read as it is now: Vakwerk keeps no history of moves, so the
population of a past campaign is the people now in its teams who worked during its period.

The campaign page counts practice in the period by the people of the population only. Figures
over fewer people than the organisation's anonymity threshold are not shown: the numbers
describe what people did, and in a small group they would point at someone.
"""

import datetime as dt
import operator
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import TruncWeek
from django.shortcuts import get_object_or_404
from django.utils import timezone

from vakwerk.frameworks.selectors import current_competency_labels
from vakwerk.nudges.models import Campaign
from vakwerk.organisations.models import Organisation
from vakwerk.people.models import Employee
from vakwerk.practice.models import Attempt, ExerciseAnswer

# Values of the list page's filter (Dutch, as they appear in the address bar).
RUNNING = "lopend"
UPCOMING = "gepland"
PAST = "afgelopen"
ALL = "alle"


def phase(campaign: Campaign, today: dt.date) -> str:
    """``RUNNING``, ``UPCOMING`` or ``PAST`` on ``today``."""
    if campaign.ends_on < today:
        return PAST
    if campaign.starts_on > today:
        return UPCOMING
    return RUNNING


def campaigns(
    organisation: Organisation, *, today: dt.date, status: str = ALL
) -> QuerySet[Campaign]:
    """The organisation's campaigns, with their departments and teams prefetched.

    Running ones first (the one that started first on top), then upcoming ones (the soonest
    first), then past ones (the most recent first).
    """
    found = Campaign.objects.filter(organisation=organisation)
    if status == RUNNING:
        found = found.filter(starts_on__lte=today, ends_on__gte=today)
    elif status == UPCOMING:
        found = found.filter(starts_on__gt=today)
    elif status == PAST:
        found = found.filter(ends_on__lt=today)
    found = found.annotate(
        phase_order=Case(
            When(ends_on__lt=today, then=Value(2)),
            When(starts_on__gt=today, then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        ),
        # Past campaigns leave this empty, so they fall through to "-ends_on".
        start_order=Case(When(ends_on__lt=today, then=None), default=F("starts_on")),
    )
    return found.order_by(
        "phase_order", F("start_order").asc(nulls_last=True), "-ends_on", "title", "pk"
    ).prefetch_related("departments", "teams")


def campaign_of(organisation: Organisation, campaign_id: int) -> Campaign:
    """One campaign of ``organisation``; 404 for any other (never looked up by id alone)."""
    return get_object_or_404(
        Campaign.objects.select_related("organisation").prefetch_related("departments", "teams"),
        pk=campaign_id,
        organisation=organisation,
    )


def active_campaigns_for(employee: Employee, on: dt.date) -> list[Campaign]:
    """The campaigns running on ``on`` whose population ``employee`` belongs to, the one that
    started first first. One query on a day without campaigns (most days): building the
    population test below costs several times more than asking whether any campaign runs."""
    running = Campaign.objects.filter(
        organisation_id=employee.organisation_id, starts_on__lte=on, ends_on__gte=on
    )
    if not running.exists():
        return []
    departments = Campaign.departments.through.objects.filter(campaign_id=OuterRef("pk"))
    teams = Campaign.teams.through.objects.filter(campaign_id=OuterRef("pk"))
    member = ~Exists(departments) & ~Exists(teams)
    if employee.team_id is not None:
        member = (
            member
            | Exists(teams.filter(team_id=employee.team_id))
            | Exists(departments.filter(department__teams=employee.team_id))
        )
    return list(running.filter(member).order_by("starts_on", "pk"))


def campaign_codes(found: Iterable[Campaign]) -> list[str]:
    """The competency codes of ``found``, each once, in campaign order."""
    return list(dict.fromkeys(code for campaign in found for code in campaign.competency_codes))


def favoured_codes(focus: Sequence[str], campaign: Sequence[str]) -> list[str]:
    """The plan's focus and a running campaign's competencies taken in turn, each code once.

    Daily practice puts cards of these competencies first, in this order. In turn rather than
    one after the other: the plan's focus is what the person agreed with their manager, so
    its first competency leads; but a session has two scenarios, and "plan first" would crowd
    a month-long campaign out on every day the plan has two cards due, while "campaign first"
    would push aside the person's own plan. So the first focus competency comes first, the
    first campaign competency second, and so on.
    """
    turns = [code for pair in _zip_longest(focus, campaign) for code in pair if code]
    return list(dict.fromkeys(turns))


def _zip_longest(first: Sequence[str], second: Sequence[str]) -> list[tuple[str, str]]:
    size = max(len(first), len(second))
    return [
        (first[i] if i < len(first) else "", second[i] if i < len(second) else "")
        for i in range(size)
    ]


def population(campaign: Campaign) -> QuerySet[Employee]:
    """The people of the campaign: in its departments or teams (all when none are chosen)
    and employed at some time during its period. One query, whatever the size."""
    departments = Campaign.departments.through.objects.filter(campaign_id=campaign.pk)
    teams = Campaign.teams.through.objects.filter(campaign_id=campaign.pk)
    member = (
        (~Exists(departments) & ~Exists(teams))
        | Exists(teams.filter(team_id=OuterRef("team_id")))
        | Exists(departments.filter(department_id=OuterRef("team__department_id")))
    )
    return Employee.objects.filter(
        Q(start_date__isnull=True) | Q(start_date__lte=campaign.ends_on),
        Q(end_date__isnull=True) | Q(end_date__gt=campaign.starts_on),
        member,
        organisation_id=campaign.organisation_id,
    )


# --- The campaign page's figures ----------------------------------------------------------------


@dataclass(frozen=True)
class CompetencyPractice:
    """Practice of one theme competency in the period."""

    code: str
    label: str
    people: int  # who practised it (a scenario run or a practice-bank answer)
    runs: int  # finished scenario runs that practised it
    answers: int  # answers in the practice bank
    shown: bool  # people reach the anonymity threshold

    @property
    def total(self) -> int:
        return self.runs + self.answers


@dataclass(frozen=True)
class WeekPractice:
    """One calendar week (Monday to Sunday) of the period."""

    starts_on: dt.date  # the Monday
    number: int  # ISO week number, as Dutch calendars show it
    people: int  # who practised anything that week
    theme_people: int  # who practised a theme competency that week
    practice: int  # scenario runs plus answers on the theme competencies
    shown: bool
    theme_shown: bool


@dataclass(frozen=True)
class CampaignFigures:
    population: int
    practised: int  # people of the population who practised anything in the period
    threshold: int
    participation_shown: bool
    competencies: list[CompetencyPractice]
    weeks: list[WeekPractice]

    @property
    def share(self) -> float | None:
        """The share of the population that practised, 0..1."""
        if not self.participation_shown or not self.population:
            return None
        return self.practised / self.population

    @property
    def percentage(self) -> int | None:
        share = self.share
        return None if share is None else round(share * 100)

    @property
    def anything_hidden(self) -> bool:
        return (
            not self.participation_shown
            or any(not c.shown for c in self.competencies)
            or any(not w.shown or not w.theme_shown for w in self.weeks)
        )


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _mondays(first: dt.date, last: dt.date) -> list[dt.date]:
    monday = first - dt.timedelta(days=first.weekday())
    found = []
    while monday <= last:
        found.append(monday)
        monday += dt.timedelta(days=7)
    return found


def campaign_figures(campaign: Campaign, *, today: dt.date) -> CampaignFigures:
    """Participation and practice done for the campaign page, in five queries whatever the
    number of people, weeks or practice rows (the competency labels are one of them)."""
    return practice_figures(
        campaign.organisation,
        people=population(campaign),
        codes=list(campaign.competency_codes),
        starts_on=campaign.starts_on,
        ends_on=campaign.ends_on,
        today=today,
    )


def practice_figures(
    organisation: Organisation,
    *,
    people: QuerySet[Employee],
    codes: list[str],
    starts_on: dt.date,
    ends_on: dt.date,
    today: dt.date,
) -> CampaignFigures:
    """The campaign page's figures for any group of ``people`` of the organisation, any
    competencies and any period (the REST API's practice figures use it too): five queries,
    every figure over fewer people than the anonymity threshold marked as not shown."""
    threshold = organisation.anonymity_threshold
    start, end = _day_start(starts_on), _day_start(ends_on + dt.timedelta(1))
    attempts = Attempt.objects.filter(
        organisation_id=organisation.pk, finished_at__gte=start, finished_at__lt=end
    )
    answers = ExerciseAnswer.objects.filter(
        organisation_id=organisation.pk, answered_at__gte=start, answered_at__lt=end
    )
    # A run practised the theme when its scores name one of the codes. Without codes (the
    # services never save such a campaign) "pk is null" keeps the condition true of no row.
    theme_runs = (
        reduce(operator.or_, [Q(scores__has_key=code) for code in codes])
        if codes
        else Q(pk__isnull=True)
    )
    theme_answers = Q(exercise__competency_code__in=codes)

    # 1. Population, who practised, and who practised each theme competency.
    own_attempts = attempts.filter(employee=OuterRef("pk"))
    own_answers = answers.filter(employee=OuterRef("pk"))
    counts = {
        "population": Count("pk"),
        "practised": Count("pk", filter=Exists(own_attempts) | Exists(own_answers)),
    }
    for i, code in enumerate(codes):
        counts[f"people_{i}"] = Count(
            "pk",
            filter=Exists(own_attempts.filter(scores__has_key=code))
            | Exists(own_answers.filter(exercise__competency_code=code)),
        )
    totals = people.aggregate(**counts)

    # 2. Scenario runs per week: all on the theme, and per theme competency.
    attempts = attempts.filter(employee__in=people)
    answers = answers.filter(employee__in=people)
    run_week = TruncWeek("finished_at", output_field=DateField())
    per_code = {f"runs_{i}": Count("pk", filter=Q(scores__has_key=c)) for i, c in enumerate(codes)}
    runs_by_week: dict[dt.date, dict[str, Any]] = {}
    for run_row in (
        attempts.annotate(week=run_week)
        .values("week")
        .annotate(theme=Count("pk", filter=theme_runs), **per_code)
        .order_by("week")
    ):
        runs_by_week[run_row["week"]] = dict(run_row)

    # 3. Practice-bank answers on the theme per week and competency.
    answer_week = TruncWeek("answered_at", output_field=DateField())
    answers_by: defaultdict[tuple[dt.date, str], int] = defaultdict(int)
    for row in (
        answers.filter(theme_answers)
        .annotate(week=answer_week)
        .values("week", "exercise__competency_code")
        .annotate(count=Count("pk"))
        .order_by("week")
    ):
        answers_by[(row["week"], row["exercise__competency_code"])] += row["count"]

    # 4. Who practised in which week (anything, and the theme): distinct (person, week, theme)
    # rows, at most people x weeks x 2, so counting them here is cheap.
    pairs = (
        attempts.annotate(
            week=run_week,
            theme=Case(
                When(theme_runs, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
        )
        .values_list("employee_id", "week", "theme")
        .order_by()
        .union(
            answers.annotate(
                week=answer_week,
                theme=Case(
                    When(theme_answers, then=Value(True)),
                    default=Value(False),
                    output_field=BooleanField(),
                ),
            )
            .values_list("employee_id", "week", "theme")
            .order_by()
        )
        .order_by()
    )
    week_people: defaultdict[dt.date, set[int]] = defaultdict(set)
    week_theme_people: defaultdict[dt.date, set[int]] = defaultdict(set)
    for employee_id, week, theme in pairs:
        week_people[week].add(employee_id)
        if theme:
            week_theme_people[week].add(employee_id)

    # 5. The competency names.
    labels = current_competency_labels(organisation)

    competencies = []
    for i, code in enumerate(codes):
        practised = int(totals[f"people_{i}"])
        competencies.append(
            CompetencyPractice(
                code=code,
                label=labels.get(code, code),
                people=practised,
                runs=sum(int(row[f"runs_{i}"]) for row in runs_by_week.values()),
                answers=sum(n for (_week, c), n in answers_by.items() if c == code),
                shown=practised >= threshold,
            )
        )
    weeks = []
    last = min(ends_on, today)
    for monday in _mondays(starts_on, last):
        week_runs = runs_by_week.get(monday)
        practice = (int(week_runs["theme"]) if week_runs else 0) + sum(
            n for (week, _code), n in answers_by.items() if week == monday
        )
        weeks.append(
            WeekPractice(
                starts_on=max(monday, starts_on),
                number=monday.isocalendar().week,
                people=len(week_people[monday]),
                theme_people=len(week_theme_people[monday]),
                practice=practice,
                shown=len(week_people[monday]) >= threshold,
                theme_shown=len(week_theme_people[monday]) >= threshold,
            )
        )
    return CampaignFigures(
        population=int(totals["population"]),
        practised=int(totals["practised"]),
        threshold=threshold,
        participation_shown=int(totals["population"]) >= threshold,
        competencies=competencies,
        weeks=weeks,
    )

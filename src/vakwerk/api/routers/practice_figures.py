"""``/practice-figures``: aggregated practice only, as HR's campaign page shows it.

Every figure comes from ``nudges.campaign_selectors.practice_figures``, the function behind
the campaign page, with its rules: a figure over fewer people than the organisation's
anonymity threshold is null (``shown: false``), and how many people practised is given only
for a group of at least the threshold. Nobody's own practice, answers or journal is ever in
an answer. Vakwerk stores no practice minutes, so there are none to report.
"""

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query
from ninja.errors import ValidationError
from pydantic import Field

from vakwerk.api.models import Scope
from vakwerk.api.nlgov import MAX_ID, ApiSchema, Page, PageParams, api_router, api_token, paginate
from vakwerk.frameworks.selectors import current_competencies
from vakwerk.nudges import campaign_selectors
from vakwerk.nudges.campaign_selectors import CampaignFigures
from vakwerk.nudges.models import Campaign
from vakwerk.people.models import Employee

router = api_router(Scope.PRACTICE_READ, tag="Practice figures")

DEFAULT_WEEKS = 12
MAX_DAYS = 366
# Days outside these are refused (400): far-off dates overflowed the date arithmetic.
FIRST_DAY, LAST_DAY = dt.date(2000, 1, 1), dt.date(2999, 12, 31)


class CompetencyFiguresOut(ApiSchema):
    competency_code: str
    competency_name: str
    shown: bool = Field(description="At least the anonymity threshold of people practised it.")
    people: int | None = Field(description="People who practised it; null when not shown.")
    scenario_runs: int | None = Field(description="Finished scenario runs on it.")
    bank_answers: int | None = Field(description="Answers in the practice bank on it.")


class WeekFiguresOut(ApiSchema):
    starts_on: dt.date = Field(description="The Monday (or the period's first day).")
    week_number: int = Field(description="The ISO week number.")
    shown: bool = Field(description="At least the threshold of people practised that week.")
    people: int | None = Field(description="People who practised anything; null: not shown.")
    theme_shown: bool = Field(
        description="At least the threshold of people practised the competencies that week."
    )
    practice: int | None = Field(
        description="Scenario runs plus bank answers on the competencies; null: not shown."
    )


class PracticeFiguresOut(ApiSchema):
    starts_on: dt.date
    ends_on: dt.date
    anonymity_threshold: int
    population: int = Field(description="The people the figures are about.")
    participation_shown: bool = Field(description="The population reaches the threshold.")
    practised: int | None = Field(
        description="People of the population who practised anything; null when not shown."
    )
    competencies: list[CompetencyFiguresOut]
    weeks: list[WeekFiguresOut]


def _figures(figures: CampaignFigures, *, starts_on: dt.date, ends_on: dt.date) -> dict[str, Any]:
    names = {c.code: c.label for c in figures.competencies}
    return {
        "starts_on": starts_on,
        "ends_on": ends_on,
        "anonymity_threshold": figures.threshold,
        "population": figures.population,
        "participation_shown": figures.participation_shown,
        "practised": figures.practised if figures.participation_shown else None,
        "competencies": [
            {
                "competency_code": c.code,
                "competency_name": names[c.code],
                "shown": c.shown,
                "people": c.people if c.shown else None,
                "scenario_runs": c.runs if c.shown else None,
                "bank_answers": c.answers if c.shown else None,
            }
            for c in figures.competencies
        ],
        "weeks": [
            {
                "starts_on": w.starts_on,
                "week_number": w.number,
                "shown": w.shown,
                "people": w.people if w.shown else None,
                "theme_shown": w.theme_shown,
                "practice": w.practice if w.theme_shown else None,
            }
            for w in figures.weeks
        ],
    }


class PeriodFilters(ApiSchema):
    starts_on: dt.date | None = Field(
        None, description=f"First day (default: the Monday {DEFAULT_WEEKS - 1} weeks ago)."
    )
    ends_on: dt.date | None = Field(None, description="Last day (default: today).")
    team: int | None = Field(None, ge=1, le=MAX_ID, description="Only members of this team (id).")
    department: int | None = Field(
        None, ge=1, le=MAX_ID, description="Only members of teams of this department (id)."
    )
    competency: str | None = Field(
        None, max_length=20, description="Only this competency (code); all by default."
    )


def _invalid(name: str, reason: str) -> ValidationError:
    return ValidationError([{"type": "value_error", "loc": ("query", name), "msg": reason}])


@router.get("/practice-figures", response=PracticeFiguresOut, url_name="practice_figures")
def practice_figures(request: HttpRequest, filters: Query[PeriodFilters]) -> dict[str, Any]:
    """Practice in a period (at most a year) by the organisation's people, or one team or
    department: per competency and per week, every figure over fewer people than the
    anonymity threshold hidden."""
    organisation = api_token(request).organisation
    today = timezone.localdate()
    for name, day in (("startsOn", filters.starts_on), ("endsOn", filters.ends_on)):
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            raise _invalid(
                name,
                _("Use a day from %(first)s to %(last)s.")
                % {"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()},
            )
    ends_on = filters.ends_on or today
    starts_on = filters.starts_on or (
        ends_on - dt.timedelta(days=ends_on.weekday(), weeks=DEFAULT_WEEKS - 1)
    )
    if starts_on > ends_on:
        raise _invalid("endsOn", _("Use a day on or after startsOn."))
    if (ends_on - starts_on).days >= MAX_DAYS:
        raise _invalid("endsOn", _("Use a period of at most a year."))
    people: QuerySet[Employee] = Employee.objects.filter(organisation=organisation).exclude(
        start_date__gt=ends_on
    )
    people = people.exclude(end_date__lte=starts_on)
    if filters.team is not None:
        people = people.filter(team_id=filters.team)
    if filters.department is not None:
        people = people.filter(team__department_id=filters.department)
    codes = (
        [filters.competency] if filters.competency else sorted(current_competencies(organisation))
    )
    figures = campaign_selectors.practice_figures(
        organisation, people=people, codes=codes, starts_on=starts_on, ends_on=ends_on, today=today
    )
    return _figures(figures, starts_on=starts_on, ends_on=ends_on)


# --- campaigns ------------------------------------------------------------------------------


class CampaignOut(ApiSchema):
    id: int
    title: str
    starts_on: dt.date
    ends_on: dt.date
    competency_codes: list[str]
    department_ids: list[int] = Field(description="Empty together with teamIds: everyone.")
    team_ids: list[int]

    @staticmethod
    def resolve_department_ids(obj: Campaign) -> list[int]:
        return sorted(d.pk for d in obj.departments.all())

    @staticmethod
    def resolve_team_ids(obj: Campaign) -> list[int]:
        return sorted(t.pk for t in obj.teams.all())


class CampaignPage(Page[CampaignOut]):
    pass


class CampaignFiguresOut(PracticeFiguresOut):
    campaign: CampaignOut


@router.get("/practice-figures/campaigns", response=CampaignPage, url_name="campaign_list")
def campaign_list(request: HttpRequest, paging: Query[PageParams]) -> dict[str, Any]:
    """The organisation's practice campaigns: running first, then upcoming, then past."""
    found = campaign_selectors.campaigns(
        api_token(request).organisation, today=timezone.localdate()
    )
    return paginate(request, found, paging)


@router.get(
    "/practice-figures/campaigns/{campaign_id}",
    response=CampaignFiguresOut,
    url_name="campaign_figures",
)
def campaign_figures(request: HttpRequest, campaign_id: int) -> dict[str, Any]:
    """A campaign's figures, exactly as its page shows them to HR."""
    campaign = campaign_selectors.campaign_of(api_token(request).organisation, campaign_id)
    figures = campaign_selectors.campaign_figures(campaign, today=timezone.localdate())
    return {
        "campaign": campaign,
        **_figures(figures, starts_on=campaign.starts_on, ends_on=campaign.ends_on),
    }

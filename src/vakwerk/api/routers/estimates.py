"""``/estimates``: measured levels, never more than the most permissive page shows HR.

An organisation token is a machine client acting for the organisation, so it sees what HR
sees in the insight pages, and nothing more:

- individual levels only of people whose results HR may see under the organisation's policy
  (``insights.access.hr_sees``: "yes", or "only with consent" and the person consented); for
  anyone else the lists leave the person out and ``/employees/{id}/estimates`` answers 404;
- per level the current view the personal report shows (later pulses applied, the interval
  widened by age, ``isOutdated``), and of the rater groups only the self view and the view of
  "others" the report shows (``insights.selectors.CompetencyResult``), which the engine stores
  only for groups at or above the round's anonymity threshold;
- aggregates (``/rounds/{id}/competency-summary``) exactly as the organisation page computes
  them (``insights.selectors.organisation_overview``): a figure over fewer people than the
  anonymity threshold is hidden, with secondary suppression when a total is shown.

Every answer with individual levels writes one access line per person shown
(``results.view``, as the pages do), so the person sees the look in "who looked at my
results"; the actor is the token (no user), with its prefix in the details.
"""

import datetime as dt
from collections.abc import Sequence
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from ninja import Query
from pydantic import Field

from vakwerk.api.models import ApiToken, Scope
from vakwerk.api.nlgov import MAX_ID, ApiSchema, Page, PageParams, api_router, api_token, paginate
from vakwerk.assessments.models import RoundStatus
from vakwerk.audit.services import Actor, client_ip
from vakwerk.frameworks.models import Competency
from vakwerk.insights import selectors as insights
from vakwerk.insights import services as insight_services
from vakwerk.insights.access import hr_sees, hr_sees_filter
from vakwerk.measurement.models import AgreementClass, Estimate
from vakwerk.measurement.selectors import current_levels
from vakwerk.organisations.models import Organisation
from vakwerk.people.models import Employee

router = api_router(Scope.ESTIMATES_READ, tag="Estimates")

TargetStatus = Literal["below", "within", "at_target"]


# --- individual levels ----------------------------------------------------------------------


class EstimateOut(ApiSchema):
    employee_id: int
    round_id: int
    competency_code: str
    competency_name: str
    level: float | None = Field(
        description=(
            "The level on the framework's scale as it stands now (a later pulse check may "
            "have updated the round's level); null when the round could not anchor the scale."
        )
    )
    level_lower: float | None = Field(
        description="Lower end of the 90% interval, widened by the age of the evidence."
    )
    level_upper: float | None = Field(description="Upper end of the 90% interval.")
    measured_level: float | None = Field(description="The level as the round measured it.")
    self_level: float | None = Field(description="What the self-assessment alone says.")
    others_level: float | None = Field(
        description=(
            "What others (manager, colleagues, external raters) say; only from rater groups at "
            "or above the anonymity threshold."
        )
    )
    agreement: AgreementClass | None = Field(description="Self-other agreement, when known.")
    target_status: TargetStatus | None = Field(
        description="Against the role profile's band: below the minimum, within, at target."
    )
    is_outdated: bool = Field(
        description="The evidence is older than the organisation's outdated-results setting."
    )
    from_pulse: bool = Field(description="A pulse check after the round updated the level.")
    evidence_at: dt.datetime = Field(description="When the last evidence was gathered.")


class EstimatePage(Page[EstimateOut]):
    pass


class EstimateFilters(PageParams):
    round: int | None = Field(None, ge=1, le=MAX_ID, description="Only this round (id).")
    employee: int | None = Field(None, ge=1, le=MAX_ID, description="Only this employee (id).")
    team: int | None = Field(None, ge=1, le=MAX_ID, description="Only members of this team (id).")
    competency: str | None = Field(None, max_length=20, description="Only this competency (code).")


def _visible(organisation: Organisation) -> QuerySet[Estimate]:
    """Estimates of closed rounds of the people HR may see, as the personal report reads
    them (``insights.selectors.personal_rounds``)."""
    return Estimate.objects.filter(
        hr_sees_filter(organisation, prefix="employee__"),
        organisation=organisation,
        round__status=RoundStatus.CLOSED,
    )


def _rows(organisation: Organisation, estimates: Sequence[Estimate]) -> list[dict[str, Any]]:
    """The page's view of each estimate (a bounded number of queries, whatever their
    number): the ``CompetencyResult`` the personal report and team page build."""
    if not estimates:
        return []
    names = {
        (c.version_id, c.code): c.name
        for c in Competency.objects.filter(
            version_id__in={e.version_id for e in estimates},
            code__in={e.competency_code for e in estimates},
        )
    }
    bands = insights.bands_for(e.employee.role_profile_id for e in estimates)
    current = current_levels(organisation, estimates)
    rows = []
    for e in estimates:
        band = bands.get(e.employee.role_profile_id or 0, {}).get(e.competency_code)
        found = current.get(e.pk)
        result = insights.CompetencyResult(
            competency=Competency(code=e.competency_code), estimate=e, band=band, current=found
        )
        rows.append(
            {
                "employee_id": e.employee_id,
                "round_id": e.round_id,
                "competency_code": e.competency_code,
                "competency_name": names.get((e.version_id, e.competency_code), ""),
                "level": result.level,
                "level_lower": result.lower,
                "level_upper": result.upper,
                "measured_level": e.level,
                "self_level": result.self_level,
                "others_level": result.others_level,
                "agreement": e.agreement or None,
                "target_status": result.status,
                "is_outdated": result.outdated,
                "from_pulse": result.from_pulse,
                "evidence_at": found.evidence_at if found else e.computed_at,
            }
        )
    return rows


def _log_looks(
    request: HttpRequest, token: ApiToken, estimates: Sequence[Estimate], **details: object
) -> None:
    """One ``results.view`` line per person shown, as the pages write them."""
    people: dict[int, Employee] = {}
    for e in estimates:
        e.employee.organisation = token.organisation
        people.setdefault(e.employee_id, e.employee)
    if people:
        insight_services.results_access_log_many(
            actor=Actor(user=None, origin=client_ip(request)),
            employees=list(people.values()),
            action=insight_services.VIEW,
            details={
                **details,
                "rounds": sorted({e.round_id for e in estimates}),
                "page": "api",
                "token_prefix": token.prefix,
            },
        )


@router.get("/estimates", response=EstimatePage, url_name="estimate_list")
def estimate_list(request: HttpRequest, filters: Query[EstimateFilters]) -> dict[str, Any]:
    """Measured levels per employee, round and competency, of the people whose individual
    results HR may see under the organisation's policy; everyone else is left out."""
    token = api_token(request)
    organisation = token.organisation
    found = _visible(organisation).select_related("employee")
    if filters.round is not None:
        found = found.filter(round_id=filters.round)
    if filters.employee is not None:
        found = found.filter(employee_id=filters.employee)
    if filters.team is not None:
        found = found.filter(employee__team_id=filters.team)
    if filters.competency:
        found = found.filter(competency_code=filters.competency)
    page = paginate(
        request, found.order_by("round_id", "employee_id", "competency_code", "pk"), filters
    )
    estimates = page["results"]
    _log_looks(request, token, estimates)
    page["results"] = _rows(organisation, estimates)
    return page


class PersonEstimatesOut(ApiSchema):
    employee_id: int
    round_id: int | None = Field(description="The round shown; null when none is measured.")
    rounds: list[int] = Field(description="The closed rounds with results, oldest first.")
    results: list[EstimateOut]


class PersonFilters(ApiSchema):
    round: int | None = Field(
        None,
        ge=1,
        le=MAX_ID,
        description="The round to show (id); the newest with results by default.",
    )


@router.get(
    "/employees/{employee_id}/estimates",
    response=PersonEstimatesOut,
    url_name="employee_estimates",
)
def employee_estimates(
    request: HttpRequest, employee_id: int, filters: Query[PersonFilters]
) -> dict[str, Any]:
    """One person's levels in one round, as on their personal report; 404 when HR may not
    see this person's individual results under the organisation's policy."""
    token = api_token(request)
    organisation = token.organisation
    employee = (
        Employee.objects.filter(organisation=organisation, pk=employee_id)
        .select_related("organisation")
        .first()
    )
    if employee is None or not hr_sees(employee):
        raise Http404
    rounds = insights.personal_rounds(organisation, employee)
    chosen = insights.pick_round(list(reversed(rounds)), filters.round)
    estimates: list[Estimate] = []
    if chosen is not None:
        estimates = list(
            _visible(organisation)
            .filter(employee=employee, round=chosen)
            .select_related("employee")
            .order_by("competency_code")
        )
        _log_looks(request, token, estimates)
    return {
        "employee_id": employee.pk,
        "round_id": chosen.pk if chosen else None,
        "rounds": [r.pk for r in rounds],
        "results": _rows(organisation, estimates),
    }


# --- aggregates -----------------------------------------------------------------------------

GROUPS = {
    "department": insights.GROUP_DEPARTMENT,
    "team": insights.GROUP_TEAM,
    "roleProfile": insights.GROUP_ROLE,
}
GROUP_NAMES = {value: key for key, value in GROUPS.items()}


class DistributionOut(ApiSchema):
    competency_code: str
    people: int = Field(description="People measured on the competency.")
    below: int = Field(description="Below the minimum of their role's band.")
    within: int = Field(description="At or above the minimum, below the target.")
    at_target: int
    no_target: int = Field(description="Measured, but their role sets no band for it.")


class SummaryGroupOut(ApiSchema):
    id: int | None = Field(description="The department, team or role profile; null: none.")
    name: str
    suppressed: bool = Field(
        description=(
            "Hidden whole: fewer people than the anonymity threshold, or needed to keep a "
            "small group from being worked out from the total."
        )
    )
    people: int | None = Field(description="People measured; null when suppressed.")
    distributions: list[DistributionOut] = Field(
        description="Per competency; a competency measured for too few people is left out."
    )


class CompetencyNameOut(ApiSchema):
    code: str
    name: str


class CompetencySummaryOut(ApiSchema):
    round_id: int
    group_by: Literal["department", "team", "roleProfile"]
    department_id: int | None
    anonymity_threshold: int
    is_outdated: bool = Field(description="The round is older than the outdated setting.")
    competencies: list[CompetencyNameOut] = Field(description="The competencies measured.")
    total: SummaryGroupOut
    groups: list[SummaryGroupOut]


class SummaryFilters(ApiSchema):
    group_by: Literal["department", "team", "roleProfile"] = Field(
        "department", description="How to split the organisation."
    )
    department: int | None = Field(
        None, ge=1, le=MAX_ID, description="Only this department (id), split by team."
    )


def _group(unit: insights.Unit, order: Sequence[str]) -> dict[str, Any]:
    return {
        "id": unit.key,
        "name": unit.name,
        "suppressed": unit.suppressed,
        "people": None if unit.suppressed else unit.people,
        "distributions": []
        if unit.suppressed
        else [
            {
                "competency_code": code,
                "people": d.people,
                "below": d.below,
                "within": d.within,
                "at_target": d.at_target,
                "no_target": d.no_target,
            }
            for code in order
            if (d := unit.distributions.get(code)) is not None
        ],
    }


@router.get(
    "/rounds/{round_id}/competency-summary",
    response=CompetencySummaryOut,
    url_name="round_competency_summary",
)
def round_competency_summary(
    request: HttpRequest, round_id: int, filters: Query[SummaryFilters]
) -> dict[str, Any]:
    """Per competency how many people are below, within and at their role's band, for the
    whole organisation (or one department) and per group: the organisation page's figures,
    with every figure over fewer people than the anonymity threshold hidden."""
    organisation = api_token(request).organisation
    if not insights.measured_rounds(organisation).filter(pk=round_id).exists():
        raise Http404
    department = filters.department
    overview = insights.organisation_overview(
        organisation,
        round_id=round_id,
        group_by=GROUPS[filters.group_by],
        department_id=department,
    )
    if overview.round is None or overview.total is None:  # pragma: no cover (checked above)
        raise Http404
    if department is not None and overview.department is None:
        raise Http404
    order = [c.code for c in overview.competencies]
    return {
        "round_id": overview.round.pk,
        "group_by": GROUP_NAMES[overview.group_by],
        "department_id": overview.department.pk if overview.department else None,
        "anonymity_threshold": overview.threshold,
        "is_outdated": overview.outdated,
        "competencies": [{"code": c.code, "name": c.name} for c in overview.competencies],
        "total": _group(overview.total, order),
        "groups": [_group(unit, order) for unit in overview.units],
    }

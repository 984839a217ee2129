"""``/rounds``: measurement rounds with aggregate progress only, never answers."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query
from pydantic import Field

from vakwerk.api.models import Scope
from vakwerk.api.nlgov import ApiSchema, Page, PageParams, api_router, api_token, paginate
from vakwerk.assessments import round_selectors
from vakwerk.assessments.models import Round, RoundStatus

router = api_router(Scope.ROUNDS_READ, tag="Rounds")


class RoundOut(ApiSchema):
    id: int
    name: str
    status: RoundStatus = Field(description="draft (being prepared), open or closed.")
    opens_on: dt.date
    closes_on: dt.date
    opened_at: dt.datetime | None
    closed_at: dt.datetime | None
    framework_id: int
    framework_version: int = Field(description="The number of the framework version measured.")
    subject_count: int = Field(description="People measured in the round.")
    invitation_count: int = Field(
        description="Questionnaires raters are asked to answer (open or completed)."
    )
    completed_count: int = Field(description="Questionnaires completed.")
    response_percentage: int = Field(description="completedCount of invitationCount, 0 to 100.")

    @staticmethod
    def resolve_framework_id(obj: Round) -> int:
        return obj.version.framework_id

    @staticmethod
    def resolve_framework_version(obj: Round) -> int:
        return obj.version.number

    @staticmethod
    def resolve_subject_count(obj: Any) -> int:
        return int(obj.people)

    @staticmethod
    def resolve_invitation_count(obj: Any) -> int:
        return int(obj.invited)

    @staticmethod
    def resolve_completed_count(obj: Any) -> int:
        return int(obj.completed)

    @staticmethod
    def resolve_response_percentage(obj: Any) -> int:
        return round(100 * obj.completed / obj.invited) if obj.invited else 0


class RoundFilters(PageParams):
    status: RoundStatus | None = Field(None, description="Only rounds with this status.")


class RoundPage(Page[RoundOut]):
    pass


@router.get("/rounds", response=RoundPage, url_name="round_list")
def round_list(request: HttpRequest, filters: Query[RoundFilters]) -> dict[str, Any]:
    """The organisation's rounds, newest first."""
    # Newest first and counted in the database, one query per page (round_selectors.rounds).
    rounds = round_selectors.rounds(api_token(request).organisation)
    if filters.status is not None:
        rounds = rounds.filter(status=filters.status)
    return paginate(request, rounds, filters)


@router.get("/rounds/{round_id}", response=RoundOut, url_name="round_detail")
def round_detail(request: HttpRequest, round_id: int) -> Round:
    """One round."""
    return get_object_or_404(round_selectors.rounds(api_token(request).organisation), pk=round_id)

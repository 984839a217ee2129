"""``/frameworks``: competency frameworks, their versions, and each version's CASE package."""

import datetime as dt
from typing import Any

from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query
from pydantic import Field

from vakwerk.api.models import Scope
from vakwerk.api.nlgov import ApiSchema, Page, PageParams, api_router, api_token, paginate
from vakwerk.api.services import api_case_export
from vakwerk.audit.services import client_ip
from vakwerk.frameworks.models import Competency, Framework, FrameworkVersion, VersionStatus
from vakwerk.organisations.models import Organisation

router = api_router(Scope.FRAMEWORKS_READ, tag="Frameworks")


class VersionSummaryOut(ApiSchema):
    number: int
    status: VersionStatus = Field(description="draft (still changing) or published (frozen).")
    published_at: dt.datetime | None
    note: str = Field(description="What changed in this version.")


class FrameworkOut(ApiSchema):
    id: int
    name: str
    created_at: dt.datetime
    versions: list[VersionSummaryOut] = Field(description="Newest first.")

    @staticmethod
    def resolve_versions(obj: Framework) -> list[FrameworkVersion]:
        return list(obj.versions.all())


class LevelOut(ApiSchema):
    number: int
    name: str
    name_en: str
    description: str
    description_en: str


class CompetencyOut(ApiSchema):
    code: str = Field(description="The same in every version of the framework.")
    kind: str = Field(description="vakmanschap (craftsmanship 3.0) or kernwaarde (core value).")
    position: int
    name: str
    name_en: str
    description: str
    description_en: str
    case_uri: str
    esco_uri: str


class VersionOut(VersionSummaryOut):
    framework_id: int
    levels: list[LevelOut]
    competencies: list[CompetencyOut]

    @staticmethod
    def resolve_levels(obj: FrameworkVersion) -> list[Any]:
        return list(obj.levels.all())

    @staticmethod
    def resolve_competencies(obj: FrameworkVersion) -> list[Competency]:
        return list(obj.competencies.all())


def _frameworks(organisation: Organisation) -> QuerySet[Framework]:
    return Framework.objects.filter(organisation=organisation).prefetch_related(
        Prefetch("versions", queryset=FrameworkVersion.objects.order_by("-number"))
    )


def _version(request: HttpRequest, framework_id: int, number: int) -> FrameworkVersion:
    return get_object_or_404(
        FrameworkVersion.objects.select_related("framework"),
        # Through the framework's own key: a lookup on the foreign key column lacks the check
        # that turns an id beyond the column's range into no match (a 500 on SQLite).
        framework__pk=framework_id,
        framework__organisation=api_token(request).organisation,
        number=number,
    )


class FrameworkPage(Page[FrameworkOut]):
    pass


@router.get("/frameworks", response=FrameworkPage, url_name="framework_list")
def framework_list(request: HttpRequest, paging: Query[PageParams]) -> dict[str, Any]:
    """The organisation's frameworks with their versions, by name."""
    frameworks = _frameworks(api_token(request).organisation).order_by("name", "pk")
    return paginate(request, frameworks, paging)


@router.get("/frameworks/{framework_id}", response=FrameworkOut, url_name="framework_detail")
def framework_detail(request: HttpRequest, framework_id: int) -> Framework:
    """One framework with its versions."""
    return get_object_or_404(_frameworks(api_token(request).organisation), pk=framework_id)


@router.get(
    "/frameworks/{framework_id}/versions/{number}",
    response=VersionOut,
    url_name="framework_version_detail",
)
def framework_version_detail(request: HttpRequest, framework_id: int, number: int) -> Any:
    """One version of a framework: its level scale and competencies."""
    version = _version(request, framework_id, number)
    prefetch_related_objects([version], "levels", "competencies")
    return version


@router.get(
    "/frameworks/{framework_id}/versions/{number}/case",
    response=dict[str, Any],
    url_name="framework_version_case",
)
def framework_version_case(request: HttpRequest, framework_id: int, number: int) -> Any:
    """The version as a CASE v1.1 package (CFPackage), behavioural indicators included.

    The same package as the CASE export in Vakwerk itself; see the CASE specification at
    https://www.imsglobal.org/spec/case/v1p1 for its fields."""
    version = _version(request, framework_id, number)
    return api_case_export(token=api_token(request), version=version, origin=client_ip(request))

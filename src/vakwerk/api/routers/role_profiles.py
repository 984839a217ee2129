"""``/role-profiles``: per job, the desired level band and weight of each competency."""

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query
from pydantic import Field

from vakwerk.api.models import Scope
from vakwerk.api.nlgov import ApiSchema, Page, PageParams, api_router, api_token, paginate
from vakwerk.frameworks.models import RoleProfile, RoleTarget
from vakwerk.organisations.models import Organisation

router = api_router(Scope.FRAMEWORKS_READ, tag="Role profiles")


class RoleTargetOut(ApiSchema):
    competency_code: str = Field(description="The competency's code, the same in every version.")
    minimum_level: int = Field(description="The lowest level the job asks for.")
    target_level: int = Field(description="The level the job aims at.")
    weight: float = Field(description="How much the competency counts: 1 normal, 2 double.")

    @staticmethod
    def resolve_minimum_level(obj: RoleTarget) -> int:
        return obj.minimum

    @staticmethod
    def resolve_target_level(obj: RoleTarget) -> int:
        return obj.target

    @staticmethod
    def resolve_weight(obj: RoleTarget) -> float:
        return float(obj.weight)


class RoleProfileOut(ApiSchema):
    id: int
    code: str
    name: str
    name_en: str
    description: str
    description_en: str
    is_active: bool = Field(description="Whether the profile is in use.")
    targets: list[RoleTargetOut]

    @staticmethod
    def resolve_targets(obj: RoleProfile) -> list[RoleTarget]:
        return list(obj.targets.all())


class RoleProfileFilters(PageParams):
    active: bool | None = Field(None, description="Only profiles in use (true) or not (false).")


def _profiles(organisation: Organisation) -> Any:
    return RoleProfile.objects.filter(organisation=organisation).prefetch_related("targets")


class RoleProfilePage(Page[RoleProfileOut]):
    pass


@router.get("/role-profiles", response=RoleProfilePage, url_name="role_profile_list")
def role_profile_list(request: HttpRequest, filters: Query[RoleProfileFilters]) -> dict[str, Any]:
    """The organisation's role profiles with their targets, by name."""
    profiles = _profiles(api_token(request).organisation)
    if filters.active is not None:
        profiles = profiles.filter(is_active=filters.active)
    return paginate(request, profiles.order_by("name", "pk"), filters)


@router.get("/role-profiles/{profile_id}", response=RoleProfileOut, url_name="role_profile_detail")
def role_profile_detail(request: HttpRequest, profile_id: int) -> RoleProfile:
    """One role profile with its targets."""
    return get_object_or_404(_profiles(api_token(request).organisation), pk=profile_id)

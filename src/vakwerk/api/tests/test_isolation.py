"""Organisation isolation of the REST API (issue 11): a token never reaches another
organisation's data.

Collects every operation of the API from its URL patterns, fills the path parameters with
objects of organisation B, and requests each with an all-scopes token of organisation A: the
answer is 404 and holds none of B's data. The same request with B's token answers 200, so the
parameters really point at B's objects. A path parameter missing from ``PARAMETERS`` fails the
test: a new endpoint cannot escape the check.
"""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from vakwerk.api.api import api
from vakwerk.api.tests.results import campaign, close_with_run, estimate, plan_with_item
from vakwerk.frameworks.models import Level, RoleProfile, RoleTarget
from vakwerk.organisations.models import Organisation
from vakwerk.tests.factories import CompetencyFactory, EmployeeFactory, RoundFactory

pytestmark = pytest.mark.django_db

SECRET = "Geheimhouder"


def _world(other: Organisation) -> dict[str, Any]:
    """One of everything in organisation B, named so that a leak is easy to spot."""
    employee = EmployeeFactory(
        organisation=other, last_name=SECRET, team__name=SECRET, team__department__name=SECRET
    )
    round_ = RoundFactory(organisation=other, name=SECRET, version__framework__name=SECRET)
    version = round_.version
    CompetencyFactory(version=version, code="B-GEHEIM", name=SECRET)
    Level.objects.create(version=version, number=1, name=SECRET)
    profile = RoleProfile.objects.create(organisation=other, code="b-rol", name=SECRET)
    RoleTarget.objects.create(profile=profile, competency_code="B-GEHEIM", minimum=1, target=2)
    estimate(close_with_run(round_), employee, "B-GEHEIM")
    return {
        "employee": employee,
        "round": round_,
        "version": version,
        "profile": profile,
        "plan": plan_with_item(employee, "B-GEHEIM", title=SECRET),
        "campaign": campaign(other, "B-GEHEIM", title=SECRET),
    }


# How to fill each path parameter of the API with an object of organisation B.
PARAMETERS: dict[str, Callable[[dict[str, Any]], object]] = {
    "employee_id": lambda world: world["employee"].pk,
    "team_id": lambda world: world["employee"].team_id,
    "department_id": lambda world: world["employee"].team.department_id,
    "profile_id": lambda world: world["profile"].pk,
    "framework_id": lambda world: world["version"].framework_id,
    "number": lambda world: world["version"].number,
    "round_id": lambda world: world["round"].pk,
    "plan_id": lambda world: world["plan"].pk,
    "campaign_id": lambda world: world["campaign"].pk,
}


def api_operations() -> Iterator[tuple[str, list[str]]]:
    """(url name, path parameters) of every URL pattern in the API's namespace."""

    def walk(patterns: list[Any], namespace: str | None) -> Iterator[tuple[str, list[str]]]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern) and namespace == api.urls_namespace:
                yield f"{namespace}:{pattern.name}", list(pattern.pattern.regex.groupindex)

    yield from walk(get_resolver().url_patterns, None)


# The documents and the root take no token and show no organisation's data.
PUBLIC = {f"{api.urls_namespace}:openapi-json", f"{api.urls_namespace}:api-root"}
OPERATIONS = [(name, params) for name, params in api_operations() if name not in PUBLIC]


def test_the_walk_finds_the_operations():
    names = {name for name, _ in OPERATIONS}
    assert f"{api.urls_namespace}:employee_detail" in names
    assert f"{api.urls_namespace}:framework_version_case" in names
    assert any(params for _, params in OPERATIONS), "nothing with a path parameter was found"


def test_every_operation_is_in_the_openapi_document(api_client, organisation):
    """The walk and the document agree, so neither misses an operation."""
    document = api_client(organisation).get("/api/v1/openapi.json").json()
    assert len(OPERATIONS) == sum(len(methods) for methods in document["paths"].values())


@pytest.mark.parametrize(("url_name", "params"), OPERATIONS)
def test_another_organisations_objects_are_404(
    api_client, organisation, other_organisation, url_name, params
):
    missing = [param for param in params if param not in PARAMETERS]
    assert not missing, f"{url_name}: add {missing} to PARAMETERS so isolation is checked"
    world = _world(other_organisation)
    EmployeeFactory(organisation=organisation, last_name="Collega")
    url = reverse(url_name, kwargs={param: PARAMETERS[param](world) for param in params})

    response = api_client(organisation).get(url)
    if params:
        assert response.status_code in (403, 404), url
    else:  # a list: answers, but only with A's own objects
        assert response.status_code == 200, url
    assert SECRET.encode() not in response.content, url
    assert other_organisation.name.encode() not in response.content, url

    own = api_client(other_organisation).get(url)
    assert own.status_code == 200, f"{url}: B's own token should reach it, so the check is real"
    assert SECRET.encode() in own.content, url

"""Organisation isolation: nobody reaches another organisation's objects by URL.

Walks every URL pattern of Vakwerk's own apps that takes a parameter, fills the parameters with
objects of organisation B, and requests each as every role of organisation A. Every answer must
be 404 and must not contain B's data. A new URL parameter must be added to ``PARAMETERS``; the
test fails until it is, so no view escapes this check.
"""

from collections.abc import Callable, Iterator

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from vakwerk.organisations.models import Organisation, Role
from vakwerk.tests.factories import EmployeeFactory

pytestmark = pytest.mark.django_db

VAKWERK_NAMESPACES = {"shell", "organisations", "people", "audit", "accounts"}

# How to fill each URL parameter from organisation B.
PARAMETERS: dict[str, Callable[[Organisation], str]] = {
    "slug": lambda other: other.slug,
}


def vakwerk_patterns() -> Iterator[tuple[str, list[str]]]:
    def walk(patterns: list, namespace: str | None) -> Iterator[tuple[str, list[str]]]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern) and namespace in VAKWERK_NAMESPACES:
                yield f"{namespace}:{pattern.name}", list(pattern.pattern.regex.groupindex)

    yield from walk(get_resolver().url_patterns, None)


PARAMETRISED = [(name, params) for name, params in vakwerk_patterns() if params]


def test_the_walk_finds_parametrised_patterns():
    assert PARAMETRISED, "the URL walk found nothing: the check would pass vacuously"


@pytest.mark.parametrize(("url_name", "params"), PARAMETRISED)
@pytest.mark.parametrize("role", list(Role))
def test_objects_of_another_organisation_are_404(
    member_client, organisation, other_organisation, url_name, params, role
):
    missing = [param for param in params if param not in PARAMETERS]
    assert not missing, f"{url_name}: add {missing} to PARAMETERS so isolation is checked"
    EmployeeFactory(organisation=other_organisation, last_name="Geheimhouder")
    client, _ = member_client(organisation, role)
    url = reverse(url_name, kwargs={p: PARAMETERS[p](other_organisation) for p in params})
    for method in (client.get, client.post):
        response = method(url)
        assert response.status_code == 404, f"{method.__name__.upper()} {url} as {role}"
        assert other_organisation.name.encode() not in response.content
        assert b"Geheimhouder" not in response.content


@pytest.mark.parametrize("role", list(Role))
def test_lists_never_show_another_organisations_people(
    member_client, organisation, other_organisation, role
):
    EmployeeFactory(organisation=other_organisation, last_name="Geheimhouder")
    EmployeeFactory(organisation=organisation, last_name="Collega")
    client, _ = member_client(organisation, role)
    for url_name, params in vakwerk_patterns():
        if params:
            continue
        response = client.get(reverse(url_name))
        assert b"Geheimhouder" not in response.content, url_name
        assert other_organisation.name.encode() not in response.content, url_name


def test_hr_does_see_their_own_people_so_the_check_above_can_fail(member_client, organisation):
    EmployeeFactory(organisation=organisation, last_name="Collega")
    client, _ = member_client(organisation, Role.HR)
    assert b"Collega" in client.get(reverse("people:employees")).content

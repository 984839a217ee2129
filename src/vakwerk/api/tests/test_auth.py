"""Bearer tokens and scopes: who may call which operation."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from vakwerk.api.models import ApiToken, Scope
from vakwerk.api.services import api_token_revoke
from vakwerk.audit.services import Actor
from vakwerk.tests.factories import EmployeeFactory

pytestmark = pytest.mark.django_db


def _get(authorization: str | None, url: str = "/api/v1/employees"):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization is not None else {}
    return Client(**headers).get(url)


def _assert_401(response, *, error: str | None) -> None:
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/problem+json")
    challenge = response["WWW-Authenticate"]
    assert challenge.startswith("Bearer")
    assert (f'error="{error}"' in challenge) if error else ("error=" not in challenge)


def test_no_token_is_401_with_a_bearer_challenge(db, english):
    response = _get(None)
    _assert_401(response, error=None)
    assert "Authorization: Bearer" in response.json()["detail"]


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer",
        "Bearer nonsense",
        "Bearer vw_short_secret",
        "Bearer vw_0123456789ab_wrong-secret",
        "Basic dXNlcjpwYXNz",
        "Token vw_0123456789ab_x",
    ],
)
def test_a_malformed_or_unknown_token_is_401(make_token, organisation, authorization):
    make_token(organisation)
    _assert_401(_get(authorization), error="invalid_token")


def test_a_token_with_a_wrong_secret_but_a_real_prefix_is_401(make_token, organisation):
    plain = make_token(organisation)
    _assert_401(_get(f"Bearer {plain[:-4]}abcd"), error="invalid_token")


def test_a_revoked_token_is_401(make_token, organisation):
    plain = make_token(organisation)
    assert _get(f"Bearer {plain}").status_code == 200
    api_token_revoke(token=ApiToken.objects.get(), actor=Actor(user=None))
    _assert_401(_get(f"Bearer {plain}"), error="invalid_token")


def test_a_token_of_an_inactive_organisation_is_401(make_token, organisation):
    plain = make_token(organisation)
    organisation.is_active = False
    organisation.save()
    _assert_401(_get(f"Bearer {plain}"), error="invalid_token")


def test_the_scheme_name_is_case_insensitive(make_token, organisation):
    assert _get(f"bearer {make_token(organisation)}").status_code == 200


def test_a_missing_scope_is_403_naming_it(make_token, organisation, english):
    plain = make_token(organisation, [Scope.FRAMEWORKS_READ])
    response = _get(f"Bearer {plain}")
    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/problem+json")
    assert "employees:read" in response.json()["detail"]
    assert 'error="insufficient_scope"' in response["WWW-Authenticate"]
    assert _get(f"Bearer {plain}", "/api/v1/role-profiles").status_code == 200


@pytest.mark.parametrize(
    ("url", "scope"),
    [
        ("/api/v1/employees", Scope.EMPLOYEES_READ),
        ("/api/v1/teams", Scope.EMPLOYEES_READ),
        ("/api/v1/departments", Scope.EMPLOYEES_READ),
        ("/api/v1/role-profiles", Scope.FRAMEWORKS_READ),
        ("/api/v1/frameworks", Scope.FRAMEWORKS_READ),
        ("/api/v1/rounds", Scope.ROUNDS_READ),
    ],
)
def test_each_resource_needs_its_own_scope(make_token, organisation, url, scope):
    others = [s for s in Scope.values if s != scope]
    assert _get(f"Bearer {make_token(organisation, [scope])}", url).status_code == 200
    assert _get(f"Bearer {make_token(organisation, others)}", url).status_code == 403


def test_a_token_sees_only_its_own_organisation(make_token, organisation, other_organisation):
    EmployeeFactory(organisation=organisation, last_name="Eigen")
    EmployeeFactory(organisation=other_organisation, last_name="Vreemd")
    body = _get(f"Bearer {make_token(organisation)}").json()
    assert [person["lastName"] for person in body["results"]] == ["Eigen"]


def test_use_is_recorded_at_most_every_few_minutes(make_token, organisation):
    plain = make_token(organisation)
    _get(f"Bearer {plain}")
    token = ApiToken.objects.get()
    first = token.last_used_at
    assert first is not None
    assert timezone.now() - first < dt.timedelta(minutes=1)
    _get(f"Bearer {plain}")
    token.refresh_from_db()
    assert token.last_used_at == first

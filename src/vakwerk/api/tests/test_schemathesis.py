"""The acceptance of issue 10: Schemathesis against the API's own OpenAPI document.

Loads ``/api/v1/openapi.json`` from the Django WSGI application in process, authenticates with
an all-scopes token of a seeded organisation (people in teams with a role profile, a published
framework version, a closed and measured round, a plan and a campaign), and sends at least
``MINIMUM`` generated requests over all operations: valid ones, and invalid ones (negative
generation) for the operations that take parameters. No answer may be a server error, and
each must be documented: its status code, content type, (JSON) schema and headers.

Path parameters are now and then replaced by the id of a real object of the organisation
(``_with_real_ids``), so generated requests reach the 200 answers as well as the 404s.
Deterministic: Hypothesis derandomised, no example database, no feedback from responses.
It prints one line (operations, requests, failures, seconds, answers by status) to copy.
"""

import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from vakwerk.api.tests.results import campaign, close_with_run, estimate, plan_with_item
from vakwerk.frameworks.models import Level, RoleProfile, RoleTarget
from vakwerk.tests.factories import (
    CompetencyFactory,
    EmployeeFactory,
    RoundFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db

MINIMUM = 500
EXAMPLES = 15  # per operation and generation mode; Hypothesis may stop earlier on small spaces
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


def _seed(organisation: Any) -> dict[str, list[Any]]:
    """A small organisation with one of everything the API shows; the ids by path parameter."""
    round_ = RoundFactory(organisation=organisation)
    version = round_.version
    codes = ["AV-TRA", "AV-EMP", "KW-ONP"]
    for position, code in enumerate(codes):
        CompetencyFactory(version=version, code=code, position=position)
    Level.objects.create(version=version, number=1, name="Basis")
    profile = RoleProfile.objects.create(organisation=organisation, code="adv", name="Adviseur")
    RoleTarget.objects.create(profile=profile, competency_code=codes[0], minimum=1, target=2)
    teams = TeamFactory.create_batch(2, organisation=organisation)
    people = [
        EmployeeFactory(organisation=organisation, team=teams[i % 2], role_profile=profile)
        for i in range(5)
    ]
    run = close_with_run(round_)
    for index, person in enumerate(people):
        for code in codes:
            estimate(run, person, code, level=1.0 + index % 3)
    plan = plan_with_item(people[0], codes[0])
    found = campaign(organisation, codes[0])
    return {
        "employee_id": [p.pk for p in people],
        "team_id": [t.pk for t in teams],
        "department_id": [t.department_id for t in teams],
        "profile_id": [profile.pk],
        "framework_id": [version.framework_id],
        "number": [version.number],
        "round_id": [round_.pk],
        "plan_id": [plan.pk],
        "campaign_id": [found.pk],
    }


def _with_real_ids(strategy: Any, real: dict[str, list[Any]]) -> Any:
    """Cases whose path parameters point at a real object about half of the time."""

    def choose(case: Any, pick: dict[str, Any]) -> Any:
        for name, value in pick.items():
            if value is not None and name in case.path_parameters:
                case.path_parameters[name] = value
        return case

    picks = st.fixed_dictionaries(
        {name: st.sampled_from([None, *ids]) for name, ids in real.items() if ids}
    )
    return st.tuples(strategy, picks).map(lambda pair: choose(*pair))


def test_the_api_answers_as_its_document_says(make_token, organisation, in_process):
    real = _seed(organisation)
    token = make_token(organisation)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", WSGIHandler())
    requests: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    started = time.monotonic()
    found = list(schema.get_all_operations())
    operations = [result.ok() for result in found if isinstance(result, Ok)]
    assert len(operations) == len(found), "the document has an operation Schemathesis cannot read"
    for operation in operations:
        modes = [schemathesis.GenerationMode.POSITIVE]
        if operation.path_parameters or operation.query:
            modes.append(schemathesis.GenerationMode.NEGATIVE)
        for mode in modes:
            strategy = _with_real_ids(operation.as_strategy(generation_mode=mode), real)
            _run(
                operation.label,
                strategy,
                token,
                requests=requests,
                statuses=statuses,
                failures=failures,
            )
    seconds = time.monotonic() - started
    total = sum(requests.values())
    print(
        f"\nschemathesis: {len(operations)} operations, {total} requests, "
        f"{len(failures)} failures, {seconds:.1f} s; answers by status: "
        + ", ".join(f"{status}: {n}" for status, n in sorted(statuses.items()))
    )
    assert not failures, "\n\n".join(failures)
    assert len(requests) == len(operations), "an operation was never requested"
    assert total >= MINIMUM


def _run(
    label: str,
    strategy: Any,
    token: str,
    *,
    requests: Counter[str],
    statuses: Counter[int],
    failures: list[str],
) -> None:
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @given(case=strategy)
    def check(case: Any) -> None:
        requests[label] += 1
        response = case.call_and_validate(
            headers={"Authorization": f"Bearer {token}"}, checks=CHECKS
        )
        statuses[response.status_code] += 1

    try:
        check()
    except Exception as error:
        failures.append(f"{label}: {error}")


@pytest.fixture
def in_process(settings: Any) -> Iterator[None]:
    """The WSGI application in this process, inside the test's transaction: as Django's test
    client does, keep the request signals from closing the database connection. And no rate
    limit: the test sends hundreds of requests a minute with one token."""
    settings.API_RATE_LIMIT = 0
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)

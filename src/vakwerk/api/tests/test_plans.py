"""``/plans``: read-only, only the plans HR's pages may open, never the employee's own words."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from vakwerk.api.models import Scope
from vakwerk.api.tests.results import plan_with_item
from vakwerk.audit.models import AuditEvent
from vakwerk.organisations.models import ManagerVisibility, Role
from vakwerk.tests.factories import EmployeeFactory

pytestmark = pytest.mark.django_db


def test_a_plan_has_its_focuses_and_items_but_no_private_writing(api_client, organisation):
    person = EmployeeFactory(organisation=organisation)
    plan = plan_with_item(person, "K1")
    plan.manager_comment = "NOTITIE"
    plan.save()
    response = api_client(organisation, [Scope.PLANS_READ]).get(f"/api/v1/plans/{plan.pk}")
    assert response.status_code == 200
    body = response.json()
    item = plan.items.get()
    assert body == {
        "id": plan.pk,
        "employeeId": person.pk,
        "roundId": None,
        "status": "draft",
        "createdAt": body["createdAt"],
        "submittedAt": None,
        "decidedAt": None,
        "talkOn": None,
        "focuses": [{"competencyCode": "K1", "kind": "focus", "level": 1.5, "target": 3}],
        "items": [
            {
                "id": item.pk,
                "activityId": item.activity_id,
                "activityCode": item.activity.code,
                "activityTitle": "Oefenen",
                "competencyCode": "K1",
                "status": "planned",
                "dueDate": "2030-01-01",
            }
        ],
    }
    for private in (b"PRIVE", b"DAGBOEK", b"NOTITIE"):
        assert private not in response.content


def test_every_look_is_an_access_line(api_client, organisation):
    person = EmployeeFactory(organisation=organisation)
    plan = plan_with_item(person, "K1")
    client = api_client(organisation, [Scope.PLANS_READ])
    client.get(f"/api/v1/plans/{plan.pk}")
    client.get("/api/v1/plans")
    lines = AuditEvent.objects.filter(action="plan.view", object_id=str(person.pk))
    assert lines.count() == 2
    for line in lines:
        assert line.actor is None
        assert line.details["plans"] == [plan.pk]
        assert line.details["token_prefix"]


@pytest.mark.parametrize(
    ("policy", "visible"),
    [
        (ManagerVisibility.YES, {"yes", "no"}),
        (ManagerVisibility.CONSENT, {"yes"}),
        (ManagerVisibility.NO, set()),
    ],
)
def test_the_hr_policy_decides_as_on_the_plan_page(
    api_client, member_client, organisation, policy, visible
):
    organisation.hr_visibility = policy
    organisation.save()
    plans = {
        "yes": plan_with_item(
            EmployeeFactory(organisation=organisation, shares_results_with_hr=True), "K1"
        ),
        "no": plan_with_item(EmployeeFactory(organisation=organisation), "K1"),
    }
    hr, _ = member_client(organisation, Role.HR)
    page = {
        name
        for name, plan in plans.items()
        if hr.get(reverse("development:plan", args=[plan.pk])).status_code == 200
    }
    assert page == visible
    client = api_client(organisation, [Scope.PLANS_READ])
    listed = {row["id"] for row in client.get("/api/v1/plans").json()["results"]}
    assert listed == {plans[name].pk for name in visible}
    for name, plan in plans.items():
        status = client.get(f"/api/v1/plans/{plan.pk}").status_code
        assert status == (200 if name in visible else 404)


def test_filters_paging_and_bounded_queries(api_client, organisation):
    first = EmployeeFactory(organisation=organisation)
    plan_with_item(first, "K1")
    client = api_client(organisation, [Scope.PLANS_READ])
    client.get("/api/v1/plans")

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get("/api/v1/plans?pageSize=100").status_code == 200
        return len(context.captured_queries)

    few = queries()
    for person in EmployeeFactory.create_batch(5, organisation=organisation):
        plan_with_item(person, "K2")
    assert queries() == few
    rows = client.get(f"/api/v1/plans?employee={first.pk}&status=draft").json()["results"]
    assert [row["employeeId"] for row in rows] == [first.pk]
    assert client.get("/api/v1/plans?status=approved").json()["count"] == 0
    assert client.get("/api/v1/plans?pageSize=2").json()["next"]


def test_scope_and_other_organisation(api_client, organisation, other_organisation):
    theirs = plan_with_item(EmployeeFactory(organisation=other_organisation), "K1")
    assert api_client(organisation, [Scope.ESTIMATES_READ]).get("/api/v1/plans").status_code == 403
    client = api_client(organisation, [Scope.PLANS_READ])
    assert client.get(f"/api/v1/plans/{theirs.pk}").status_code == 404
    assert client.get("/api/v1/plans").json()["results"] == []

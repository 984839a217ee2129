"""The resources of the API: fields, filters, paging and a bounded number of queries."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from vakwerk.assessments.models import Invitation, InvitationStatus, RoundStatus, Source, Subject
from vakwerk.audit.models import AuditEvent
from vakwerk.frameworks.models import Level, RoleProfile, RoleTarget
from vakwerk.tests.factories import (
    CompetencyFactory,
    DepartmentFactory,
    EmployeeFactory,
    RoundFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(context.captured_queries)


class TestEmployees:
    def test_one_employee_has_every_field(self, api_client, organisation):
        manager = EmployeeFactory(organisation=organisation)
        profile = RoleProfile.objects.create(organisation=organisation, code="adv", name="Adv")
        person = EmployeeFactory(
            organisation=organisation,
            manager=manager,
            role_profile=profile,
            start_date=dt.date(2020, 1, 1),
            end_date=dt.date(2030, 1, 1),
        )
        body = api_client(organisation).get(f"/api/v1/employees/{person.pk}").json()
        assert body == {
            "id": person.pk,
            "employeeNumber": person.employee_number,
            "firstName": person.first_name,
            "lastName": person.last_name,
            "email": person.email,
            "jobTitle": "Beleidsadviseur",
            "teamId": person.team_id,
            "managerId": manager.pk,
            "roleProfileId": profile.pk,
            "startDate": "2020-01-01",
            "endDate": "2030-01-01",
        }

    def test_filters_by_team_department_active_and_email(self, api_client, organisation):
        team = TeamFactory(organisation=organisation)
        other_team = TeamFactory(organisation=organisation)
        stays = EmployeeFactory(organisation=organisation, team=team, email="Anna@example.nl")
        left = EmployeeFactory(
            organisation=organisation, team=team, end_date=TODAY - dt.timedelta(days=1)
        )
        leaving = EmployeeFactory(
            organisation=organisation, team=other_team, end_date=TODAY + dt.timedelta(days=9)
        )
        client = api_client(organisation)

        def ids(query: str) -> set[int]:
            response = client.get(f"/api/v1/employees?{query}")
            assert response.status_code == 200, response.content
            return {person["id"] for person in response.json()["results"]}

        assert ids("") == {stays.pk, left.pk, leaving.pk}
        assert ids(f"team={team.pk}") == {stays.pk, left.pk}
        assert ids(f"department={other_team.department_id}") == {leaving.pk}
        assert ids("active=true") == {stays.pk, leaving.pk}
        assert ids("active=false") == {left.pk}
        assert ids("email=anna@example.nl") == {stays.pk}
        assert ids(f"team={team.pk}&active=true") == {stays.pk}

    def test_paging_links_and_counts(self, api_client, organisation):
        for n in range(5):
            EmployeeFactory(organisation=organisation, last_name=f"Persoon {n}")
        client = api_client(organisation)
        first = client.get("/api/v1/employees?pageSize=2").json()
        assert [p["lastName"] for p in first["results"]] == ["Persoon 0", "Persoon 1"]
        assert (first["count"], first["page"], first["pageSize"]) == (5, 1, 2)
        assert first["previous"] is None
        assert first["next"] == "http://testserver/api/v1/employees?pageSize=2&page=2"
        last = client.get("/api/v1/employees?pageSize=2&page=3").json()
        assert [p["lastName"] for p in last["results"]] == ["Persoon 4"]
        assert last["count"] == 5
        assert last["next"] is None
        assert last["previous"] == "http://testserver/api/v1/employees?pageSize=2&page=2"
        beyond = client.get("/api/v1/employees?pageSize=2&page=9").json()
        assert (beyond["results"], beyond["count"], beyond["next"]) == ([], 5, None)

    def test_the_default_page_size_is_20(self, api_client, organisation):
        EmployeeFactory.create_batch(21, organisation=organisation, team=None)
        body = api_client(organisation).get("/api/v1/employees").json()
        assert (len(body["results"]), body["count"], body["pageSize"]) == (20, 21, 20)


class TestTeamsAndDepartments:
    def test_teams_and_departments(self, api_client, organisation):
        department = DepartmentFactory(organisation=organisation, name="Publiekszaken")
        team = TeamFactory(organisation=organisation, department=department, name="Balie")
        leader = EmployeeFactory(organisation=organisation, team=team)
        team.leader = leader
        team.save()
        TeamFactory(organisation=organisation, name="Zonder")
        client = api_client(organisation)
        teams = client.get(f"/api/v1/teams?department={department.pk}").json()["results"]
        assert teams == [
            {"id": team.pk, "name": "Balie", "departmentId": department.pk, "leaderId": leader.pk}
        ]
        assert client.get(f"/api/v1/teams/{team.pk}").json()["name"] == "Balie"
        body = client.get(f"/api/v1/departments/{department.pk}").json()
        assert body == {"id": department.pk, "name": "Publiekszaken", "headId": None}
        assert client.get("/api/v1/departments").json()["count"] == 2


class TestRoleProfiles:
    def test_a_profile_with_its_targets(self, api_client, organisation):
        profile = RoleProfile.objects.create(
            organisation=organisation, code="adviseur", name="Adviseur", name_en="Adviser"
        )
        RoleTarget.objects.create(
            profile=profile, competency_code="AV-RES", minimum=2, target=3, weight=1.5
        )
        RoleProfile.objects.create(
            organisation=organisation, code="oud", name="Oud", is_active=False
        )
        client = api_client(organisation)
        body = client.get(f"/api/v1/role-profiles/{profile.pk}").json()
        assert body["code"] == "adviseur"
        assert body["nameEn"] == "Adviser"
        assert body["isActive"] is True
        assert body["targets"] == [
            {"competencyCode": "AV-RES", "minimumLevel": 2, "targetLevel": 3, "weight": 1.5}
        ]
        active = client.get("/api/v1/role-profiles?active=true").json()["results"]
        assert [p["code"] for p in active] == ["adviseur"]


class TestFrameworks:
    @pytest.fixture
    def version(self, organisation):
        round_ = RoundFactory(organisation=organisation, version__framework__name="Vakmanschap")
        version = round_.version
        Level.objects.create(version=version, number=1, name="Basis", name_en="Basic")
        CompetencyFactory(version=version, code="AV-RES", name="Resultaatgericht")
        return version

    def test_frameworks_with_versions(self, api_client, organisation, version):
        body = api_client(organisation).get("/api/v1/frameworks").json()
        (framework,) = body["results"]
        assert framework["id"] == version.framework_id
        assert framework["name"] == "Vakmanschap"
        assert framework["versions"][0]["publishedAt"].startswith(
            version.published_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
        )
        assert framework["versions"] == [
            {
                "number": 1,
                "status": "published",
                "publishedAt": framework["versions"][0]["publishedAt"],
                "note": "",
            }
        ]

    def test_a_version_with_levels_and_competencies(self, api_client, organisation, version):
        url = f"/api/v1/frameworks/{version.framework_id}/versions/1"
        body = api_client(organisation).get(url).json()
        assert body["frameworkId"] == version.framework_id
        assert body["levels"] == [
            {
                "number": 1,
                "name": "Basis",
                "nameEn": "Basic",
                "description": "",
                "descriptionEn": "",
            }
        ]
        assert [c["code"] for c in body["competencies"]] == ["AV-RES"]
        assert {"kind", "nameEn", "descriptionEn", "caseUri", "escoUri"} <= set(
            body["competencies"][0]
        )
        assert api_client(organisation).get(url.replace("/1", "/2")).status_code == 404

    def test_the_case_package_is_the_export_and_is_audited(self, api_client, organisation, version):
        url = f"/api/v1/frameworks/{version.framework_id}/versions/1/case"
        body = api_client(organisation).get(url).json()
        assert body["CFDocument"]["title"] == "Vakmanschap"
        assert [item["humanCodingScheme"] for item in body["CFItems"]] == ["AV-RES"]
        event = AuditEvent.objects.get(action="framework.case_export")
        assert event.organisation == organisation
        assert event.details["via"] == "api"
        assert event.details["api_token"]


class TestRounds:
    def test_rounds_with_aggregate_progress_only(self, api_client, organisation):
        round_ = RoundFactory(organisation=organisation, status=RoundStatus.OPEN)
        RoundFactory(organisation=organisation, status=RoundStatus.DRAFT)
        for status in (InvitationStatus.COMPLETED, InvitationStatus.OPEN, InvitationStatus.OPEN):
            person = EmployeeFactory(organisation=organisation)
            subject = Subject.objects.create(round=round_, employee=person)
            Invitation.objects.create(
                subject=subject, source=Source.SELF, rater=person, status=status
            )
        client = api_client(organisation)
        body = client.get(f"/api/v1/rounds/{round_.pk}").json()
        assert body["status"] == "open"
        assert body["frameworkId"] == round_.version.framework_id
        assert body["frameworkVersion"] == 1
        assert body["opensOn"] == round_.opens_on.isoformat()
        assert (body["subjectCount"], body["invitationCount"], body["completedCount"]) == (3, 3, 1)
        assert body["responsePercentage"] == 33
        listed = client.get("/api/v1/rounds?status=open").json()["results"]
        assert [r["id"] for r in listed] == [round_.pk]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/employees?pageSize=3",
        "/api/v1/teams?pageSize=3",
        "/api/v1/departments?pageSize=3",
        "/api/v1/role-profiles?pageSize=3",
        "/api/v1/frameworks?pageSize=3",
        "/api/v1/rounds?pageSize=3",
    ],
)
def test_lists_take_a_bounded_number_of_queries(api_client, organisation, url):
    """The same number of queries for one row as for many: nothing is fetched per row."""
    client = api_client(organisation)
    client.get(url)  # the token's first use writes last_used_at and starts the rate window

    def add_rows(n: int) -> None:
        for _ in range(n):
            employee = EmployeeFactory(organisation=organisation)
            profile = RoleProfile.objects.create(
                organisation=organisation, code=f"p{employee.pk}", name=f"P{employee.pk}"
            )
            RoleTarget.objects.create(
                profile=profile, competency_code="AV-RES", minimum=1, target=2
            )
            round_ = RoundFactory(organisation=organisation)
            CompetencyFactory(version=round_.version)
            Subject.objects.create(round=round_, employee=employee)

    add_rows(4)  # more than a page, so both requests count
    few = _queries(client, url)
    add_rows(6)
    many = _queries(client, url)
    assert many == few
    assert many <= 12


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/employees/12138654627719163904",
        "/api/v1/frameworks/12138654627719163904",
        "/api/v1/frameworks/12138654627719163904/versions/1",
        "/api/v1/frameworks/12138654627719163904/versions/1/case",
        "/api/v1/frameworks/1/versions/99999999999999999999",
    ],
)
def test_an_id_beyond_the_columns_range_is_not_found(api_client, organisation, path):
    """Found by Schemathesis: a framework id past 2**63 reached SQLite and gave a 500."""
    assert api_client(organisation).get(path).status_code == 404

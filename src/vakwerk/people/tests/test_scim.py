"""SCIM 2.0 provisioning, replaying the requests Microsoft Entra ID sends.

The request bodies follow Entra's documented examples ("Tutorial: Develop and plan provisioning
for a SCIM endpoint in Microsoft Entra ID", section "User operations" and "Group operations")
and the SCIM validator's sequences, including the older "aadOptscim062020"-less job behaviour:
capitalised op names, ``"active": "False"`` as a string, members removed by value list.
"""

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from vakwerk.api import nlgov
from vakwerk.api.models import Scope
from vakwerk.api.services import api_token_create, api_token_revoke
from vakwerk.audit.models import AuditEvent
from vakwerk.audit.services import Actor
from vakwerk.organisations.models import Membership, Role
from vakwerk.people import scim
from vakwerk.people.models import Employee, Team
from vakwerk.tests.factories import (
    EmployeeFactory,
    MembershipFactory,
    OrganisationFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db

BASE = "/scim/v2"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


class Scim:
    """A test client that speaks SCIM with a bearer token, as Entra does."""

    def __init__(self, token: str | None) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def request(self, method: str, path: str, body: Any = None, **params: str) -> Any:
        data = body if isinstance(body, str | bytes) else json.dumps(body) if body else ""
        query = "&".join(f"{key}={value}" for key, value in params.items())
        url = f"{BASE}{path}" + (f"?{query}" if query else "")
        return self.client.generic(
            method, url, data=data, content_type="application/scim+json", headers=self.headers
        )

    def get(self, path: str, **params: str) -> Any:
        return self.request("GET", path, **params)

    def post(self, path: str, body: Any) -> Any:
        return self.request("POST", path, body)

    def patch(self, path: str, *operations: dict[str, Any]) -> Any:
        return self.request("PATCH", path, {"schemas": [PATCH_OP], "Operations": list(operations)})

    def delete(self, path: str) -> Any:
        return self.request("DELETE", path)


def _token(organisation, scopes=(Scope.SCIM,)) -> str:
    _token_row, raw = api_token_create(
        organisation=organisation, actor=Actor(user=None), name="Entra ID", scopes=list(scopes)
    )
    return raw


@pytest.fixture
def entra(organisation) -> Scim:
    return Scim(_token(organisation))


def entra_user(user_name: str = "jan.jansen@gemeente.nl", **more: Any) -> dict[str, Any]:
    """The body of Entra's "Create User" request."""
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        "userName": user_name,
        "active": True,
        "emails": [{"primary": True, "type": "work", "value": user_name}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "Jan Jansen", "familyName": "Jansen", "givenName": "Jan"},
        "roles": [],
        **more,
    }


def _filter(client: Scim, resource: str, expression: str, **params: str) -> Any:
    from urllib.parse import quote

    return client.get(f"/{resource}", filter=quote(expression), **params)


# ---------------------------------------------------------------------------------------------
# Users, as Entra provisions them


def test_entra_user_lifecycle(entra, organisation):
    # 1. Entra looks the user up before creating: an empty list.
    response = _filter(entra, "Users", 'userName eq "jan.jansen@gemeente.nl"')
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/scim+json")
    assert response.json() == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": 0,
        "startIndex": 1,
        "itemsPerPage": 0,
        "Resources": [],
    }

    # 2. Create.
    body = entra_user(title="Beleidsadviseur")
    body[ENTERPRISE] = {"employeeNumber": "100042"}
    response = entra.post("/Users", body)
    assert response.status_code == 201, response.content
    created = response.json()
    user_id = created["id"]
    assert response["Location"].endswith(f"/scim/v2/Users/{user_id}")
    assert created["userName"] == "jan.jansen@gemeente.nl"
    assert created["active"] is True
    assert created["externalId"] == "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"
    assert created[ENTERPRISE]["employeeNumber"] == "100042"
    employee = Employee.objects.get(pk=user_id)
    assert employee.organisation == organisation
    assert (employee.first_name, employee.last_name) == ("Jan", "Jansen")
    assert (employee.email, employee.job_title) == ("jan.jansen@gemeente.nl", "Beleidsadviseur")
    create_line = AuditEvent.objects.get(action="scim.user.create", object_id=user_id)
    assert create_line.actor is None
    assert create_line.origin == "127.0.0.1"
    assert create_line.details["token_name"] == "Entra ID"
    assert create_line.details["token_prefix"]

    # 3. Get by id, and by filter in another case (userName is not case-exact).
    assert entra.get(f"/Users/{user_id}").json()["name"]["givenName"] == "Jan"
    found = _filter(entra, "Users", 'userName eq "Jan.Jansen@Gemeente.NL"').json()
    assert [r["id"] for r in found["Resources"]] == [user_id]
    by_external = _filter(entra, "Users", 'externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"')
    assert by_external.json()["totalResults"] == 1

    # 4. Update user [multi-valued properties] and [single-valued properties].
    response = entra.patch(
        f"/Users/{user_id}",
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "j.jansen@gemeente.nl"},
        {"op": "Replace", "path": "name.familyName", "value": "Jansen-de Vries"},
    )
    assert response.status_code == 200, response.content
    assert response.json()["emails"][0]["value"] == "j.jansen@gemeente.nl"
    employee.refresh_from_db()
    assert (employee.email, employee.last_name) == ("j.jansen@gemeente.nl", "Jansen-de Vries")
    response = entra.patch(
        f"/Users/{user_id}",
        {"op": "Replace", "path": "userName", "value": "jan.devries@gemeente.nl"},
    )
    assert response.json()["userName"] == "jan.devries@gemeente.nl"
    update = (
        AuditEvent.objects.filter(action="scim.user.update", object_id=user_id)
        .order_by("pk")
        .last()
    )
    assert update is not None
    assert update.details["changes"] == {
        "email": ["j.jansen@gemeente.nl", "jan.devries@gemeente.nl"]
    }

    # 5. Add attributes that were empty, as Entra does ("Add", not "Replace").
    manager = EmployeeFactory(organisation=organisation, first_name="Mieke", last_name="Baas")
    response = entra.patch(
        f"/Users/{user_id}",
        {"op": "Add", "path": "title", "value": "Senior beleidsadviseur"},
        {"op": "Add", "path": f"{ENTERPRISE}:manager", "value": str(manager.pk)},
        {"op": "Replace", "path": f"{ENTERPRISE}:employeeNumber", "value": "100043"},
        {"op": "Add", "path": 'phoneNumbers[type eq "work"].value', "value": "0612345678"},
    )
    assert response.status_code == 200, response.content
    enterprise = response.json()[ENTERPRISE]
    assert enterprise["manager"]["value"] == str(manager.pk)
    assert enterprise["manager"]["displayName"] == "Mieke Baas"
    assert enterprise["employeeNumber"] == "100043"
    employee.refresh_from_db()
    assert (employee.job_title, employee.manager, employee.employee_number) == (
        "Senior beleidsadviseur",
        manager,
        "100043",
    )

    # 6. Disable: "False" as a string, as Entra's scim job sends it.
    response = entra.patch(
        f"/Users/{user_id}", {"op": "Replace", "path": "active", "value": "False"}
    )
    assert response.status_code == 200
    assert response.json()["active"] is False
    employee.refresh_from_db()
    assert employee.end_date == timezone.localdate()
    assert AuditEvent.objects.filter(action="employee.end", object_id=user_id).exists()
    assert AuditEvent.objects.filter(action="scim.user.deactivate", object_id=user_id).exists()
    # The validator reads a disabled user back through a filter: still there, active false.
    found = _filter(entra, "Users", 'userName eq "jan.devries@gemeente.nl"').json()
    assert found["Resources"][0]["active"] is False

    # 7. Enable again, then delete: ended and hidden from SCIM, never destroyed.
    response = entra.patch(f"/Users/{user_id}", {"op": "Replace", "path": "active", "value": True})
    assert response.json()["active"] is True
    employee.refresh_from_db()
    assert employee.end_date is None
    assert entra.delete(f"/Users/{user_id}").status_code == 204
    assert entra.get(f"/Users/{user_id}").status_code == 404
    assert (
        _filter(entra, "Users", 'userName eq "jan.devries@gemeente.nl"').json()["totalResults"] == 0
    )
    employee.refresh_from_db()
    assert employee.end_date == timezone.localdate()
    assert employee.scim_deleted_at is not None
    assert AuditEvent.objects.filter(action="scim.user.delete", object_id=user_id).exists()
    assert entra.delete(f"/Users/{user_id}").status_code == 404


def test_patch_without_path_as_the_current_scim_job_sends_it(entra, organisation):
    user_id = entra.post("/Users", entra_user()).json()["id"]
    response = entra.patch(
        f"/Users/{user_id}",
        {
            "op": "replace",
            "value": {
                "displayName": "Johannes Jansen",
                "name.givenName": "Johannes",
                "name.familyName": "Jansen",
                f"{ENTERPRISE}:employeeNumber": "7",
                "externalId": "nieuw-id",
                "active": False,
            },
        },
    )
    assert response.status_code == 200, response.content
    employee = Employee.objects.get(pk=user_id)
    assert (employee.first_name, employee.employee_number) == ("Johannes", "7")
    assert employee.scim_external_id == "nieuw-id"
    assert employee.has_left


def test_remove_operations_clear_optional_attributes(entra, organisation):
    manager = EmployeeFactory(organisation=organisation)
    body = entra_user(title="Adviseur")
    body[ENTERPRISE] = {"employeeNumber": "55", "manager": {"value": str(manager.pk)}}
    user_id = entra.post("/Users", body).json()["id"]
    assert Employee.objects.get(pk=user_id).manager == manager
    response = entra.patch(
        f"/Users/{user_id}",
        {"op": "Remove", "path": "title"},
        {"op": "Remove", "path": f"{ENTERPRISE}:manager"},
        {"op": "remove", "path": "externalId"},
    )
    assert response.status_code == 200
    employee = Employee.objects.get(pk=user_id)
    assert (employee.job_title, employee.manager, employee.scim_external_id) == ("", None, "")
    assert employee.employee_number == "55"
    refused = entra.patch(f"/Users/{user_id}", {"op": "remove", "path": "name.givenName"})
    assert refused.status_code == 400
    assert refused.json()["scimType"] == "invalidValue"


def test_deactivating_removes_login_access_and_reactivating_gives_employee_access_back(
    entra, organisation
):
    membership = MembershipFactory(organisation=organisation, roles=[Role.EMPLOYEE, Role.MANAGER])
    employee = EmployeeFactory(
        organisation=organisation, user=membership.user, email=membership.user.email
    )
    path = f"/Users/{employee.pk}"
    assert entra.patch(path, {"op": "Replace", "path": "active", "value": False}).status_code == 200
    assert not Membership.objects.filter(organisation=organisation, user=employee.user).exists()
    removed = AuditEvent.objects.get(action="membership.remove")
    assert removed.details["roles"] == [Role.EMPLOYEE.value, Role.MANAGER.value]
    # Twice is harmless: nothing more is ended or audited.
    entra.patch(path, {"op": "Replace", "path": "active", "value": "False"})
    assert AuditEvent.objects.filter(action="scim.user.deactivate").count() == 1

    assert (
        entra.patch(path, {"op": "Replace", "path": "active", "value": "True"}).status_code == 200
    )
    restored = Membership.objects.get(organisation=organisation, user=employee.user)
    assert restored.roles == [Role.EMPLOYEE]
    assert AuditEvent.objects.filter(action="scim.user.reactivate").exists()


def test_a_future_starter_who_is_disabled_ends_on_their_start_date(entra, organisation):
    start = timezone.localdate() + dt.timedelta(days=30)
    employee = EmployeeFactory(organisation=organisation, start_date=start)
    entra.patch(f"/Users/{employee.pk}", {"op": "Replace", "path": "active", "value": False})
    employee.refresh_from_db()
    assert employee.end_date == start


def test_existing_employees_are_found_so_entra_matches_instead_of_duplicating(entra, organisation):
    imported = EmployeeFactory(organisation=organisation, email="bestaand@gemeente.nl")
    found = _filter(entra, "Users", 'userName eq "bestaand@gemeente.nl"').json()
    assert [r["id"] for r in found["Resources"]] == [str(imported.pk)]
    response = entra.post("/Users", entra_user("Bestaand@gemeente.nl"))
    assert response.status_code == 409
    assert response.json() == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
        "status": "409",
        "scimType": "uniqueness",
        "detail": "A user with userName 'Bestaand@gemeente.nl' already exists.",
    }


def test_conflicts_on_employee_number_and_on_an_email_of_another_organisation(
    entra, organisation, other_organisation
):
    EmployeeFactory(organisation=organisation, employee_number="123")
    body = entra_user()
    body[ENTERPRISE] = {"employeeNumber": "123"}
    assert entra.post("/Users", body).json()["scimType"] == "uniqueness"
    EmployeeFactory(organisation=other_organisation, email="elders@gemeente.nl")
    response = entra.post("/Users", entra_user("elders@gemeente.nl"))
    assert response.status_code == 409
    assert Employee.objects.filter(organisation=organisation).count() == 1


def test_a_rehire_after_delete_takes_the_old_record_back(entra, organisation):
    user_id = entra.post("/Users", entra_user()).json()["id"]
    entra.delete(f"/Users/{user_id}")
    response = entra.post("/Users", entra_user(externalId="nieuw"))
    assert response.status_code == 201
    assert response.json()["id"] == user_id
    assert response.json()["active"] is True
    employee = Employee.objects.get(pk=user_id)
    assert (employee.end_date, employee.scim_deleted_at) == (None, None)
    assert employee.scim_external_id == "nieuw"


def test_user_name_must_be_an_email_address_and_names_are_required(entra):
    response = entra.post("/Users", entra_user("Test_User_ab6490ee"))
    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidValue"
    assert "not an email address" in response.json()["detail"]
    body = entra_user()
    del body["name"]
    response = entra.post("/Users", body)
    assert response.status_code == 400
    assert response.json()["detail"] == "name.givenName is required."
    # With a displayName the names are derived from it.
    response = entra.post("/Users", {**body, "displayName": "Anna van Dijk"})
    assert response.status_code == 201
    assert response.json()["name"]["familyName"] == "van Dijk"


def test_put_replaces_the_user(entra, organisation):
    user_id = entra.post("/Users", entra_user(title="Adviseur")).json()["id"]
    body = entra_user()
    body["name"]["givenName"] = "Jannes"
    response = entra.request("PUT", f"/Users/{user_id}", body)
    assert response.status_code == 200
    assert "title" not in response.json()
    assert Employee.objects.get(pk=user_id).first_name == "Jannes"


def test_users_are_paged(entra, organisation):
    team = TeamFactory(organisation=organisation)
    for _ in range(5):
        EmployeeFactory(organisation=organisation, team=team)
    page = entra.get("/Users", startIndex="2", count="2").json()
    assert (page["totalResults"], page["startIndex"], page["itemsPerPage"]) == (5, 2, 2)
    everyone = entra.get("/Users").json()["Resources"]
    assert [r["id"] for r in page["Resources"]] == [r["id"] for r in everyone[1:3]]
    assert entra.get("/Users", count="0").json()["Resources"] == []
    assert entra.get("/Users", count="veel").json()["scimType"] == "invalidValue"


def test_out_of_range_ids_and_paging_are_clear_answers_not_crashes(entra, organisation):
    EmployeeFactory(organisation=organisation)
    assert entra.get("/Users/\u00b2").status_code == 404  # a digit, but not 0-9
    assert entra.get("/Users", filter='id eq "\u00b2"').json()["totalResults"] == 0
    too_far = entra.get("/Users", startIndex=str(10**20))
    assert (too_far.status_code, too_far.json()["scimType"]) == (400, "invalidValue")


def test_lists_take_a_bounded_number_of_queries(entra, organisation, django_assert_max_num_queries):
    team = TeamFactory(organisation=organisation)
    manager = EmployeeFactory(organisation=organisation, team=team)
    for _ in range(10):
        EmployeeFactory(organisation=organisation, team=team, manager=manager)
    # 6 for the list, and 4 for the rate limit's counter in the shared (database) cache.
    with django_assert_max_num_queries(10):
        assert len(entra.get("/Users").json()["Resources"]) == 11
    with django_assert_max_num_queries(10):
        assert len(entra.get("/Groups").json()["Resources"][0]["members"]) == 11


# ---------------------------------------------------------------------------------------------
# Groups, as Entra provisions them


def test_entra_group_lifecycle(entra, organisation):
    anna = EmployeeFactory(organisation=organisation, team=None)
    piet = EmployeeFactory(organisation=organisation, team=None)

    response = _filter(
        entra, "Groups", 'displayName eq "Team Vergunningen"', excludedAttributes="members"
    )
    assert response.json()["totalResults"] == 0

    response = entra.post(
        "/Groups",
        {
            "schemas": [
                "urn:ietf:params:scim:schemas:core:2.0:Group",
                "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group",
            ],
            "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
            "displayName": "Team Vergunningen",
            "meta": {"resourceType": "Group"},
        },
    )
    assert response.status_code == 201, response.content
    group = response.json()
    group_id = group["id"]
    assert group["members"] == []
    assert Team.objects.get(pk=group_id).scim_external_id == "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159"

    # Found by filter, in another case, without members.
    found = _filter(
        entra, "Groups", 'displayName eq "team vergunningen"', excludedAttributes="members"
    )
    assert [r["id"] for r in found.json()["Resources"]] == [group_id]
    assert "members" not in found.json()["Resources"][0]
    assert "members" not in entra.get(f"/Groups/{group_id}", excludedAttributes="members").json()

    # Add members.
    response = entra.patch(
        f"/Groups/{group_id}",
        {"op": "Add", "path": "members", "value": [{"$ref": None, "value": str(anna.pk)}]},
    )
    assert response.status_code == 204
    entra.patch(
        f"/Groups/{group_id}", {"op": "add", "path": "members", "value": [{"value": str(piet.pk)}]}
    )
    members = entra.get(f"/Groups/{group_id}").json()["members"]
    assert {m["value"] for m in members} == {str(anna.pk), str(piet.pk)}
    assert entra.get(f"/Users/{anna.pk}").json()["groups"][0]["value"] == group_id
    membership_query = _filter(entra, "Groups", f'id eq "{group_id}" and members eq "{anna.pk}"')
    assert membership_query.json()["totalResults"] == 1

    # Remove members: by value list (older job), and by filtered path (current job).
    entra.patch(
        f"/Groups/{group_id}",
        {"op": "Remove", "path": "members", "value": [{"$ref": None, "value": str(anna.pk)}]},
    )
    anna.refresh_from_db()
    assert anna.team is None
    entra.patch(f"/Groups/{group_id}", {"op": "remove", "path": f'members[value eq "{piet.pk}"]'})
    assert entra.get(f"/Groups/{group_id}").json()["members"] == []

    # Rename.
    response = entra.patch(
        f"/Groups/{group_id}", {"op": "Replace", "path": "displayName", "value": "Team Omgeving"}
    )
    assert response.status_code == 204
    assert Team.objects.get(pk=group_id).name == "Team Omgeving"
    actions = list(
        AuditEvent.objects.filter(object_id=group_id, action__startswith="scim.group").values_list(
            "action", flat=True
        )
    )
    assert actions.count("scim.group.update") == 5
    assert "scim.group.create" in actions

    # Delete: gone for SCIM, kept for history.
    entra.patch(
        f"/Groups/{group_id}", {"op": "add", "path": "members", "value": [{"value": str(anna.pk)}]}
    )
    assert entra.delete(f"/Groups/{group_id}").status_code == 204
    assert entra.get(f"/Groups/{group_id}").status_code == 404
    team = Team.objects.get(pk=group_id)
    assert team.scim_deleted_at is not None
    assert not team.members.exists()
    assert AuditEvent.objects.get(action="scim.group.delete").details["removed"] == [anna.pk]


def test_adding_a_member_moves_them_from_their_previous_team(entra, organisation):
    old_team = TeamFactory(organisation=organisation)
    person = EmployeeFactory(organisation=organisation, team=old_team)
    group_id = entra.post("/Groups", {"displayName": "Nieuw team"}).json()["id"]
    entra.patch(
        f"/Groups/{group_id}",
        {
            "op": "replace",
            "value": {"members": [{"value": str(person.pk)}], "displayName": "Nieuw"},
        },
    )
    person.refresh_from_db()
    assert person.team_id == int(group_id)
    update = AuditEvent.objects.get(action="scim.group.update")
    assert update.details["moved_from_teams"] == {str(person.pk): old_team.pk}


def test_group_name_conflict_and_revival_after_delete(entra, organisation):
    TeamFactory(organisation=organisation, name="Financiën")
    response = entra.post("/Groups", {"displayName": "financiën"})
    assert (response.status_code, response.json()["scimType"]) == (409, "uniqueness")
    group_id = entra.post("/Groups", {"displayName": "Burgerzaken"}).json()["id"]
    entra.delete(f"/Groups/{group_id}")
    assert entra.post("/Groups", {"displayName": "Burgerzaken"}).json()["id"] == group_id


def test_unknown_members_are_refused(entra, organisation):
    group_id = entra.post("/Groups", {"displayName": "Team"}).json()["id"]
    response = entra.patch(
        f"/Groups/{group_id}", {"op": "add", "path": "members", "value": [{"value": "999999"}]}
    )
    assert response.status_code == 400
    assert "999999" in response.json()["detail"]


# ---------------------------------------------------------------------------------------------
# Organisations are isolated


def test_another_organisations_token_sees_nothing_of_ours(organisation, other_organisation):
    ours = Scim(_token(organisation))
    theirs = Scim(_token(other_organisation))
    user_id = ours.post("/Users", entra_user()).json()["id"]
    group_id = ours.post("/Groups", {"displayName": "Geheim team"}).json()["id"]
    for path in (f"/Users/{user_id}", f"/Groups/{group_id}"):
        assert theirs.get(path).status_code == 404
        assert (
            theirs.patch(path, {"op": "replace", "path": "active", "value": False}).status_code
            == 404
        )
        assert theirs.delete(path).status_code == 404
        assert theirs.request("PUT", path, entra_user()).status_code == 404
    assert theirs.get("/Users").json()["totalResults"] == 0
    assert theirs.get("/Groups").json()["totalResults"] == 0
    assert (
        _filter(theirs, "Users", 'userName eq "jan.jansen@gemeente.nl"').json()["Resources"] == []
    )
    # Their group cannot take our user as a member.
    their_group = theirs.post("/Groups", {"displayName": "Hun team"}).json()["id"]
    response = theirs.patch(
        f"/Groups/{their_group}", {"op": "add", "path": "members", "value": [{"value": user_id}]}
    )
    assert response.status_code == 400
    assert Employee.objects.get(pk=user_id).team is None
    # Nor can their user take our user as manager.
    their_user = theirs.post("/Users", entra_user("hun@andere-gemeente.nl")).json()["id"]
    response = theirs.patch(
        f"/Users/{their_user}", {"op": "add", "path": f"{ENTERPRISE}:manager", "value": user_id}
    )
    assert response.status_code == 400
    assert Employee.objects.get(pk=user_id).reports.count() == 0


# ---------------------------------------------------------------------------------------------
# Authentication and errors


def _assert_error(response, status: int, scim_type: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/scim+json")
    body = response.json()
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert body["status"] == str(status)
    assert body.get("scimType") == scim_type
    assert body["detail"]
    return body


def test_requests_without_a_valid_token_are_refused(organisation):
    response = Scim(None).get("/Users")
    _assert_error(response, 401)
    assert response["WWW-Authenticate"] == 'Bearer realm="scim"'
    _assert_error(Scim("vw_000000000000_nietgeldig").get("/Users"), 401)
    raw = _token(organisation)
    token = organisation.api_tokens.get()
    api_token_revoke(token=token, actor=Actor(user=None))
    _assert_error(Scim(raw).get("/Users"), 401)


def test_a_token_without_the_scim_scope_is_forbidden(organisation):
    client = Scim(_token(organisation, scopes=[Scope.EMPLOYEES_READ]))
    body = _assert_error(client.get("/Users"), 403)
    assert "scim scope" in body["detail"]
    _assert_error(client.post("/Users", entra_user()), 403)
    assert not Employee.objects.exists()


def test_a_token_of_an_inactive_organisation_is_forbidden():
    organisation = OrganisationFactory(is_active=False)
    _assert_error(Scim(_token(organisation)).get("/Users"), 403)


def test_malformed_requests_get_clear_errors(entra, organisation):
    body = _assert_error(entra.request("POST", "/Users", "{niet json"), 400, "invalidSyntax")
    assert "not valid JSON" in body["detail"]
    _assert_error(entra.request("POST", "/Users", "[1, 2]"), 400, "invalidSyntax")
    user_id = entra.post("/Users", entra_user()).json()["id"]
    path = f"/Users/{user_id}"
    _assert_error(entra.request("PATCH", path, {"schemas": [PATCH_OP]}), 400, "invalidSyntax")
    body = _assert_error(entra.patch(path, {"op": "copy", "path": "title"}), 400, "invalidSyntax")
    assert "'copy'" in body["detail"]
    _assert_error(entra.patch(path, {"op": "remove"}), 400, "noTarget")
    _assert_error(entra.patch(path, {"op": "replace", "path": "name..x"}), 400, "invalidPath")
    body = _assert_error(
        entra.patch(path, {"op": "replace", "path": "active", "value": "ja"}), 400, "invalidValue"
    )
    assert "active" in body["detail"]
    _assert_error(entra.request("POST", path, entra_user()), 405)


@pytest.mark.parametrize(
    ("expression", "detail"),
    [
        ('userName co "jan"', "only 'eq' and 'and'"),
        ('userName eq "a" or userName eq "b"', "only 'and' joins"),
        ("userName eq", "Incomplete filter"),
        ('(userName eq "a")', "parentheses"),
        ('nickName eq "jan"', "Cannot filter users on 'nickname'"),
        ("userName eq jan", "must be a quoted string"),
        ('userName eq "open', "Cannot read the filter"),
    ],
)
def test_bad_filters_are_refused_with_invalid_filter(entra, expression, detail):
    body = _assert_error(_filter(entra, "Users", expression), 400, "invalidFilter")
    assert detail in body["detail"]


def test_discovery_endpoints(entra):
    config = entra.get("/ServiceProviderConfig").json()
    assert config["patch"] == {"supported": True}
    assert config["filter"]["supported"] is True
    assert config["authenticationSchemes"][0]["type"] == "oauthbearertoken"
    types = entra.get("/ResourceTypes").json()
    assert {r["id"] for r in types["Resources"]} == {"User", "Group"}
    assert entra.get("/ResourceTypes/User").json()["endpoint"] == "/Users"
    schema_list = entra.get("/Schemas").json()
    ids = {s["id"] for s in schema_list["Resources"]}
    assert ids == {
        "urn:ietf:params:scim:schemas:core:2.0:User",
        "urn:ietf:params:scim:schemas:core:2.0:Group",
        ENTERPRISE,
    }
    user_schema = entra.get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:User").json()
    assert "userName" in {a["name"] for a in user_schema["attributes"]}
    assert entra.get("/Schemas/urn:nope").status_code == 404


# ---------------------------------------------------------------------------------------------
# Parsing, without HTTP


def test_paths_parse_as_entra_writes_them():
    assert scim.parse_path('emails[type eq "work"].value') == scim.AttrPath(
        attr="emails", sub="value", value_filter=("type", "work")
    )
    assert scim.parse_path(f"{ENTERPRISE}:employeeNumber") == scim.AttrPath(
        attr="employeenumber", schema=ENTERPRISE
    )
    assert scim.parse_path("urn:ietf:params:scim:schemas:core:2.0:User:name.givenName") == (
        scim.AttrPath(attr="name", sub="givenname")
    )
    assert scim.parse_path(ENTERPRISE) == scim.AttrPath(attr="", schema=ENTERPRISE)
    assert scim.parse_path('members[value eq "12"]').value_filter == ("value", "12")
    assert scim.parse_path("urn:custom:ext:2.0:User:worksiteId").schema == "other"


def test_filters_parse_with_and_and_case_insensitive_keywords():
    clauses = scim.parse_filter('id EQ "5" And members eq "7"')
    assert [(c.path.attr, c.value) for c in clauses] == [("id", "5"), ("members", "7")]
    assert scim.parse_filter('emails[type eq "work"].value eq "a@b.nl"')[0].value == "a@b.nl"
    assert scim.parse_filter("active eq false")[0].value is False


def test_the_manager_as_entras_create_payload_writes_it(entra, organisation):
    """Entra's documented Create User payload has ``"Manager": "<id>"``: a capital and a string."""
    manager = EmployeeFactory(organisation=organisation)
    body = entra_user()
    body[ENTERPRISE] = {"Department": "Burgerzaken", "Manager": str(manager.pk)}
    response = entra.post("/Users", body)
    assert response.status_code == 201, response.content
    assert response.json()[ENTERPRISE]["manager"]["value"] == str(manager.pk)
    loop = entra.patch(
        f"/Users/{manager.pk}",
        {"op": "add", "path": f"{ENTERPRISE}:manager", "value": response.json()["id"]},
    )
    assert loop.status_code == 400
    assert "loop" in loop.json()["detail"]


def test_a_token_over_the_rate_limit_gets_429_with_retry_after(organisation, settings, monkeypatch):
    """SCIM counts against the same limit per token as the REST API (one clock minute)."""
    monkeypatch.setattr(nlgov, "clock", lambda: 1_800_000_020.0)  # 20 s into a minute
    settings.API_RATE_LIMIT = 2
    entra, other = Scim(_token(organisation)), Scim(_token(organisation))
    assert entra.get("/Users").status_code == 200
    assert entra.post("/Users", entra_user()).status_code == 201
    refused = entra.post("/Users", entra_user("piet.pietersen@gemeente.nl"))
    body = _assert_error(refused, 429)
    assert refused["Retry-After"] == "40"
    assert "at most 2 a minute" in body["detail"]
    assert not Employee.objects.filter(email="piet.pietersen@gemeente.nl").exists()
    assert other.get("/Users").status_code == 200  # per token
    monkeypatch.setattr(nlgov, "clock", lambda: 1_800_000_061.0)  # the next minute
    assert entra.get("/Users").status_code == 200

"""The NLGov REST API Design Rules as Vakwerk's API keeps them."""

import re

import pytest
from django.test import Client

from vakwerk.api import nlgov
from vakwerk.api.nlgov import API_VERSION
from vakwerk.api.routers import teams
from vakwerk.tests.factories import EmployeeFactory

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def _is_problem(response, status: int) -> dict:
    assert response.status_code == status
    assert response["Content-Type"].startswith(PROBLEM)
    assert response["API-Version"] == API_VERSION
    body = response.json()
    assert body["status"] == status
    assert {"type", "title", "status", "detail", "instance"} <= set(body)
    return body


def test_the_path_has_no_trailing_slash_and_a_slash_is_404_not_a_redirect(
    api_client, organisation, english
):
    client = api_client(organisation)
    assert client.get("/api/v1/employees").status_code == 200
    body = _is_problem(client.get("/api/v1/employees/"), 404)
    assert body["instance"] == "/api/v1/employees/"
    _is_problem(client.get("/api/v1"), 404)
    _is_problem(client.get("/api/v1/"), 404)
    _is_problem(client.get("/api/v1/nothing-here"), 404)
    body = _is_problem(client.get("/api/v1/employees/not-a-number"), 400)
    assert [param["name"] for param in body["invalidParams"]] == ["employee_id"]


def test_bad_paging_is_a_400_problem_naming_every_invalid_parameter(
    api_client, organisation, english
):
    response = api_client(organisation).get("/api/v1/employees?page=0&pageSize=101&active=x")
    body = _is_problem(response, 400)
    reasons = {param["name"]: param["reason"] for param in body["invalidParams"]}
    assert reasons == {
        "page": "Use a number of at least 1.",
        "pageSize": "Use a number of at most 100.",
        "active": "Use true or false.",
    }
    body = _is_problem(api_client(organisation).get("/api/v1/teams?pageSize=many"), 400)
    assert [(p["name"], p["code"]) for p in body["invalidParams"]] == [("pageSize", "int_parsing")]


def test_every_answer_carries_the_api_version(
    api_client, organisation, english, settings, monkeypatch
):
    monkeypatch.setattr(nlgov, "clock", lambda: 1_800_000_020.0)  # one rate window throughout
    client = api_client(organisation, ["rounds:read"])
    assert client.get("/api/v1/rounds")["API-Version"] == API_VERSION  # 200
    _is_problem(client.get("/api/v1/employees"), 403)
    _is_problem(client.get("/api/v1/rounds/999999"), 404)
    _is_problem(client.post("/api/v1/rounds"), 405)
    _is_problem(Client().get("/api/v1/rounds"), 401)
    assert Client().get("/api/v1/openapi.json")["API-Version"] == API_VERSION
    settings.API_RATE_LIMIT = 1
    _is_problem(client.get("/api/v1/rounds"), 429)


def test_a_method_the_path_does_not_take_is_a_405_problem(api_client, organisation, english):
    response = api_client(organisation).delete("/api/v1/employees")
    body = _is_problem(response, 405)
    assert response["Allow"] == "GET"
    assert "DELETE" in body["detail"]


def test_json_keys_are_camel_case(api_client, organisation):
    EmployeeFactory(organisation=organisation)
    body = api_client(organisation).get("/api/v1/employees").json()
    assert set(body) == {"results", "count", "page", "pageSize", "next", "previous"}
    assert set(body["results"][0]) == {
        "id",
        "employeeNumber",
        "firstName",
        "lastName",
        "email",
        "jobTitle",
        "teamId",
        "managerId",
        "roleProfileId",
        "startDate",
        "endDate",
    }


def test_errors_speak_the_language_of_accept_language(api_client, organisation):
    """The titles go through gettext: English when asked for, and marked as such."""
    response = Client(HTTP_ACCEPT_LANGUAGE="en").get("/api/v1/employees")
    assert response.json()["title"] == "Not authenticated"
    assert response["Content-Language"] == "en"
    assert Client(HTTP_ACCEPT_LANGUAGE="nl").get("/api/v1/employees")["Content-Language"] == "nl"


class TestTheOpenApiDocument:
    @pytest.fixture
    def document(self, db):
        response = Client().get("/api/v1/openapi.json")  # public: no token
        assert response.status_code == 200
        return response.json()

    def test_its_version_is_the_header_version(self, document):
        assert document["info"]["version"] == API_VERSION

    def test_paths_are_kebab_case_under_v1_without_trailing_slash(self, document):
        segment = re.compile(r"^([a-z0-9]+(-[a-z0-9]+)*|\{[a-z_]+\})$")
        assert "/api/v1/role-profiles" in document["paths"]
        for path in document["paths"]:
            assert path.startswith("/api/v1/"), path
            assert not path.endswith("/"), path
            for part in path.removeprefix("/api/v1/").split("/"):
                assert segment.match(part), path

    def test_operations_describe_problems_header_and_scope(self, document):
        operation = document["paths"]["/api/v1/employees/{employee_id}"]["get"]
        assert operation["operationId"] == "employeeDetail"
        assert operation["security"] == [{"bearer": ["employees:read"]}]
        responses = operation["responses"]
        assert responses["200"]["headers"]["API-Version"]["$ref"] == (
            "#/components/headers/API-Version"
        )
        assert responses["404"] == {"$ref": "#/components/responses/NotFound"}
        assert responses["401"] == {"$ref": "#/components/responses/Unauthorized"}
        assert responses["403"] == {"$ref": "#/components/responses/Forbidden"}
        assert responses["429"] == {"$ref": "#/components/responses/TooManyRequests"}
        listing = document["paths"]["/api/v1/employees"]["get"]["responses"]
        assert listing["400"] == {"$ref": "#/components/responses/BadRequest"}

        components = document["components"]
        assert components["securitySchemes"]["bearer"]["scheme"] == "bearer"
        bad_request = components["responses"]["BadRequest"]
        assert set(bad_request["content"]) == {PROBLEM}
        assert "API-Version" in bad_request["headers"]
        assert "Retry-After" in components["responses"]["TooManyRequests"]["headers"]
        problem = components["schemas"]["InvalidParamsProblem"]
        assert {"type", "title", "status", "detail", "instance", "invalidParams"} <= set(
            problem["properties"]
        )

    def test_paging_parameters_and_schemas_are_camel_case(self, document):
        parameters = document["paths"]["/api/v1/employees"]["get"]["parameters"]
        assert {"page", "pageSize"} <= {p["name"] for p in parameters}
        page = document["components"]["schemas"]["EmployeePage"]
        assert set(page["properties"]) == {
            "results",
            "count",
            "page",
            "pageSize",
            "next",
            "previous",
        }
        assert "employeeNumber" in document["components"]["schemas"]["EmployeeOut"]["properties"]


def test_an_unexpected_error_is_a_500_problem_and_logged(
    api_client, organisation, english, monkeypatch, caplog
):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(teams, "paginate", broken)
    body = _is_problem(api_client(organisation).get("/api/v1/teams"), 500)
    assert "boom" not in body["detail"]
    assert any("boom" in (record.exc_text or "") for record in caplog.records)

"""Input that PostgreSQL or Python cannot take is refused with a message, never a server error:
NUL characters anywhere in a request, ids beyond 64 bits, huge numbers in a filter (odd digits
in the pulse self-check: measurement/tests/test_pulses.py).

PostgreSQL refuses U+0000 in text, so before the NUL check a search, a journal entry or an API
filter holding one answered 500 there (SQLite stored it). These tests hold the refusal itself
on both engines."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from vakwerk.api.models import Scope
from vakwerk.api.services import api_token_create
from vakwerk.audit.services import Actor
from vakwerk.frameworks.case import version_to_case
from vakwerk.organisations.models import Role
from vakwerk.people.models import Employee
from vakwerk.practice.models import JournalEntry
from vakwerk.tests.factories import EmployeeFactory
from vakwerk.tests.hostile import HEADER, csv_text

pytest_plugins = ["vakwerk.frameworks.tests.test_case"]
pytestmark = pytest.mark.django_db

MESSAGE_NL = "bevat een NUL-teken"
MESSAGE_EN = "contains a NUL character"


def _api(organisation, *scopes):
    _, plain = api_token_create(
        organisation=organisation, actor=Actor(user=None), name="test", scopes=list(scopes)
    )
    return Client(HTTP_AUTHORIZATION=f"Bearer {plain}")


@pytest.mark.parametrize(
    ("url", "where"),
    [
        ("/mensen/medewerkers/?zoek=a%00b", "“zoek”"),
        ("/leeraanbod/?zoek=a%00b", "“zoek”"),
        ("/mensen/medewerkers/?a%00b=1", "“a\\0b”"),
        ("/mensen%00/", "adres"),
    ],
)
def test_a_nul_in_the_address_is_refused_with_a_page_in_dutch_and_english(
    member_client, organisation, url, where
):
    client, _ = member_client(organisation, Role.HR)
    response = client.get(url)
    assert response.status_code == 400
    page = response.content.decode()
    assert MESSAGE_NL in page
    assert MESSAGE_EN in page
    assert "<h1>Ongeldig verzoek / Bad request</h1>" in page
    assert where in page


def test_a_nul_in_a_form_field_is_refused_and_nothing_is_saved(member_client, organisation):
    client, user = member_client(organisation)
    EmployeeFactory(organisation=organisation, user=user)
    response = client.post(reverse("bank:journal"), {"text": "a\x00b"})
    assert response.status_code == 400
    assert "Het formulierveld “text”" in response.content.decode()
    assert not JournalEntry.objects.exists()
    # The same entry without the character is saved.
    client.post(reverse("bank:journal"), {"text": "ab"})
    assert JournalEntry.objects.count() == 1


def test_a_nul_in_a_cookie_is_refused_before_the_session_is_looked_up(client):
    client.cookies["sessionid"] = "abcdefgh\x00"
    response = client.get("/")
    assert response.status_code == 400
    assert "De cookie “sessionid”" in response.content.decode()


def test_the_api_refuses_a_nul_as_a_problem_naming_the_parameter(organisation):
    api = _api(organisation, *Scope.values)
    response = api.get("/api/v1/employees", {"email": "a\x00b"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == 400
    assert problem["invalidParams"][0]["name"] == "email"
    assert MESSAGE_EN in problem["detail"]


def test_scim_refuses_a_nul_in_a_body_and_in_a_filter_in_its_own_error_format(organisation):
    scim = _api(organisation, Scope.SCIM)
    body = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "nul@example.nl",
        "name": {"givenName": "A\u0000", "familyName": "B"},
    }
    created = scim.post("/scim/v2/Users", json.dumps(body), content_type="application/scim+json")
    found = scim.get("/scim/v2/Users", {"filter": 'userName eq "a\\u0000b"'})
    for response in (created, found):
        assert response.status_code == 400
        error = response.json()
        assert error["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
        assert "NUL" in error["detail"]
    assert not Employee.objects.exists()


def test_scim_refuses_a_number_too_long_to_read(organisation):
    scim = _api(organisation, Scope.SCIM)
    response = scim.get("/scim/v2/Users", {"filter": "id eq " + "9" * 5000})
    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidFilter"


@pytest.mark.parametrize(("encoding", "before"), [("utf-16", 1), ("utf-8", 2000)])
def test_a_people_import_with_a_nul_character_names_the_line(
    member_client, organisation, encoding, before
):
    """UTF-16 files hold NUL bytes anyway, and a UTF-8 file is only looked at for binary
    content in its first 64 KB: in both, a NUL character in a cell is found and named."""
    client, _ = member_client(organisation, Role.HR)
    rows = [HEADER]
    rows += [[str(n), "Anna", "Bos", f"anna{n}@example.nl", ""] for n in range(1, before + 1)]
    rows.append([str(before + 1), "A\x00n", "Bos", "an@example.nl", ""])
    upload = io.BytesIO(csv_text(rows).encode(encoding))
    upload.name = "mensen.csv"
    response = client.post(reverse("people:import_upload"), {"file": upload}, follow=True)
    line = before + 2
    assert f"Regel {line} van het bestand bevat een NUL-teken" in response.content.decode()
    assert not Employee.objects.exists()


def test_a_case_package_with_a_nul_character_is_refused_with_its_place(
    member_client, other_organisation, version
):
    package = version_to_case(version)
    package["CFDocument"]["title"] = "Kader\x00"
    client, _ = member_client(other_organisation, Role.HR)
    upload = SimpleUploadedFile("kader.json", json.dumps(package).encode())
    response = client.post(reverse("framework_case:import"), {"file": upload})
    assert response.status_code == 200
    assert MESSAGE_NL in response.content.decode()


@pytest.mark.parametrize("attempt", ["9223372036854775808", "99999999999999999999"])
def test_a_scenario_attempt_beyond_64_bits_does_not_exist(member_client, organisation, attempt):
    client, _ = member_client(organisation)
    assert client.get(f"/oefenen/scenario/{attempt}/").status_code == 404
    assert client.post(f"/oefenen/scenario/{attempt}/kies/", {"choice": "0"}).status_code == 404

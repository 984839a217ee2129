import copy
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from vakwerk.audit.models import AuditEvent
from vakwerk.audit.services import Actor
from vakwerk.frameworks.case import (
    EXTENSION,
    INDICATOR_TYPE,
    CaseError,
    case_to_draft,
    parse_case_json,
    read_case_package,
    version_to_case,
)
from vakwerk.frameworks.models import (
    Competency,
    CompetencyKind,
    Framework,
    FrameworkVersion,
    Indicator,
    Level,
    VersionStatus,
)
from vakwerk.organisations.models import Organisation, Role
from vakwerk.tests.factories import CompetencyFactory, FrameworkVersionFactory

pytestmark = pytest.mark.django_db

NOBODY = Actor(user=None)
LEVELS = [
    ("In ontwikkeling", "Developing", "Leert het vak.", "Learning the craft."),
    ("Vakbekwaam", "Proficient", "Doet het zelfstandig.", "Works independently."),
    ("Ervaren", "Experienced", "", ""),
    ("Voorbeeld", "Role model", "Anderen leren van hem.", "Others learn from them."),
]


@pytest.fixture
def version(organisation: Organisation) -> FrameworkVersion:
    """A published version: 4 levels, a craftsmanship quality and a core value, both fully
    written in Dutch and English, with behavioural indicators on several levels."""
    version = FrameworkVersion.objects.create(
        framework=Framework.objects.create(
            organisation=organisation, name="Ambtelijk vakmanschap 3.0"
        ),
        number=1,
        status=VersionStatus.PUBLISHED,
        published_at=datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
        note="Eerste versie",
    )
    for number, (name, name_en, description, description_en) in enumerate(LEVELS, start=1):
        Level.objects.create(
            version=version,
            number=number,
            name=name,
            name_en=name_en,
            description=description,
            description_en=description_en,
        )
    resilience = Competency.objects.create(
        version=version,
        code="AV-RES",
        kind=CompetencyKind.VAKMANSCHAP,
        position=3,
        name="Veerkracht",
        name_en="Resilience",
        description="Blijft werken onder druk.",
        description_en="Keeps working under pressure.",
        why_daily="Aan de balie is het soms druk.",
        why_daily_en="The front desk is busy at times.",
        why_career="Wie veerkrachtig is, groeit.",
        why_career_en="Resilient people grow.",
        case_uri="https://case.example.org/uri/5e0a5a3c-8f61-4f7e-9d55-3d1f0c1d9d3b",
        esco_uri="http://data.europa.eu/esco/skill/abc",
    )
    integrity = Competency.objects.create(
        version=version,
        code="KW-INT",
        kind=CompetencyKind.KERNWAARDE,
        position=0,
        name="Integer",
        name_en="Honest",
        description="Doet wat hij zegt.",
        description_en="Does what they say.",
        why_daily="Inwoners moeten ons kunnen vertrouwen.",
        why_daily_en="Residents must be able to trust us.",
        why_career="Vertrouwen opent deuren.",
        why_career_en="Trust opens doors.",
    )
    behaviours = [
        (resilience, 1, 0, "Vraagt hulp als het te druk wordt.", "Asks for help when busy."),
        (resilience, 2, 0, "Blijft vriendelijk bij boze inwoners.", "Stays kind to angry people."),
        (resilience, 2, 1, "Herstelt snel na een tegenslag.", ""),
        (resilience, 4, 0, "Helpt collega's na een incident.", "Helps colleagues after incidents."),
        (integrity, 1, 0, "Meldt een fout zelf.", "Reports their own mistakes."),
        (integrity, 3, 0, "Weigert een cadeau van een aanvrager.", "Declines gifts."),
        (integrity, 3, 1, "Bespreekt dilemma's in het team.", "Discusses dilemmas."),
    ]
    for competency, level, position, text, text_en in behaviours:
        Indicator.objects.create(
            competency=competency, level=level, position=position, text=text, text_en=text_en
        )
    return version


def snapshot(version: FrameworkVersion) -> dict[str, Any]:
    """Everything a framework version says, without database ids."""
    return {
        "levels": list(
            version.levels.values_list(
                "number", "name", "name_en", "description", "description_en"
            ).order_by("number")
        ),
        "competencies": [
            {
                **{
                    field: getattr(competency, field)
                    for field in (
                        "code",
                        "kind",
                        "position",
                        "name",
                        "name_en",
                        "description",
                        "description_en",
                        "why_daily",
                        "why_daily_en",
                        "why_career",
                        "why_career_en",
                        "case_uri",
                        "esco_uri",
                    )
                },
                "indicators": list(
                    competency.indicators.values_list(
                        "level", "position", "text", "text_en"
                    ).order_by("level", "position")
                ),
            }
            for competency in version.competencies.order_by("code")
        ],
    }


def as_file(package: dict[str, Any]) -> dict[str, Any]:
    """The package as another installation would read it: through JSON text."""
    return json.loads(json.dumps(package))


def indicator_indexes(package: dict[str, Any]) -> list[int]:
    return [
        index
        for index, item in enumerate(package["CFItems"])
        if item["CFItemType"] == INDICATOR_TYPE
    ]


# Round trip -------------------------------------------------------------------------------------


def test_export_and_import_into_another_organisation_gives_the_same_framework(
    version, other_organisation
):
    imported = case_to_draft(
        organisation=other_organisation,
        actor=NOBODY,
        data=as_file(version_to_case(version)),
        name=None,
    )

    assert imported.framework.organisation == other_organisation
    assert imported.framework.name == "Ambtelijk vakmanschap 3.0"
    assert imported.number == 1
    assert imported.status == VersionStatus.DRAFT
    assert imported.note == "Eerste versie"
    assert snapshot(imported) == snapshot(version)
    assert len(snapshot(version)["competencies"][0]["indicators"]) == 4  # the check has teeth
    event = AuditEvent.objects.get(action="framework.case_import")
    assert event.organisation == other_organisation
    assert event.object_id == str(imported.pk)
    assert event.details["competencies"] == 2
    assert event.details["indicators"] == 7


def test_importing_a_name_that_is_taken_gets_a_number(version, organisation):
    data = as_file(version_to_case(version))
    first = case_to_draft(organisation=organisation, actor=NOBODY, data=data)
    second = case_to_draft(organisation=organisation, actor=NOBODY, data=data)
    named = case_to_draft(organisation=organisation, actor=NOBODY, data=data, name="Eigen kader")
    assert first.framework.name == "Ambtelijk vakmanschap 3.0 (2)"
    assert second.framework.name == "Ambtelijk vakmanschap 3.0 (3)"
    assert named.framework.name == "Eigen kader"


def test_a_package_without_vakwerk_extensions_takes_levels_from_the_rubrics(
    version, other_organisation
):
    """A package made elsewhere: the level scale and each behaviour's level come from the
    rubrics, the kind from CFItemType. Only the texts CASE has no field for are supplied."""
    package = as_file(version_to_case(version))
    del package["CFDocument"]["extensions"]
    for item in package["CFItems"]:
        ours = item.pop("extensions")[EXTENSION]
        if item["CFItemType"] != INDICATOR_TYPE:
            item["extensions"] = {
                EXTENSION: {"whyDaily": ours["whyDaily"], "whyCareer": ours["whyCareer"]}
            }

    imported = case_to_draft(organisation=other_organisation, actor=NOBODY, data=package)

    assert list(imported.levels.values_list("number", "name")) == [
        (number, names[0]) for number, names in enumerate(LEVELS, start=1)
    ]
    original = snapshot(version)["competencies"]
    result = snapshot(imported)["competencies"]
    for before, after in zip(original, result, strict=True):
        assert after["kind"] == before["kind"]
        assert after["name"] == before["name"]
        assert after["description"] == before["description"]
        assert [(level, text) for level, _, text, _ in after["indicators"]] == [
            (level, text) for level, _, text, _ in before["indicators"]
        ]


# The package ------------------------------------------------------------------------------------


def test_the_package_has_the_case_structure(version):
    package = version_to_case(version)

    assert set(package) == {"CFDocument", "CFItems", "CFAssociations", "CFDefinitions", "CFRubrics"}
    document = package["CFDocument"]
    assert document["identifier"] == str(uuid.UUID(document["identifier"]))  # a well-formed UUID
    assert document["uri"] == f"urn:uuid:{document['identifier']}"
    assert document["title"] == "Ambtelijk vakmanschap 3.0"
    assert document["creator"] == version.framework.organisation.name
    assert document["caseVersion"] == "1.1"
    assert document["language"] == "nl"
    assert document["version"] == "1"
    assert document["adoptionStatus"] == "Adopted"
    assert document["lastChangeDateTime"] == "2026-03-02T09:30:00Z"

    items = {item["identifier"]: item for item in package["CFItems"]}
    assert len(items) == 2 + 7
    competencies = [item for item in items.values() if item["CFItemType"] != INDICATOR_TYPE]
    assert {(item["humanCodingScheme"], item["CFItemType"]) for item in competencies} == {
        ("AV-RES", "vakmanschap"),
        ("KW-INT", "kernwaarde"),
    }
    codes = [item["humanCodingScheme"] for item in items.values()]
    assert {"AV-RES.1.1", "AV-RES.2.1", "AV-RES.2.2", "AV-RES.4.1", "KW-INT.3.2"} <= set(codes)
    assert all(item["fullStatement"] and item["lastChangeDateTime"] for item in items.values())

    associations = package["CFAssociations"]
    assert len(associations) == 9
    assert {association["associationType"] for association in associations} == {"isChildOf"}
    for association in associations:
        origin = items[association["originNodeURI"]["identifier"]]
        destination = association["destinationNodeURI"]
        assert set(association["originNodeURI"]) == {"title", "identifier", "uri"}
        if origin["CFItemType"] == INDICATOR_TYPE:
            assert items[destination["identifier"]]["CFItemType"] != INDICATOR_TYPE
        else:
            assert destination["identifier"] == document["identifier"]

    item_types = {item_type["title"] for item_type in package["CFDefinitions"]["CFItemTypes"]}
    assert item_types == {"vakmanschap", "kernwaarde", INDICATOR_TYPE}

    assert len(package["CFRubrics"]) == 2
    for rubric in package["CFRubrics"]:
        (criterion,) = rubric["CFRubricCriteria"]
        assert criterion["CFItemURI"]["identifier"] in items
        levels = criterion["CFRubricCriterionLevels"]
        assert [(level["score"], level["quality"]) for level in levels] == [
            (number, names[0]) for number, names in enumerate(LEVELS, start=1)
        ]
    resilience = next(r for r in package["CFRubrics"] if r["title"].startswith("AV-RES"))
    level_two = resilience["CFRubricCriteria"][0]["CFRubricCriterionLevels"][1]
    assert level_two["description"] == (
        "Blijft vriendelijk bij boze inwoners.\nHerstelt snel na een tegenslag."
    )
    json.dumps(package)  # serialisable as it is


def test_identifiers_are_stable_and_competencies_keep_theirs_across_versions(version):
    first = version_to_case(version)
    assert version_to_case(version)["CFDocument"]["identifier"] == first["CFDocument"]["identifier"]
    draft = FrameworkVersion.objects.create(framework=version.framework, number=2)
    CompetencyFactory(version=draft, code="AV-RES")
    second = version_to_case(draft)

    assert second["CFDocument"]["identifier"] != first["CFDocument"]["identifier"]
    assert second["CFDocument"]["adoptionStatus"] == "Draft"
    assert second["CFItems"][0]["identifier"] == next(
        item["identifier"] for item in first["CFItems"] if item["humanCodingScheme"] == "AV-RES"
    )


def test_a_small_draft_travels_too(other_organisation):
    CompetencyFactory(core_value=True)
    version = FrameworkVersion.objects.get()  # the factory made it, with its framework
    Level.objects.create(version=version, number=1, name="Basis")
    package = version_to_case(version)
    assert package["CFDocument"]["adoptionStatus"] == "Draft"
    assert "statusStartDate" not in package["CFDocument"]

    imported = case_to_draft(organisation=other_organisation, actor=NOBODY, data=as_file(package))

    assert snapshot(imported) == snapshot(version)


def test_an_empty_published_version_exports_but_has_no_level_scale_to_import(other_organisation):
    package = as_file(version_to_case(FrameworkVersionFactory(published=True)))
    assert package["CFDocument"]["adoptionStatus"] == "Adopted"
    assert package["CFItems"] == []
    with translation.override("en"), pytest.raises(CaseError) as raised:
        case_to_draft(organisation=other_organisation, actor=NOBODY, data=package)
    assert raised.value.messages == [
        "CFDocument: the package has no level scale: it needs CFRubrics with levels or "
        "extensions.vakwerk.levels"
    ]


# Malformed files --------------------------------------------------------------------------------


def _drop_document(package: dict[str, Any]) -> str:
    del package["CFDocument"]
    return "Not a CASE package: CFDocument is missing."


def _drop_full_statement(package: dict[str, Any]) -> str:
    del package["CFItems"][3]["fullStatement"]
    return "CFItems[3]: fullStatement is missing"


def _point_nowhere(package: dict[str, Any]) -> str:
    package["CFAssociations"][5]["destinationNodeURI"]["identifier"] = "nergens"
    return (
        "CFAssociations[5]: destination nergens is not a CFItem in this package, nor its CFDocument"
    )


def _level_off_the_scale(package: dict[str, Any]) -> str:
    index = indicator_indexes(package)[2]
    package["CFItems"][index]["extensions"][EXTENSION]["level"] = 5
    return f"CFItems[{index}]: level 5 is not on the framework's level scale (1, 2, 3, 4)"


def _no_why_text(package: dict[str, Any]) -> str:
    package["CFItems"][0]["extensions"][EXTENSION]["whyDaily"] = ""
    return "CFItems[0]: extensions.vakwerk.whyDaily: This field cannot be blank."


def _bad_code(package: dict[str, Any]) -> str:
    package["CFItems"][0]["humanCodingScheme"] = "av res"
    return "CFItems[0]: humanCodingScheme: Use 2 to 20 capital letters"


def _not_a_list(package: dict[str, Any]) -> str:
    package["CFItems"] = {"items": []}
    return "CFItems: expected a list"


@pytest.mark.parametrize(
    "break_it",
    [
        _drop_document,
        _drop_full_statement,
        _point_nowhere,
        _level_off_the_scale,
        _no_why_text,
        _bad_code,
        _not_a_list,
    ],
)
def test_a_malformed_package_names_the_problem_and_creates_nothing(
    version, other_organisation, break_it: Callable[[dict[str, Any]], str]
):
    package = as_file(version_to_case(version))
    expected = break_it(package)

    with translation.override("en"), pytest.raises(CaseError) as raised:
        case_to_draft(organisation=other_organisation, actor=NOBODY, data=package)

    assert any(message.startswith(expected) for message in raised.value.messages), (
        raised.value.messages
    )
    assert not Framework.objects.filter(organisation=other_organisation).exists()
    assert not Competency.objects.filter(version__framework__organisation=other_organisation)
    assert not AuditEvent.objects.filter(action="framework.case_import").exists()


def test_every_problem_is_listed_at_once(version):
    package = as_file(version_to_case(version))
    _drop_full_statement(package)
    _point_nowhere(package)
    with translation.override("en"), pytest.raises(CaseError) as raised:
        read_case_package(package)
    assert len(raised.value.messages) >= 2


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"{niet: json", "The file is not JSON: the text breaks off at line 1, column 2."),
        (b"\xff\xfe\x00", "The file is not JSON: it is not UTF-8 text."),
        (b"[1, 2]", "Not a CASE package: the file holds no JSON object."),
        (b"[" * 100_000, "The file is not JSON Vakwerk can read: it is nested too deeply."),
    ],
)
def test_a_file_that_is_no_json_object_is_refused(raw, expected):
    with translation.override("en"), pytest.raises(CaseError) as raised:
        parse_case_json(raw)
    assert raised.value.messages == [expected]


def test_a_utf8_file_with_bom_is_read():
    assert parse_case_json(b'\xef\xbb\xbf{"CFDocument": {}}') == {"CFDocument": {}}


# Views ------------------------------------------------------------------------------------------


def test_hr_downloads_the_case_file_and_the_download_is_audited(
    member_client, organisation, version
):
    client, user = member_client(organisation, Role.HR)
    response = client.get(reverse("framework_case:export", kwargs={"version_id": version.pk}))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "ambtelijk-vakmanschap-30-v1.case.json" in response["Content-Disposition"]
    assert json.loads(response.content)["CFDocument"]["title"] == "Ambtelijk vakmanschap 3.0"
    event = AuditEvent.objects.get(action="framework.case_export")
    assert (event.organisation, event.actor, event.object_id) == (
        organisation,
        user,
        str(version.pk),
    )


def test_another_organisations_version_cannot_be_exported(
    member_client, organisation, other_organisation, version
):
    client, _ = member_client(other_organisation, Role.HR)
    url = reverse("framework_case:export", kwargs={"version_id": version.pk})
    assert client.get(url).status_code == 404
    assert not AuditEvent.objects.filter(action="framework.case_export").exists()


@pytest.mark.parametrize("role", [Role.EMPLOYEE, Role.MANAGER, Role.ADMIN])
def test_only_hr_exports_and_imports(member_client, organisation, version, role):
    client, _ = member_client(organisation, role)
    export = reverse("framework_case:export", kwargs={"version_id": version.pk})
    assert client.get(export).status_code == 403
    assert client.get(reverse("framework_case:import")).status_code == 403


def test_hr_imports_a_case_file(member_client, organisation, other_organisation, version):
    client, user = member_client(other_organisation, Role.HR)
    url = reverse("framework_case:import")
    assert client.get(url).status_code == 200
    upload = SimpleUploadedFile(
        "kader.txt",  # the name is not trusted: the content decides
        json.dumps(version_to_case(version)).encode(),
        content_type="application/octet-stream",
    )

    response = client.post(url, {"file": upload, "name": ""})

    assert response.status_code == 302
    assert response["Location"] == reverse("frameworks:list")
    imported = FrameworkVersion.objects.get(framework__organisation=other_organisation)
    assert snapshot(imported) == snapshot(version)
    assert AuditEvent.objects.get(action="framework.case_import").actor == user


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"dit is geen json", "The file is not JSON"),
        (b'{"CFItems": []}', "Not a CASE package: CFDocument is missing."),
        (b" " * (2 * 1024 * 1024 + 1), "The file is larger than 2 MB."),
    ],
)
def test_a_bad_upload_is_listed_next_to_the_field_and_creates_nothing(
    member_client, organisation, content, expected
):
    client, _ = member_client(organisation, Role.HR)
    response = client.post(
        reverse("framework_case:import"),
        {"file": SimpleUploadedFile("kader.json", content)},
        headers={"accept-language": "en"},
    )

    assert response.status_code == 200
    errors = response.context["form"].errors["file"]
    assert any(error.startswith(expected) for error in errors), errors
    assert 'aria-invalid="true"' in response.content.decode()
    assert not Framework.objects.filter(organisation=organisation).exists()


def test_a_package_error_found_on_import_is_shown_with_its_place(
    member_client, organisation, version, other_organisation
):
    package = copy.deepcopy(version_to_case(version))
    del package["CFItems"][3]["fullStatement"]
    client, _ = member_client(other_organisation, Role.HR)
    response = client.post(
        reverse("framework_case:import"),
        {"file": SimpleUploadedFile("kader.json", json.dumps(package).encode())},
        headers={"accept-language": "en"},
    )
    assert response.status_code == 200
    assert "CFItems[3]: fullStatement is missing" in response.content.decode()
    assert not Framework.objects.filter(organisation=other_organisation).exists()


def test_a_number_too_long_for_python_is_a_clear_error():
    from vakwerk.frameworks.case import CaseError, parse_case_json

    with pytest.raises(CaseError):
        parse_case_json(b'{"CFDocument": ' + b"9" * 5000 + b"}")

import pytest
from django.urls import reverse

from vakwerk.audit.models import AuditEvent
from vakwerk.frameworks.models import FrameworkVersion, RoleProfile, VersionStatus
from vakwerk.organisations.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def hr(member_client, organisation):
    client, _ = member_client(organisation, Role.HR)
    return client


def adopt(hr) -> FrameworkVersion:
    response = hr.post(reverse("frameworks:adopt_pack"), {"pack": "ambtelijk-vakmanschap-3.0"})
    assert response.status_code == 302
    return FrameworkVersion.objects.get()


def test_hr_adopts_adds_core_values_publishes_and_compares(hr):
    version = adopt(hr)
    hr.post(
        reverse("frameworks:add_pack", args=[version.pk]), {"pack": "kernwaarden-modelgedragscode"}
    )
    page = hr.get(reverse("frameworks:version", args=[version.pk]))
    assert page.status_code == 200
    assert "KW-ONP" in page.content.decode()
    hr.post(reverse("frameworks:publish", args=[version.pk]), {"note": "Start"})
    version.refresh_from_db()
    assert version.status == VersionStatus.PUBLISHED
    response = hr.post(reverse("frameworks:new_draft", args=[version.pk]))
    draft = FrameworkVersion.objects.get(number=2)
    assert response["Location"] == reverse("frameworks:version", args=[draft.pk])
    compare = hr.get(reverse("frameworks:compare", args=[draft.pk]))
    assert compare.status_code == 200
    assert compare.context["diff"].is_empty


def test_editing_a_published_version_is_refused(hr):
    version = adopt(hr)
    hr.post(reverse("frameworks:publish", args=[version.pk]), {})
    competency = version.competencies.first()
    assert competency is not None
    response = hr.post(
        reverse("frameworks:competency_edit", args=[version.pk, competency.pk]),
        {"code": competency.code, "kind": competency.kind, "name": "Gewijzigd"},
    )
    assert response.status_code == 302
    competency.refresh_from_db()
    assert competency.name != "Gewijzigd"


def test_competency_form_errors_are_shown_next_to_the_field(hr):
    version = adopt(hr)
    response = hr.post(
        reverse("frameworks:competency_create", args=[version.pk]),
        {"code": "fout code", "kind": "kernwaarde", "name": "", "level_1": "x" * 301},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"code", "name", "level_1", "description"} <= set(errors)


def test_role_profile_minimum_above_target_is_refused(hr, organisation):
    adopt(hr)
    profile = RoleProfile.objects.get(organisation=organisation, code="beleidsadviseur")
    data = {
        "code": profile.code,
        "name": profile.name,
        "is_active": "on",
        "AV-RES_minimum": "4",
        "AV-RES_target": "2",
        "AV-RES_weight": "1",
    }
    response = hr.post(reverse("frameworks:role_profile", args=[profile.pk]), data)
    assert response.status_code == 200
    assert "AV-RES_minimum" in response.context["form"].errors


def test_role_profile_saves_the_band(hr, organisation):
    adopt(hr)
    data = {
        "code": "wethoudersadviseur",
        "name": "Adviseur van de wethouder",
        "is_active": "on",
        "AV-INV_minimum": "3",
        "AV-INV_target": "4",
        "AV-INV_weight": "2",
    }
    response = hr.post(reverse("frameworks:role_profile_create"), data)
    assert response.status_code == 302
    profile = RoleProfile.objects.get(organisation=organisation, code="wethoudersadviseur")
    target = profile.targets.get()
    assert (target.competency_code, target.minimum, target.target) == ("AV-INV", 3, 4)
    # The audit line names the profile (under "role_profile": the log drops "code" as secret).
    line = AuditEvent.objects.get(action="role_profile.save", object_id=str(profile.pk))
    assert line.details["role_profile"] == "wethoudersadviseur"
    assert line.details["targets"] == {"AV-INV": ["3", "4", "2"]}


def test_employee_cannot_open_frameworks(member_client, organisation):
    client, _ = member_client(organisation, Role.EMPLOYEE)
    assert client.get(reverse("frameworks:list")).status_code == 403


def test_hr_renames_the_levels_of_a_draft(hr):
    version = adopt(hr)
    data = {}
    for level in version.levels.all():
        data[f"level_{level.number}_name"] = level.name
        data[f"level_{level.number}_name_en"] = level.name_en
    data["level_4_name"] = "Expert"
    data["level_4_name_en"] = "Expert"
    response = hr.post(reverse("frameworks:levels", args=[version.pk]), data)
    assert response.status_code == 302
    assert version.levels.get(number=4).name == "Expert"


def test_a_level_without_a_name_is_refused(hr):
    version = adopt(hr)
    response = hr.post(reverse("frameworks:levels", args=[version.pk]), {"level_1_name": ""})
    assert response.status_code == 200
    assert "level_1_name" in response.context["form"].errors

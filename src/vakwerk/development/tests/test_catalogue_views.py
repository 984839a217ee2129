"""HR's catalogue pages ("Leeraanbod"): list, add, edit, retire and offer again."""

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from vakwerk.audit.models import AuditEvent
from vakwerk.development import selectors
from vakwerk.development.catalogue_views import duration_label
from vakwerk.development.models import (
    Activity,
    ActivityFormat,
    LearningCategory,
    Plan,
    PlanItem,
)
from vakwerk.organisations.models import Organisation, Role
from vakwerk.tests.factories import CompetencyFactory, EmployeeFactory, FrameworkVersionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def competencies(organisation: Organisation) -> None:
    """A published framework with two competencies, plus an older and a draft version whose
    names must not be used."""
    old = FrameworkVersionFactory(framework__organisation=organisation, published=True)
    CompetencyFactory(version=old, code="AV-RES", name="Oude naam")
    version = FrameworkVersionFactory(framework=old.framework, number=2, published=True)
    CompetencyFactory(version=version, code="AV-RES", name="Resultaatgericht", position=1)
    CompetencyFactory(version=version, code="KW-ONP", name="Onpartijdig", position=2)
    draft = FrameworkVersionFactory(framework=old.framework, number=3)
    CompetencyFactory(version=draft, code="AV-RES", name="Conceptnaam")


@pytest.fixture
def hr(member_client, organisation, competencies):
    client, _ = member_client(organisation, Role.HR)
    return client


def make_activity(organisation: Organisation, **fields: Any) -> Activity:
    values: dict[str, Any] = {
        "code": "feedback-vragen",
        "title": "Feedback vragen",
        "description": "Vraag drie collega's om feedback.",
        "format": ActivityFormat.PEER,
        "category": LearningCategory.SOCIAL,
        "competency_codes": ["AV-RES"],
        "level_min": 1,
        "level_max": 2,
        "minutes": 15,
        "why_daily": "Je ziet sneller wat werkt.",
        "why_career": "Je groeit gericht.",
    }
    values.update(fields)
    return Activity.objects.create(organisation=organisation, **values)


def form_data(**fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": "intervisie",
        "title": "Intervisie",
        "title_en": "Peer consultation",
        "description": "Bespreek een casus met collega's.",
        "format": ActivityFormat.PEER,
        "category": LearningCategory.SOCIAL,
        "competency_codes": ["AV-RES", "KW-ONP"],
        "level_min": "2",
        "level_max": "4",
        "minutes": "90",
        "why_daily": "Je leert van andermans aanpak.",
        "why_career": "Je bouwt een netwerk op.",
        "provider": "",
        "url": "",
    }
    data.update(fields)
    return data


def titles(response) -> list[str]:
    return [row.activity.title for row in response.context["rows"]]


@pytest.mark.usefixtures("english")
def test_hr_sees_the_catalogue_with_its_columns(hr, organisation):
    make_activity(organisation)
    make_activity(
        organisation,
        code="cursus-integriteit",
        title="Cursus integriteit",
        format=ActivityFormat.COURSE,
        category=LearningCategory.FORMAL,
        competency_codes=["KW-ONP", "XX-ONBEKEND"],
        level_min=3,
        level_max=3,
        minutes=120,
        provider="Opleider BV",
        is_active=False,
    )
    response = hr.get(reverse("catalogue:list"))
    assert response.status_code == 200
    assert titles(response) == ["Cursus integriteit", "Feedback vragen"]
    page = response.content.decode()
    assert "Resultaatgericht" in page  # the newest published name, not an old or draft one
    assert "Oude naam" not in page
    assert "Conceptnaam" not in page
    assert "Onpartijdig, XX-ONBEKEND" in page  # an unknown code is shown as it is
    assert "1\u20132" in page  # levels with an en dash
    assert "15 min" in page
    assert "2 h" in page
    assert "No, retired" in page
    assert reverse("catalogue:edit", args=[Activity.objects.get(code="feedback-vragen").pk]) in page
    assert "Add an activity" in page


def test_hr_filters_and_searches(hr, organisation):
    make_activity(organisation)
    make_activity(
        organisation,
        code="cursus",
        title="Cursus integriteit",
        format=ActivityFormat.COURSE,
        category=LearningCategory.FORMAL,
        competency_codes=["KW-ONP"],
        provider="Opleider BV",
        is_active=False,
    )
    # A code that starts like AV-RES must not match the filter on AV-RES.
    make_activity(organisation, code="lesje", title="Microles", competency_codes=["AV-RESX"])
    url = reverse("catalogue:list")
    competency_options = hr.get(url).context["competencies"]
    assert ("AV-RES", "Resultaatgericht") in competency_options
    assert ("AV-RESX", "AV-RESX") in competency_options
    assert titles(hr.get(url, {"competentie": "AV-RES"})) == ["Feedback vragen"]
    assert titles(hr.get(url, {"vorm": "course"})) == ["Cursus integriteit"]
    assert titles(hr.get(url, {"status": "teruggetrokken"})) == ["Cursus integriteit"]
    assert titles(hr.get(url, {"status": "aangeboden"})) == ["Feedback vragen", "Microles"]
    assert titles(hr.get(url, {"zoek": "FEEDBACK"})) == ["Feedback vragen"]
    # Unknown filter values are ignored rather than emptying the list.
    assert len(titles(hr.get(url, {"competentie": "NIET", "vorm": "x", "status": "y"}))) == 3


@pytest.mark.usefixtures("english")
def test_empty_catalogue_and_empty_search_say_so(hr, organisation):
    url = reverse("catalogue:list")
    assert "The learning offer is still empty" in hr.get(url).content.decode()
    make_activity(organisation)
    assert "No learning activities match this search" in hr.get(url, {"zoek": "x"}).content.decode()


def test_the_list_is_paginated_by_fifty(hr, organisation):
    for n in range(51):
        make_activity(organisation, code=f"a-{n:02d}", title=f"Activiteit {n:02d}")
    url = reverse("catalogue:list")
    assert len(titles(hr.get(url))) == 50
    assert titles(hr.get(url, {"pagina": 2})) == ["Activiteit 50"]


def test_hr_adds_an_activity_with_an_audit_line(hr, organisation):
    response = hr.post(reverse("catalogue:create"), form_data())
    assert response.status_code == 302
    assert response["Location"] == reverse("catalogue:list")
    activity = Activity.objects.get(organisation=organisation, code="intervisie")
    assert activity.competency_codes == ["AV-RES", "KW-ONP"]
    assert (activity.level_min, activity.level_max, activity.minutes) == (2, 4, 90)
    assert activity.is_active
    event = AuditEvent.objects.get(action="activity.create")
    assert event.organisation == organisation
    assert event.object_id == str(activity.pk)
    assert event.details["activity"] == "intervisie"
    assert "title_en" in event.details["fields"]
    assert "provider" not in event.details["fields"]  # left empty


def test_editing_audits_the_changed_fields(hr, organisation):
    activity = make_activity(organisation)
    data = form_data(
        code=activity.code,
        title="Feedback vragen en geven",
        title_en="",
        description=activity.description,
        competency_codes=["AV-RES"],
        level_min="1",
        level_max="2",
        minutes="15",
        why_daily=activity.why_daily,
        why_career=activity.why_career,
    )
    response = hr.post(reverse("catalogue:edit", args=[activity.pk]), data)
    assert response.status_code == 302
    activity.refresh_from_db()
    assert activity.title == "Feedback vragen en geven"
    event = AuditEvent.objects.get(action="activity.update")
    assert event.details["fields"] == ["title"]


@pytest.mark.usefixtures("english")
def test_a_duplicate_code_is_refused_and_nothing_is_written(hr, organisation, other_organisation):
    make_activity(organisation, code="bestaand", title="Bestaand")
    make_activity(other_organisation, code="elders")  # another organisation's code is free
    activity = make_activity(organisation)
    url = reverse("catalogue:edit", args=[activity.pk])
    response = hr.post(url, form_data(code="bestaand", title="Nieuwe titel"))
    assert response.status_code == 200
    assert response.context["form"].errors["code"] == [
        "Another activity of your organisation already has this code; choose another."
    ]
    assert 'aria-invalid="true"' in response.content.decode()
    activity.refresh_from_db()
    assert (activity.code, activity.title) == ("feedback-vragen", "Feedback vragen")
    assert not AuditEvent.objects.filter(action__startswith="activity.").exists()
    assert hr.post(url, form_data(code="elders")).status_code == 302


@pytest.mark.usefixtures("english")
def test_level_range_and_course_without_provider_are_refused(hr, organisation):
    url = reverse("catalogue:create")
    response = hr.post(url, form_data(level_min="3", level_max="2"))
    assert response.status_code == 200
    assert response.context["form"].errors["level_max"] == ["Must be at least the 'from level'."]
    response = hr.post(url, form_data(format=ActivityFormat.COURSE, provider=""))
    assert response.status_code == 200
    assert response.context["form"].errors["provider"] == ["An external course needs its provider."]
    assert not Activity.objects.filter(organisation=organisation).exists()
    assert not AuditEvent.objects.filter(action="activity.create").exists()


@pytest.mark.usefixtures("english")
def test_competencies_are_checkboxes_in_a_fieldset_and_required(hr):
    page = hr.get(reverse("catalogue:create")).content.decode()
    assert "<legend" in page
    assert 'type="checkbox" name="competency_codes" value="KW-ONP"' in page
    response = hr.post(reverse("catalogue:create"), form_data(competency_codes=[]))
    assert response.context["form"].errors["competency_codes"] == [
        "Choose at least one competency."
    ]
    response = hr.post(reverse("catalogue:create"), form_data(competency_codes=["NOPE"]))
    assert "competency_codes" in response.context["form"].errors


def test_editing_keeps_codes_the_current_framework_lacks(hr, organisation):
    activity = make_activity(organisation, competency_codes=["AV-RES", "XX-OUD"])
    page = hr.get(reverse("catalogue:edit", args=[activity.pk])).content.decode()
    assert 'value="XX-OUD"' in page
    data = form_data(code=activity.code, competency_codes=["AV-RES", "XX-OUD"])
    assert hr.post(reverse("catalogue:edit", args=[activity.pk]), data).status_code == 302
    activity.refresh_from_db()
    assert activity.competency_codes == ["AV-RES", "XX-OUD"]


def test_adding_needs_a_published_framework(member_client, organisation):
    client, _ = member_client(organisation, Role.HR)
    response = client.get(reverse("catalogue:create"))
    assert response.status_code == 302
    assert response["Location"] == reverse("frameworks:list")


def test_retire_then_offer_again_keeps_the_plan(hr, organisation):
    activity = make_activity(organisation)
    plan = Plan.objects.create(
        organisation=organisation, employee=EmployeeFactory(organisation=organisation)
    )
    PlanItem.objects.create(plan=plan, activity=activity)
    edit = reverse("catalogue:edit", args=[activity.pk])

    response = hr.post(reverse("catalogue:retire", args=[activity.pk]))
    assert response.status_code == 302
    assert response["Location"] == edit
    activity.refresh_from_db()
    assert not activity.is_active
    assert activity not in selectors.catalogue(organisation)  # no longer proposed
    assert list(plan.items.values_list("activity", flat=True)) == [activity.pk]
    retired = AuditEvent.objects.get(action="activity.retire")
    assert retired.object_id == str(activity.pk)
    assert reverse("catalogue:offer", args=[activity.pk]) in hr.get(edit).content.decode()

    response = hr.post(reverse("catalogue:offer", args=[activity.pk]))
    assert response.status_code == 302
    activity.refresh_from_db()
    assert activity.is_active
    assert AuditEvent.objects.filter(action="activity.offer", object_id=str(activity.pk)).exists()
    assert list(plan.items.values_list("activity", flat=True)) == [activity.pk]
    # Offering what is already offered writes nothing.
    hr.post(reverse("catalogue:offer", args=[activity.pk]))
    assert AuditEvent.objects.filter(action="activity.offer").count() == 1


def test_retiring_needs_post(hr, organisation):
    activity = make_activity(organisation)
    assert hr.get(reverse("catalogue:retire", args=[activity.pk])).status_code == 405
    activity.refresh_from_db()
    assert activity.is_active


@pytest.mark.parametrize("role", [Role.EMPLOYEE, Role.MANAGER, Role.ADMIN])
def test_other_roles_are_refused(member_client, organisation, role):
    activity = make_activity(organisation)
    client, _ = member_client(organisation, role)
    assert client.get(reverse("catalogue:list")).status_code == 403
    assert client.get(reverse("catalogue:create")).status_code == 403
    assert client.post(reverse("catalogue:create"), form_data()).status_code == 403
    assert client.get(reverse("catalogue:edit", args=[activity.pk])).status_code == 403
    assert client.post(reverse("catalogue:retire", args=[activity.pk])).status_code == 403
    activity.refresh_from_db()
    assert activity.is_active
    assert Activity.objects.count() == 1


def test_another_organisations_activity_is_404(hr, organisation, other_organisation):
    theirs = make_activity(other_organisation, title="Van de buren")
    assert hr.get(reverse("catalogue:edit", args=[theirs.pk])).status_code == 404
    assert hr.post(reverse("catalogue:edit", args=[theirs.pk]), form_data()).status_code == 404
    assert hr.post(reverse("catalogue:retire", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.is_active
    assert theirs.title == "Van de buren"
    assert "Van de buren" not in hr.get(reverse("catalogue:list")).content.decode()


def test_the_list_does_a_bounded_number_of_queries(hr, organisation):
    def add(count: int, start: int) -> None:
        for n in range(start, start + count):
            make_activity(
                organisation,
                code=f"a-{n}",
                title=f"Activiteit {n}",
                competency_codes=["AV-RES", "KW-ONP"] if n % 2 else ["KW-ONP"],
            )

    url = reverse("catalogue:list")
    add(3, 0)
    hr.get(url)  # warm the session
    with CaptureQueriesContext(connection) as few:
        assert len(titles(hr.get(url))) == 3
    add(27, 3)
    with CaptureQueriesContext(connection) as many:
        assert len(titles(hr.get(url))) == 30
    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.parametrize(
    ("minutes", "label"), [(15, "15 min"), (60, "1 h"), (120, "2 h"), (90, "1 h 30 min")]
)
@pytest.mark.usefixtures("english")
def test_durations_read_as_people_say_them(minutes, label):
    assert duration_label(minutes) == label

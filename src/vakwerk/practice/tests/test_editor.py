"""HR's scenario editor: a shipped variant checks clean; broken ones are rejected with
messages that name the place; saving keeps the history of practised variants."""

import pytest
import yaml
from django.urls import reverse

from vakwerk.audit.models import AuditEvent
from vakwerk.audit.services import Actor
from vakwerk.frameworks.content import shipped_pack
from vakwerk.organisations.models import Role
from vakwerk.practice import editor, selectors, services
from vakwerk.practice.models import Attempt, ScenarioFamily, ScenarioVariant, graph_digest_of
from vakwerk.tests.factories import EmployeeFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def family(organisation, framework_version):
    pack = shipped_pack("oefenscenarios-av-emp")
    assert pack is not None
    services.scenarios_load_pack(organisation=organisation, actor=Actor(user=None), pack=pack)
    return ScenarioFamily.objects.get(organisation=organisation, code="emp-balie")


@pytest.fixture
def hr(member_client, organisation):
    client, _ = member_client(organisation, Role.HR)
    return client


def _text(variant: ScenarioVariant, change=None) -> str:
    data = yaml.safe_load(editor.variant_yaml(variant))
    if change:
        change(data)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def _check(hr, family, variant, text):
    url = reverse("scenarios:edit", args=[family.pk, variant.pk])
    return hr.post(url, {"text": text, "action": "check"})


def test_a_shipped_variant_checks_clean_and_is_previewed(hr, family):
    variant = family.variants.first()
    response = hr.get(reverse("scenarios:edit", args=[family.pk, variant.pk]))
    assert response.status_code == 200
    response = _check(hr, family, variant, response.context["text"])
    assert response.status_code == 200
    assert response.context["problems"] == []
    preview = response.context["preview"]
    assert preview[0].id == variant.graph["start"]
    assert {item.id for item in preview} == set(variant.graph["nodes"])


def _first_choice(data):
    return data["nodes"][data["start"]]["choices"][0]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: _first_choice(d).update(next="nergens"),
            "choices/0/next: node nergens does not exist",
        ),
        (lambda d: _first_choice(d).update(effects={"XX-ONB": 1}), "XX-ONB is not a competency"),
        (
            lambda d: _first_choice(d)["feedback"].update(nl=""),
            "choices/0/feedback/nl: may not be empty",
        ),
        (
            lambda d: _first_choice(d).update(effects={"AV-EMP": 3}),
            "effects/AV-EMP: must be at most 2",
        ),
        (
            lambda d: _first_choice(d).update(indicator="AV-EMP/4/9"),
            "AV-EMP/4/9 is not a behavioural indicator",
        ),
        (
            lambda d: d["nodes"].update(los={"text": {"nl": "x", "en": "x"}}),
            "nodes/los: cannot be reached from the start",
        ),
        (lambda d: d.pop("start"), "start is missing"),
    ],
)
def test_a_broken_variant_is_rejected_with_its_place(hr, family, change, message):
    variant = family.variants.first()
    response = _check(hr, family, variant, _text(variant, change))
    assert response.status_code == 400
    problems = response.context["problems"]
    assert any(message in problem for problem in problems), problems
    assert "preview" not in response.context


def test_text_that_is_not_yaml_names_the_line(hr, family):
    variant = family.variants.first()
    response = _check(hr, family, variant, "code: a\ntitle: [unclosed\n")
    assert response.status_code == 400
    assert "This is not valid YAML (line 3, column 1)." in response.context["problems"]


def test_saving_an_unpractised_variant_changes_it_in_place(hr, family):
    variant = family.variants.first()
    text = _text(variant, lambda d: d["title"].update(nl="Nieuwe titel"))
    response = hr.post(
        reverse("scenarios:edit", args=[family.pk, variant.pk]), {"text": text, "action": "save"}
    )
    assert response.status_code == 302
    variant.refresh_from_db()
    assert variant.title == "Nieuwe titel"
    assert AuditEvent.objects.filter(action="scenario.update").count() == 1


def test_a_variant_edited_in_place_is_read_afresh_by_the_next_run(hr, family):
    """Steps read a variant's graph from a per-process cache keyed by the graph's digest: an
    edit changes the digest, so a cached graph is never served for the edited variant."""
    variant = family.variants.first()
    # Loading the pack (bulk_create, which skips save()) set every digest.
    for each in ScenarioVariant.objects.filter(family=family):
        assert each.graph_digest == graph_digest_of(each.graph)
    deferred = ScenarioVariant.objects.defer("graph").get(pk=variant.pk)
    start = variant.graph["start"]
    before = selectors.variant_graph(deferred)["nodes"][start]["text"]["nl"]

    def reword(data):
        data["nodes"][start]["text"]["nl"] = "Een nieuwe opening."

    response = hr.post(
        reverse("scenarios:edit", args=[family.pk, variant.pk]),
        {"text": _text(variant, reword), "action": "save"},
    )
    assert response.status_code == 302
    old_digest = deferred.graph_digest
    deferred = ScenarioVariant.objects.defer("graph").get(pk=variant.pk)
    assert deferred.graph_digest != old_digest
    assert selectors.variant_graph(deferred)["nodes"][start]["text"]["nl"] == (
        "Een nieuwe opening."
    )
    assert before != "Een nieuwe opening."


def test_saving_a_practised_variant_keeps_the_old_one_for_its_attempts(hr, family, organisation):
    variant = family.variants.first()
    attempt = Attempt.objects.create(
        organisation=organisation,
        employee=EmployeeFactory(organisation=organisation),
        variant=variant,
        node=variant.graph["start"],
    )
    text = _text(variant, lambda d: d["title"].update(nl="Herzien"))
    hr.post(
        reverse("scenarios:edit", args=[family.pk, variant.pk]), {"text": text, "action": "save"}
    )
    variant.refresh_from_db()
    assert not variant.is_active
    new = family.variants.get(is_active=True, title="Herzien")
    assert new.code == f"{variant.code}-2"
    attempt.refresh_from_db()
    assert attempt.variant == variant
    assert AuditEvent.objects.filter(action="scenario.replace").count() == 1


def test_a_broken_save_writes_nothing(hr, family):
    variant = family.variants.first()
    before = variant.graph
    text = _text(variant, lambda d: _first_choice(d).update(next="nergens"))
    response = hr.post(
        reverse("scenarios:edit", args=[family.pk, variant.pk]), {"text": text, "action": "save"}
    )
    assert response.status_code == 400
    variant.refresh_from_db()
    assert variant.graph == before
    assert not AuditEvent.objects.filter(action__startswith="scenario.").exists()


@pytest.mark.parametrize("role", [Role.EMPLOYEE, Role.MANAGER])
def test_only_hr_edits_scenarios(member_client, organisation, family, role):
    client, _ = member_client(organisation, role)
    assert client.get(reverse("scenarios:families")).status_code == 403

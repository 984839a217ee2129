"""The practice bank: judgement exercises and insight cards with immediate feedback, reflection
prompts, and a journal only its writer can read."""

import copy
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from vakwerk.audit.models import AuditEvent
from vakwerk.audit.services import Actor
from vakwerk.frameworks.content import Pack, shipped_packs, validate_pack
from vakwerk.organisations.models import Role
from vakwerk.practice import bank
from vakwerk.practice.models import Exercise, ExerciseAnswer, ExerciseKind, JournalEntry
from vakwerk.tests.factories import EmployeeFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _t(value: str) -> dict[str, str]:
    return {"nl": value, "en": value}


def _option(text: str, best: bool) -> dict[str, object]:
    return {"text": _t(text), "best": best, "feedback": _t(f"Feedback bij {text}.")}


PACK: dict[str, Any] = {
    "pack": "oefenbank-test",
    "version": 1,
    "kind": "exercises",
    "framework": "ambtelijk-vakmanschap-3.0",
    "title": _t("Test"),
    "description": _t("Test"),
    "judgements": [
        {
            "code": f"emp-oordeel-{n}",
            "competency": "AV-EMP",
            "situation": _t(f"Situatie {n}"),
            "question": _t("Wat doe je?"),
            "options": [_option("goed", True), _option("matig", False), _option("fout", False)],
        }
        for n in (1, 2)
    ],
    "cards": [
        {
            "code": "emp-kaart-1",
            "competency": "AV-EMP",
            "title": _t("LSD"),
            "text": _t("Luisteren, samenvatten, doorvragen."),
            "check": {
                "question": _t("Wat komt na luisteren?"),
                "options": [
                    {"text": _t("Samenvatten"), "correct": True, "feedback": _t("Ja.")},
                    {"text": _t("Oplossen"), "correct": False, "feedback": _t("Nee.")},
                ],
            },
        }
    ],
    "reflections": [
        {"code": "emp-reflectie-1", "competency": "AV-EMP", "prompt": _t("Wat raakte je?")}
    ],
}


@pytest.fixture
def loaded(organisation):
    assert validate_pack(PACK) == []
    bank.exercises_load_pack(
        organisation=organisation, actor=Actor(user=None), pack=Pack(Path("x.yaml"), PACK)
    )


@pytest.fixture
def person(member_client, organisation, loaded):
    client, user = member_client(organisation, Role.EMPLOYEE)
    return client, EmployeeFactory(organisation=organisation, user=user)


def test_the_pack_rules_name_their_place():
    judgement = copy.deepcopy(PACK["judgements"])[0]
    judgement["options"] = [_option("a", True), _option("b", True), _option("c", False)]
    broken = {**PACK, "judgements": [judgement]}
    assert "judgements/0/options: exactly one option must be best" in validate_pack(broken)


def test_shipped_practice_banks_are_valid_and_cover_their_quality():
    packs = shipped_packs("exercises")
    assert len(packs) == 7  # one per quality: the loop below must have something to check
    for pack in packs:
        assert len(pack.data["judgements"]) >= 3, pack.slug
        assert pack.data["cards"], pack.slug
        assert pack.data["reflections"], pack.slug


def test_loading_twice_adds_nothing(organisation, loaded):
    assert Exercise.objects.filter(organisation=organisation).count() == 4
    again = bank.exercises_load_pack(
        organisation=organisation, actor=Actor(user=None), pack=Pack(Path("x.yaml"), PACK)
    )
    assert again == 0


def test_a_judgement_gives_immediate_feedback_and_is_recorded_once(person, organisation):
    client, employee = person
    exercise = bank.next_exercise(organisation, employee, ExerciseKind.JUDGEMENT, ["AV-EMP"])
    assert exercise is not None
    url = reverse("bank:judgement", args=[exercise.pk])
    assert "Situatie" in client.get(url).content.decode()
    response = client.post(url, {"choice": "1"})
    answer = ExerciseAnswer.objects.get()
    assert response.url == f"{url}?antwoord={answer.pk}"
    assert (answer.choice, answer.correct) == (1, False)
    page = client.get(response.url).content.decode()
    assert "Feedback bij matig." in page  # why the chosen answer falls short
    assert "Feedback bij goed." in page  # and what the best one does
    client.get(response.url)  # a reload answers nothing
    assert ExerciseAnswer.objects.count() == 1
    # The next judgement is the other one: the one met longest ago comes first.
    following = bank.next_exercise(organisation, employee, ExerciseKind.JUDGEMENT, ["AV-EMP"])
    assert following is not None
    assert following != exercise


def test_the_same_answer_posted_twice_is_saved_once_and_a_new_page_answers_again(
    person, organisation
):
    """A double click or a resend after a lost connection posts the page's form twice: the
    second post finds the answer the first one saved. Opening the exercise again (it comes
    back with spaced practice) answers anew."""
    client, _ = person
    exercise = Exercise.objects.get(code="emp-oordeel-1")
    url = reverse("bank:judgement", args=[exercise.pk])
    page = client.get(url)
    assert page.context["last_answer_id"] == 0
    first = client.post(url, {"choice": "1", "na": "0"})
    second = client.post(url, {"choice": "0", "na": "0"})
    answer = ExerciseAnswer.objects.get()
    assert first.url == second.url == f"{url}?antwoord={answer.pk}"
    assert answer.choice == 1
    assert AuditEvent.objects.filter(action="practice.answer").count() == 1
    again = client.get(url).context["last_answer_id"]
    assert again == answer.pk
    client.post(url, {"choice": "0", "na": str(again)})
    assert list(ExerciseAnswer.objects.order_by("pk").values_list("choice", flat=True)) == [1, 0]


def test_a_bad_choice_is_refused(person, organisation):
    client, _ = person
    exercise = Exercise.objects.get(code="emp-oordeel-1")
    response = client.post(
        reverse("bank:judgement", args=[exercise.pk]), {"choice": "9"}, follow=True
    )
    assert "Choose one of the answers shown." in response.content.decode()
    assert not ExerciseAnswer.objects.exists()


def test_an_insight_card_checks_the_answer(person):
    client, _ = person
    card = Exercise.objects.get(code="emp-kaart-1")
    response = client.post(reverse("bank:card", args=[card.pk]), {"choice": "0"})
    assert ExerciseAnswer.objects.get().correct
    assert "Ja." in client.get(response.url).content.decode()


def test_the_journal_is_private(person, member_client, organisation):
    client, employee = person
    prompt = Exercise.objects.get(kind=ExerciseKind.REFLECTION)
    url = reverse("bank:journal")
    assert "Wat raakte je?" in client.get(url, {"vraag": prompt.pk}).content.decode()
    client.post(url, {"text": "Geheime gedachte over mijn team.", "vraag": prompt.pk})
    entry = JournalEntry.objects.get()
    assert (entry.employee, entry.prompt) == (employee, prompt)
    assert "Geheime gedachte" in client.get(url).content.decode()
    line = AuditEvent.objects.get(action="journal.write")
    assert "Geheime" not in str(line.details)
    for role in (Role.MANAGER, Role.HR, Role.EMPLOYEE):
        other, user = member_client(organisation, role)
        EmployeeFactory(organisation=organisation, user=user)
        assert "Geheime gedachte" not in other.get(url).content.decode()
        delete = reverse("bank:journal_delete", args=[entry.pk])
        assert other.post(delete).status_code == 404
    client.post(reverse("bank:journal_delete", args=[entry.pk]))
    assert not JournalEntry.objects.exists()


def test_an_empty_journal_entry_is_refused_next_to_the_field(person):
    client, _ = person
    response = client.post(reverse("bank:journal"), {"text": "   "})
    assert response.status_code == 400
    assert "Write something first." in response.content.decode()
    assert not JournalEntry.objects.exists()


def test_today_offers_a_judgement_a_card_and_a_reflection(person):
    client, _ = person
    today = client.get(reverse("practice:today")).context["today"]
    assert today.judgement.kind == ExerciseKind.JUDGEMENT
    assert today.card.kind == ExerciseKind.CARD
    assert today.reflection.kind == ExerciseKind.REFLECTION

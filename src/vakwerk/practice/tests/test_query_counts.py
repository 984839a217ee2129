"""What the practice pages cost: a fixed number of queries whatever the number of cards,
families, exercises or past runs, each practice table read once, and no write on a GET once a
person's cards exist (a new family gets its cards on the next visit)."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from vakwerk.organisations.models import Role
from vakwerk.practice import bank, selectors
from vakwerk.practice.models import (
    Attempt,
    Card,
    Exercise,
    ExerciseAnswer,
    ExerciseKind,
    ScenarioVariant,
)
from vakwerk.practice.tests.test_practice import _family, _run
from vakwerk.tests.factories import EmployeeFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

KINDS = (ExerciseKind.JUDGEMENT, ExerciseKind.CARD, ExerciseKind.REFLECTION)


@pytest.fixture
def practiser(member_client, organisation):
    client, user = member_client(organisation, Role.EMPLOYEE)
    return client, EmployeeFactory(organisation=organisation, user=user)


PRACTICE_TABLE = re.compile(r'\b(FROM|JOIN|UPDATE|INTO) "practice_')


def _practice_reads(captured: list[dict[str, str]]) -> list[str]:
    """The statements on practice tables (not the session, user, membership or page chrome)."""
    return [q["sql"] for q in captured if PRACTICE_TABLE.search(q["sql"])]


def _writes(captured: list[dict[str, str]]) -> list[str]:
    """Writes other than the session's (saved again every few minutes: the idle timeout)."""
    return [
        q["sql"]
        for q in captured
        if q["sql"].split(None, 1)[0] in {"INSERT", "UPDATE", "DELETE"}
        and "django_session" not in q["sql"]
    ]


def _exercises(organisation, prefix: str, codes: list[str]) -> list[Exercise]:
    return [
        Exercise.objects.create(
            organisation=organisation,
            code=f"{prefix}-{kind}-{code}".lower(),
            kind=kind,
            competency_code=code,
            content={"options": []},
        )
        for code in codes
        for kind in KINDS
    ]


def _finished_run(organisation, employee, family, scores: dict[str, float]) -> Attempt:
    variant = ScenarioVariant.objects.filter(family=family).first()
    assert variant is not None
    return Attempt.objects.create(
        organisation=organisation,
        employee=employee,
        variant=variant,
        node="goed",
        finished_at=timezone.now() - dt.timedelta(hours=1),
        scores=scores,
    )


def _grow(organisation, employee, families: int) -> None:
    """More of everything the pages read: families of two competencies, exercises, answers and
    finished runs this week."""
    for n in range(families):
        family = _family(organisation, f"extra-{n}", "AV-INV")
        family.competency_codes = ["AV-INV", "AV-TRA"]
        family.save()
        _finished_run(organisation, employee, family, {"AV-INV": 0.5})
    for exercise in _exercises(organisation, "extra", ["AV-INV", "AV-TRA"]):
        ExerciseAnswer.objects.create(
            organisation=organisation,
            employee=employee,
            exercise=exercise,
            choice=0,
            correct=True,
        )


def test_today_reads_a_fixed_number_of_queries_whatever_the_practice(
    practiser, organisation, django_assert_num_queries
):
    client, employee = practiser
    family = _family(organisation, "balie")
    _exercises(organisation, "eerste", ["AV-EMP"])
    _finished_run(organisation, employee, family, {"AV-EMP": 1.0})
    url = reverse("practice:today")
    client.get(url)  # the first visit makes the card
    assert Card.objects.filter(employee=employee).count() == 1
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    counted = len(small.captured_queries)  # read now: the next request empties the log
    assert _writes(small.captured_queries) == []
    # The families, the competencies the bank offers, the cards, the running run with this
    # week's runs, and the three practice-bank items: each once.
    assert len(_practice_reads(small.captured_queries)) == 5

    _grow(organisation, employee, families=6)
    client.get(url)  # the next visit makes the cards of the new families
    assert Card.objects.filter(employee=employee).count() == 1 + 6 * 2
    with django_assert_num_queries(counted) as big:
        response = client.get(url)
    assert _writes(big.captured_queries) == []
    found = response.context["today"]
    assert len(found.due) == selectors.SESSION_ITEMS
    assert found.more == 1 + 6 * 2 - selectors.SESSION_ITEMS
    assert found.week_runs == 7


def test_a_new_family_gets_its_card_on_the_next_visit(practiser, organisation):
    client, employee = practiser
    _family(organisation, "balie")
    url = reverse("practice:today")
    client.get(url)
    raad = _family(organisation, "raad", "AV-INV")
    with CaptureQueriesContext(connection) as visit:
        page = client.get(url)
    assert len(_writes(visit.captured_queries)) == 1  # the new card, nothing else
    assert Card.objects.get(employee=employee, family=raad).competency_code == "AV-INV"
    assert raad.title in page.content.decode()
    # An inactive family gets no card, and its cards are not offered.
    raad.is_active = False
    raad.save()
    with CaptureQueriesContext(connection) as again:
        page = client.get(url)
    assert _writes(again.captured_queries) == []
    assert [card.family.code for card in page.context["today"].due] == ["balie"]


def test_a_scenario_step_reads_one_practice_query_whatever_the_practice(
    practiser, organisation, django_assert_num_queries
):
    client, employee = practiser
    family = _family(organisation, "balie")
    client.get(reverse("practice:today"))
    card = Card.objects.get(employee=employee, family=family)
    client.post(reverse("practice:start", args=[card.pk]))
    attempt = Attempt.objects.get()
    url = reverse("practice:scenario", args=[attempt.pk])
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    counted = len(small.captured_queries)  # read now: the next request empties the log
    # The attempt with its variant, and the first time in this process the variant's graph.
    reads = _practice_reads(small.captured_queries)
    assert len(reads) == 2
    assert '"graph"' not in reads[0]
    assert '"graph"' in reads[1]
    assert _writes(small.captured_queries) == []

    _grow(organisation, employee, families=6)
    client.get(reverse("practice:today"))
    with django_assert_num_queries(counted - 1):  # the graph is cached now
        response = client.get(url)
    assert response.context["step"]["number"] == 1


def test_a_choice_and_the_ending_read_a_fixed_number_of_queries(
    practiser, organisation, django_assert_num_queries
):
    client, employee = practiser
    family = _family(organisation, "balie")
    client.get(reverse("practice:today"))
    card = Card.objects.get(employee=employee, family=family)
    client.post(reverse("practice:start", args=[card.pk]))
    attempt = Attempt.objects.get()
    choose = reverse("practice:choose", args=[attempt.pk])
    with CaptureQueriesContext(connection) as first:
        client.post(choose, {"node": "n0", "choice": "0", "step": "1"})
    # The attempt locked, looked up among the person's own, with its variant; the first time
    # in this process the variant's graph; the answer saved.
    assert len(_practice_reads(first.captured_queries)) == 3
    with django_assert_num_queries(len(first.captured_queries) - 1):  # the graph is cached
        client.post(choose, {"node": "n1", "choice": "0", "step": "2"})
    with CaptureQueriesContext(connection) as walked:
        _run(client, attempt)
    attempt.refresh_from_db()
    assert attempt.is_finished
    # Scheduling the cards at the ending uses the organisation the request already has.
    assert not [
        q for q in walked.captured_queries if 'FROM "organisations_organisation"' in q["sql"]
    ]

    url = reverse("practice:scenario", args=[attempt.pk])
    with CaptureQueriesContext(connection) as ending:
        client.get(url)
    counted = len(ending.captured_queries)
    _grow(organisation, employee, families=6)
    for n in range(6):  # more cards of this family too
        Card.objects.create(
            organisation=organisation,
            employee=employee,
            family=family,
            competency_code=f"AV-X{n}",
            due=timezone.now(),
        )
    with django_assert_num_queries(counted):
        response = client.get(url)
    assert len(response.context["cards"]) == 7


def test_today_offers_the_bank_items_next_exercise_picks(practiser, organisation):
    _, employee = practiser
    other = EmployeeFactory(organisation=organisation)
    exercises = _exercises(organisation, "bank", ["AV-EMP", "AV-INV", "AV-TRA"])
    now = timezone.now()
    # Met some: one long ago, one recently; another person's answers do not count.
    for exercise, days in ((exercises[0], 9), (exercises[1], 1), (exercises[3], 3)):
        answer = ExerciseAnswer.objects.create(
            organisation=organisation, employee=employee, exercise=exercise, choice=0, correct=True
        )
        ExerciseAnswer.objects.filter(pk=answer.pk).update(
            answered_at=now - dt.timedelta(days=days)
        )
    for exercise in exercises[4:]:
        ExerciseAnswer.objects.create(
            organisation=organisation, employee=other, exercise=exercise, choice=0, correct=True
        )
    Exercise.objects.filter(pk=exercises[2].pk).update(is_active=False)
    for wanted in (["AV-EMP", "AV-INV"], ["AV-INV", "AV-EMP", "AV-TRA"], ["AV-TRA"]):
        picked = selectors.bank_items(organisation, employee, wanted)
        for kind in KINDS:
            expected = bank.next_exercise(organisation, employee, kind, wanted)
            assert picked.get(kind) == expected, (wanted, kind)

"""Daily practice: ratings from a run, FSRS scheduling, variants that alternate, today's
session, and a run through a scenario that counts each answer once."""

import datetime as dt

import fsrs
import pytest
from django.urls import reverse
from django.utils import timezone

from vakwerk.audit.models import AuditEvent
from vakwerk.development.models import FocusKind, Plan, PlanFocus
from vakwerk.organisations.models import Role
from vakwerk.practice import scheduling, selectors, services
from vakwerk.practice.models import Attempt, Card, ScenarioFamily, ScenarioVariant
from vakwerk.practice.tests.test_graph import _variant
from vakwerk.tests.factories import EmployeeFactory, OrganisationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _family(organisation, code: str, competency: str = "AV-EMP") -> ScenarioFamily:
    family = ScenarioFamily.objects.create(
        organisation=organisation,
        code=code,
        competency_codes=[competency],
        title=code,
        summary="s",
    )
    for position in range(2):
        graph = _variant()
        for node in graph["nodes"].values():
            for choice in node.get("choices", []):
                choice["effects"] = {competency: choice["effects"]["AV-EMP"]}
        ScenarioVariant.objects.create(
            family=family,
            code=f"{code}-{position}",
            position=position,
            title=f"{code} variant {position}",
            setting="Aan de balie.",
            graph={"start": graph["start"], "nodes": graph["nodes"]},
        )
    return family


@pytest.fixture
def practiser(member_client, organisation):
    client, user = member_client(organisation, Role.EMPLOYEE)
    employee = EmployeeFactory(organisation=organisation, user=user)
    return client, employee


def test_performance_compares_each_choice_with_the_best_and_worst_offered():
    nodes = {
        "a": {"choices": [{"effects": {"X": 2}}, {"effects": {"X": -2}}, {"effects": {"X": 0}}]},
        "b": {"choices": [{"effects": {"X": 1}}, {"effects": {"X": 1}}]},  # no difference
        "c": {"choices": [{"effects": {"X": 1}}, {"effects": {"X": 2}}]},
    }
    assert scheduling.performance(nodes, [["a", 2], ["b", 0], ["c", 0]], "X") == 0.25
    assert scheduling.performance(nodes, [["b", 1]], "X") is None
    assert scheduling.performance(nodes, [["a", 0], ["c", 1]], "X") == 1.0


@pytest.mark.parametrize(
    ("score", "rating"),
    [
        (0.0, fsrs.Rating.Again),
        (0.39, fsrs.Rating.Again),
        (0.4, fsrs.Rating.Hard),
        (0.65, fsrs.Rating.Good),
        (0.89, fsrs.Rating.Good),
        (0.9, fsrs.Rating.Easy),
    ],
)
def test_the_rating_follows_the_documented_cut_points(score, rating):
    assert scheduling.rating_for(score) == rating


def test_a_better_run_comes_back_later_and_the_organisation_caps_the_interval():
    now = timezone.now()
    state = scheduling.new_state(now)
    _, again = scheduling.review(state, fsrs.Rating.Again, now, retention=0.85, maximum_days=120)
    _, easy = scheduling.review(state, fsrs.Rating.Easy, now, retention=0.85, maximum_days=120)
    assert now < again < easy
    good = scheduling.new_state(now)
    moment = now
    for _ in range(6):
        good, due = scheduling.review(
            good, fsrs.Rating.Easy, moment, retention=0.85, maximum_days=20
        )
        assert due - moment <= dt.timedelta(days=20)
        moment = due


def test_cards_are_made_once_per_family_and_competency(practiser, organisation):
    _, employee = practiser
    _family(organisation, "balie")
    _family(organisation, "raad", "AV-INV")
    now = timezone.now()
    assert services.cards_ensure(employee=employee, codes={"AV-EMP"}, now=now) == 1
    assert services.cards_ensure(employee=employee, codes={"AV-EMP", "AV-INV"}, now=now) == 1
    assert services.cards_ensure(employee=employee, codes={"AV-EMP", "AV-INV"}, now=now) == 0
    assert Card.objects.filter(employee=employee).count() == 2


def test_today_puts_plan_focus_first_and_one_card_per_family(practiser, organisation):
    _, employee = practiser
    for code, competency in [("a", "AV-EMP"), ("b", "AV-INV"), ("c", "AV-TRA")]:
        _family(organisation, code, competency)
    now = timezone.now()
    services.cards_ensure(employee=employee, codes={"AV-EMP", "AV-INV", "AV-TRA"}, now=now)
    plan = Plan.objects.create(organisation=organisation, employee=employee)
    PlanFocus.objects.create(plan=plan, competency_code="AV-TRA", kind=FocusKind.FOCUS)
    found = selectors.today(organisation, employee, now, codes={"AV-EMP", "AV-INV", "AV-TRA"})
    assert found.due[0].competency_code == "AV-TRA"
    assert len(found.due) == selectors.SESSION_ITEMS
    assert found.more == 1


def _run(client, attempt: Attempt, pick: int = 0) -> None:
    while True:
        attempt.refresh_from_db()
        if attempt.is_finished:
            return
        client.post(
            reverse("practice:choose", args=[attempt.pk]), {"node": attempt.node, "choice": pick}
        )


def test_a_run_gives_feedback_finishes_and_schedules_the_card(practiser, organisation):
    client, employee = practiser
    family = _family(organisation, "balie")
    page = client.get(reverse("practice:today"))
    assert page.status_code == 200
    card = Card.objects.get(employee=employee, family=family)
    response = client.post(reverse("practice:start", args=[card.pk]))
    attempt = Attempt.objects.get()
    assert response.url == reverse("practice:scenario", args=[attempt.pk])
    client.post(reverse("practice:choose", args=[attempt.pk]), {"node": "n0", "choice": "0"})
    page = client.get(reverse("practice:scenario", args=[attempt.pk])).content.decode()
    assert "You chose" in page
    assert "Omdat." in page  # the feedback of the choice
    before = timezone.now()
    _run(client, attempt, pick=0)  # always the best option
    attempt.refresh_from_db()
    assert attempt.ending == "good"
    assert attempt.scores == {"AV-EMP": 1.0}
    assert attempt.ratings == {"AV-EMP": int(fsrs.Rating.Easy)}
    card.refresh_from_db()
    assert card.reviews == 1
    assert card.due > before + dt.timedelta(days=1)
    page = client.get(reverse("practice:scenario", args=[attempt.pk])).content.decode()
    assert "Looking back" in page
    assert "Goed gedaan." in page
    assert AuditEvent.objects.filter(action="practice.finish").count() == 1


def test_a_poor_run_comes_back_sooner(practiser, organisation):
    client, employee = practiser
    family = _family(organisation, "balie")
    client.get(reverse("practice:today"))
    card = Card.objects.get(employee=employee, family=family)
    client.post(reverse("practice:start", args=[card.pk]))
    _run(client, Attempt.objects.get(), pick=1)
    poor = Card.objects.get(pk=card.pk).due
    attempt = Attempt.objects.get()
    assert attempt.ratings == {"AV-EMP": int(fsrs.Rating.Again)}
    assert attempt.ending == "mixed"
    assert poor < timezone.now() + dt.timedelta(days=7)


def test_each_review_serves_another_variant(practiser, organisation):
    client, employee = practiser
    family = _family(organisation, "balie")
    client.get(reverse("practice:today"))
    card = Card.objects.get(employee=employee, family=family)
    served = []
    for _ in range(3):
        client.post(reverse("practice:start", args=[card.pk]))
        attempt = Attempt.objects.order_by("-pk").first()
        assert attempt is not None
        served.append(attempt.variant.code)
        _run(client, attempt)
    assert served == ["balie-0", "balie-1", "balie-0"]


def test_an_answer_sent_twice_counts_once(practiser, organisation):
    client, employee = practiser
    family = _family(organisation, "balie")
    client.get(reverse("practice:today"))
    card = Card.objects.get(employee=employee, family=family)
    client.post(reverse("practice:start", args=[card.pk]))
    attempt = Attempt.objects.get()
    for _ in range(2):
        client.post(reverse("practice:choose", args=[attempt.pk]), {"node": "n0", "choice": "1"})
    attempt.refresh_from_db()
    assert attempt.path == [["n0", 1]]
    assert attempt.node == "n1"


def test_a_bad_choice_is_refused_with_a_message(practiser, organisation):
    client, employee = practiser
    family = _family(organisation, "balie")
    client.get(reverse("practice:today"))
    card = Card.objects.get(employee=employee, family=family)
    client.post(reverse("practice:start", args=[card.pk]))
    attempt = Attempt.objects.get()
    for bad in ("7", "-1", "x", ""):
        response = client.post(
            reverse("practice:choose", args=[attempt.pk]),
            {"node": "n0", "choice": bad},
            follow=True,
        )
        assert "Choose one of the answers shown." in response.content.decode()
    attempt.refresh_from_db()
    assert attempt.path == []


def test_nobody_else_sees_someones_practice(practiser, member_client, organisation):
    client, employee = practiser
    family = _family(organisation, "balie")
    client.get(reverse("practice:today"))
    card = Card.objects.get(employee=employee, family=family)
    client.post(reverse("practice:start", args=[card.pk]))
    attempt = Attempt.objects.get()
    for role in (Role.EMPLOYEE, Role.MANAGER, Role.HR):
        other, user = member_client(organisation, role)
        EmployeeFactory(organisation=organisation, user=user)
        assert other.get(reverse("practice:scenario", args=[attempt.pk])).status_code == 404
        assert other.post(reverse("practice:start", args=[card.pk])).status_code == 404
        choose = reverse("practice:choose", args=[attempt.pk])
        answer = {"node": attempt.node, "choice": "0", "step": "1"}
        assert other.post(choose, answer).status_code == 404
    attempt.refresh_from_db()
    assert attempt.path == []


def test_a_repeated_answer_for_an_earlier_step_counts_once(practiser, organisation):
    """A scenario may come back to a node; the step number tells the two visits apart."""
    client, employee = practiser
    family = _family(organisation, "balie")
    client.get(reverse("practice:today"))
    card = Card.objects.get(employee=employee, family=family)
    client.post(reverse("practice:start", args=[card.pk]))
    attempt = Attempt.objects.get()
    url = reverse("practice:choose", args=[attempt.pk])
    client.post(url, {"node": "n0", "choice": "0", "step": "1"})
    # The same post again (step 1), and a post claiming the wrong step for the current node.
    client.post(url, {"node": "n0", "choice": "0", "step": "1"})
    client.post(url, {"node": "n1", "choice": "0", "step": "5"})
    attempt.refresh_from_db()
    assert attempt.path == [["n0", 0]]
    client.post(url, {"node": "n1", "choice": "0", "step": "2"})
    attempt.refresh_from_db()
    assert attempt.path == [["n0", 0], ["n1", 0]]


def test_a_cached_graph_is_kept_under_the_digest_it_was_read_with(organisation):
    """Two copies of one graph share a digest. A copy edited after a step loaded its row (an
    in-place edit racing that step) must not put its new graph under the shared old digest."""
    first = _family(organisation, "eerste").variants.get(position=0)
    second = _family(organisation, "tweede").variants.get(position=0)
    assert first.graph_digest == second.graph_digest
    stale = ScenarioVariant.objects.defer("graph").get(pk=first.pk)
    start = first.graph["start"]
    first.graph["nodes"][start]["text"] = {"nl": "Gewijzigd.", "en": "Changed."}
    first.save()
    assert selectors.variant_graph(stale)["nodes"][start]["text"]["nl"] == "Gewijzigd."
    copy = ScenarioVariant.objects.defer("graph").get(pk=second.pk)
    assert (
        selectors.variant_graph(copy)["nodes"][start]["text"]
        == second.graph["nodes"][start]["text"]
    )


def test_an_attempt_read_in_plain_sql_equals_the_orms(practiser, member_client, organisation):
    """``attempt_of`` writes its SQL by hand: every field of the attempt and of its variant (the
    graph deferred) as the ORM reads them, after a finished run (dates, JSON, an ending), and
    nothing for anyone else, in this organisation or another."""
    client, employee = practiser
    family = _family(organisation, "balie")
    client.get(reverse("practice:today"))
    card = Card.objects.get(employee=employee, family=family)
    attempt = services.attempt_start(card_id=card.pk)
    _run(client, attempt)
    services.attempt_start(card_id=card.pk)  # and one under way
    user = employee.user
    assert {row.is_finished for row in Attempt.objects.all()} == {True, False}
    for row in Attempt.objects.all():
        read = selectors.attempt_of(organisation, user, row.pk)
        orm = (
            Attempt.objects.filter(
                organisation=organisation, employee__organisation=organisation, employee__user=user
            )
            .select_related("variant")
            .defer("variant__graph")
            .get(pk=row.pk)
        )
        assert read is not None
        for field in Attempt._meta.concrete_fields:
            assert getattr(read, field.attname) == getattr(orm, field.attname), field.name
        for field in ScenarioVariant._meta.concrete_fields:
            if field.name != "graph":
                assert getattr(read.variant, field.attname) == getattr(orm.variant, field.attname)
        assert read.variant.get_deferred_fields() == {"graph"}
        assert selectors.variant_graph(read.variant) == family.variants.get(pk=row.variant_id).graph
        _client, someone = member_client(organisation, Role.EMPLOYEE)
        EmployeeFactory(organisation=organisation, user=someone)
        assert selectors.attempt_of(organisation, someone, row.pk) is None
        elsewhere = OrganisationFactory()
        assert selectors.attempt_of(elsewhere, user, row.pk) is None


def test_today_offers_the_run_under_way_and_counts_this_weeks_runs(practiser, organisation):
    client, employee = practiser
    family = _family(organisation, "balie")
    client.get(reverse("practice:today"))
    card = Card.objects.get(employee=employee, family=family)
    old, finished, older_open, newest_open = (
        services.attempt_start(card_id=card.pk) for _ in range(4)
    )
    for attempt in (old, finished):
        _run(client, attempt)
    Attempt.objects.filter(pk=old.pk).update(finished_at=timezone.now() - dt.timedelta(days=8))
    Attempt.objects.filter(pk=older_open.pk).update(
        started_at=timezone.now() - dt.timedelta(days=1)
    )
    found = selectors.today(
        organisation,
        employee,
        timezone.now(),
        codes=selectors.practice_codes(organisation, employee),
    )
    assert found.running == newest_open
    assert found.week_runs == 1  # the run of eight days ago is not this week's
    assert set(found.week_scores) == {"AV-EMP"}  # no framework here: named by code
    page = client.get(reverse("practice:today")).content.decode()
    newest_open.refresh_from_db()
    assert reverse("practice:scenario", args=[newest_open.pk]) in page
    assert f"Continue: {newest_open.variant.label}" in page
    assert "You practised 1 conversation this week." in page

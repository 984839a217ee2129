"""Pulse checks: scheduling over time, answering, the estimate update, and ageing evidence in
every view (the clock moved with time-machine)."""

import datetime as dt
import math

import numpy as np
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from vakwerk.assessments.models import SjtItem
from vakwerk.audit.models import AuditEvent
from vakwerk.development.models import FocusKind, Plan, PlanFocus
from vakwerk.frameworks.models import Indicator
from vakwerk.measurement import pulse_services, selectors
from vakwerk.measurement.calibration import Calibration, calibration_record
from vakwerk.measurement.engine import LevelScale, fit_competency
from vakwerk.measurement.engine.evidence import SOURCES
from vakwerk.measurement.engine.simulate import APPRAISAL, simulate
from vakwerk.measurement.engine.update import DAYS_PER_MONTH, POOLED_ITEM, aged_sd
from vakwerk.measurement.models import (
    Estimate,
    EstimateRun,
    PulseAnswer,
    PulseCheck,
    PulseSelfAnswer,
    PulseUpdate,
)
from vakwerk.measurement.tests.pulse_data import ACTOR, CLOSED, SDS, key_ratings, measure
from vakwerk.organisations.models import Role
from vakwerk.tests.factories import EmployeeFactory, RoundFactory, TeamFactory, UserFactory

pytest_plugins = ["vakwerk.measurement.tests.pulse_data", "vakwerk.tests.measured"]
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
WEEK = dt.timedelta(weeks=1)


def _answer_all(pulse, *, reverse_key=False):
    for item in pulse_services.pulse_items(pulse):
        pulse_services.pulse_answer_save(
            pulse=pulse, item=item, ratings=key_ratings(item, reverse_key=reverse_key), actor=ACTOR
        )


def _schedule(now):
    return pulse_services.pulses_schedule(now=now)


# ----------------------------------------------------------------------------- scheduling


def test_a_pulse_is_due_after_the_interval_and_not_before(organisation, person):
    _, employee = person
    assert organisation.pulse_interval_weeks == 8
    # Counted in calendar days: not the day before, but on the day also before the hour.
    assert _schedule(CLOSED + 8 * WEEK - dt.timedelta(days=1))["created"] == 0
    counts = _schedule(CLOSED + 8 * WEEK - dt.timedelta(hours=1))
    assert counts["created"] == 1
    pulse = PulseCheck.objects.get(employee=employee)
    assert pulse.created_at == CLOSED + 8 * WEEK - dt.timedelta(hours=1)
    assert pulse.due_at == pulse.created_at + pulse_services.DUE_AFTER
    assert AuditEvent.objects.filter(action="pulse.create").count() == 1


def test_scheduling_twice_creates_nothing_twice(person):
    _, employee = person
    now = CLOSED + 9 * WEEK
    assert _schedule(now)["created"] == 1
    assert _schedule(now)["created"] == 0
    assert _schedule(now + 20 * WEEK)["created"] == 0  # the open pulse was never answered
    assert PulseCheck.objects.filter(employee=employee).count() == 1


def test_the_next_pulse_comes_an_interval_after_the_last_one(person):
    _, employee = person
    first_at = CLOSED + 8 * WEEK
    _schedule(first_at)
    pulse = PulseCheck.objects.get(employee=employee)
    _answer_all(pulse)
    pulse_services.pulse_complete(pulse=pulse, actor=ACTOR, now=first_at + WEEK)
    assert _schedule(first_at + 8 * WEEK - dt.timedelta(days=1))["created"] == 0
    assert _schedule(first_at + 8 * WEEK)["created"] == 1
    assert PulseCheck.objects.filter(employee=employee).count() == 2


def test_six_months_of_daily_runs_make_one_pulse_per_interval(person):
    """A simulated half year: the job runs every day; each pulse is answered the day after."""
    _, employee = person
    day = CLOSED
    while day < CLOSED + dt.timedelta(days=183):
        day += dt.timedelta(days=1)
        with time_machine.travel(day, tick=False):
            _schedule(timezone.now())
            pulse = PulseCheck.objects.filter(employee=employee, completed_at__isnull=True).first()
            if pulse is not None and day - pulse.created_at >= dt.timedelta(days=1):
                _answer_all(pulse)
                pulse_services.pulse_complete(pulse=pulse, actor=ACTOR)
    created = list(
        PulseCheck.objects.filter(employee=employee)
        .order_by("created_at")
        .values_list("created_at", flat=True)
    )
    assert created == [CLOSED + 8 * WEEK, CLOSED + 16 * WEEK, CLOSED + 24 * WEEK]
    assert (
        PulseUpdate.objects.filter(employee=employee).count()
        == 3 * pulse_services.PULSE_COMPETENCIES
    )


def test_pulses_switched_off_are_never_scheduled(organisation, person):
    organisation.pulse_interval_weeks = 0
    organisation.save()
    assert _schedule(CLOSED + 52 * WEEK) == {
        "organisations": 0,
        "due": 0,
        "created": 0,
        "without_situations": 0,
    }
    assert not PulseCheck.objects.exists()


def test_people_without_a_login_or_results_get_no_pulse(organisation, person, measured_round):
    no_login = EmployeeFactory(organisation=organisation)
    measure(measured_round, no_login)
    EmployeeFactory(organisation=organisation, user=UserFactory())  # a login, no results
    assert _schedule(CLOSED + 8 * WEEK)["created"] == 1
    assert list(PulseCheck.objects.values_list("employee", flat=True)) == [person[1].pk]


def test_a_pulse_asks_six_situations_on_the_competencies_due(organisation, person):
    _, employee = person
    plan = Plan.objects.create(organisation=organisation, employee=employee)
    PlanFocus.objects.create(plan=plan, competency_code="AV-EMP", kind=FocusKind.FOCUS)
    _schedule(CLOSED + 8 * WEEK)
    pulse = PulseCheck.objects.get(employee=employee)
    # The plan's focus first, then the widest intervals (AV-GEL 0.7, AV-DIA 0.6).
    assert pulse.competency_codes == ["AV-EMP", "AV-GEL", "AV-DIA"]
    assert len(pulse.item_codes) == pulse_services.PULSE_ITEMS
    competency = dict(SjtItem.objects.values_list("code", "competency_code"))
    # Two situations each, taken in turn: consecutive situations differ.
    assert [competency[code] for code in pulse.item_codes] == ["AV-EMP", "AV-GEL", "AV-DIA"] * 2
    assert pulse.indicator_ids == []  # no self-check unless the organisation asks for it


def test_situations_answered_recently_come_last():
    bank = {"A": ["a1", "a2", "a3"], "B": ["b1", "b2"]}
    chosen = pulse_services.choose_items(bank, ["A", "B"], recent={"a1", "a2", "b1"}, seed="s")
    assert chosen[:2] == ["a3", "b2"]
    assert set(chosen) == {"a1", "a2", "a3", "b1", "b2"}


def test_the_self_check_asks_for_the_next_level_of_each_competency(organisation, person):
    organisation.pulse_self_check = True
    organisation.save()
    _, employee = person
    pulse = pulse_services.pulse_create(
        organisation=organisation, employee=employee, now=CLOSED + 8 * WEEK, actor=ACTOR
    )
    assert pulse is not None
    indicators = Indicator.objects.in_bulk(pulse.indicator_ids)
    assert len(pulse.indicator_ids) == len(pulse.competency_codes)
    for indicator_id, code in zip(pulse.indicator_ids, pulse.competency_codes, strict=True):
        assert indicators[indicator_id].competency.code == code
        assert indicators[indicator_id].level == 3  # estimate 0.0 is level 2.5: the next is 3


# ----------------------------------------------------------------------------- answering


@pytest.fixture
def pulse(organisation, person):
    _, employee = person
    found = pulse_services.pulse_create(
        organisation=organisation, employee=employee, now=timezone.now(), actor=ACTOR
    )
    assert found is not None
    return found


def _post(client, pulse, number, ratings, go="next"):
    url = reverse("pulses:take", args=[pulse.pk]) + f"?vraag={number}"
    data = {f"option-{p}": str(r) for p, r in ratings.items()} | {"go": go}
    return client.post(url, data)


def test_the_pulse_page_shows_one_situation_with_its_progress(person, pulse):
    client, _ = person
    response = client.get(reverse("pulses:take", args=[pulse.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Situation 1 of 6" in page
    assert "0 of 6 situations answered" in page
    first = pulse_services.pulse_items(pulse)[0]
    assert first.situation_label in page


def test_an_answer_posted_twice_counts_once(person, pulse):
    client, _ = person
    item = pulse_services.pulse_items(pulse)[0]
    ratings = key_ratings(item)
    assert _post(client, pulse, 1, ratings).status_code == 302
    changed = {**ratings, 1: 1 if ratings[1] != 1 else 5}
    response = _post(client, pulse, 1, changed)
    assert response.status_code == 302
    assert response["Location"].endswith("?vraag=2")
    answers = PulseAnswer.objects.filter(pulse=pulse)
    assert answers.count() == 1
    assert answers.get().ratings == {str(p): r for p, r in sorted(changed.items())}
    page = client.get(reverse("pulses:take", args=[pulse.pk]) + "?vraag=2").content.decode()
    assert "Situation 2 of 6" in page
    assert "1 of 6 situations answered" in page
    assert AuditEvent.objects.filter(action="pulse.answer").count() == 2


def test_a_response_left_unrated_is_named_and_nothing_is_saved(person, pulse):
    client, _ = person
    item = pulse_services.pulse_items(pulse)[0]
    ratings = key_ratings(item)
    del ratings[3]
    response = _post(client, pulse, 1, ratings)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Choose a rating from 1 to 5 for this response." in page
    assert 'href="#response-3"' in page
    assert 'aria-describedby="response-3-error"' in page
    assert not PulseAnswer.objects.exists()
    # Going back from an unfinished page is allowed and saves nothing.
    assert _post(client, pulse, 2, {}, go="previous").status_code == 302


def test_another_persons_pulse_is_404(member_client, organisation, pulse):
    other, user = member_client(organisation, Role.EMPLOYEE, Role.MANAGER, Role.HR)
    EmployeeFactory(
        organisation=organisation, user=user, team=TeamFactory(organisation=organisation)
    )
    for name in ("pulses:take", "pulses:self_check", "pulses:result"):
        assert other.get(reverse(name, args=[pulse.pk])).status_code == 404
    assert other.post(reverse("pulses:finish", args=[pulse.pk])).status_code == 404
    assert not PulseAnswer.objects.exists()


def test_handing_in_updates_the_levels_and_shows_them(person, pulse):
    client, _ = person
    items = pulse_services.pulse_items(pulse)
    for number, item in enumerate(items, start=1):
        response = _post(client, pulse, number, key_ratings(item))
    assert response.status_code == 302
    assert response["Location"] == reverse("pulses:result", args=[pulse.pk])
    pulse.refresh_from_db()
    assert pulse.completed_at is not None
    updates = PulseUpdate.objects.filter(pulse=pulse)
    assert sorted(u.competency_code for u in updates) == sorted(pulse.competency_codes)
    page = client.get(response["Location"]).content.decode()
    assert "One pulse says little: the interval narrows only a bit." in page
    assert "likely between" in page
    assert AuditEvent.objects.filter(action="pulse.complete").count() == 1
    # Handed in: answers can no longer change, and handing in again changes nothing.
    assert _post(client, pulse, 1, key_ratings(items[0]))["Location"].endswith("/uitslag/")
    assert pulse_services.pulse_complete(pulse=pulse, actor=ACTOR) == list(pulse.updates.all())
    assert PulseUpdate.objects.filter(pulse=pulse).count() == len(pulse.competency_codes)


def test_handing_in_with_a_situation_missing_is_refused(person, pulse):
    client, _ = person
    item = pulse_services.pulse_items(pulse)[0]
    _post(client, pulse, 1, key_ratings(item))
    response = client.post(reverse("pulses:finish", args=[pulse.pk]), follow=True)
    assert "5 situations still need a rating for every response." in response.content.decode()
    pulse.refresh_from_db()
    assert pulse.completed_at is None


@pytest.fixture
def self_check(organisation, person):
    """A pulse check of ``person`` with the organisation's self-check on: (client, pulse)."""
    organisation.pulse_self_check = True
    organisation.save()
    client, employee = person
    pulse = pulse_services.pulse_create(
        organisation=organisation, employee=employee, now=timezone.now(), actor=ACTOR
    )
    assert pulse is not None
    return client, pulse


def test_the_self_check_is_stored_and_shown_back(self_check):
    client, pulse = self_check
    items = pulse_services.pulse_items(pulse)
    for number, item in enumerate(items, start=1):
        response = _post(client, pulse, number, key_ratings(item))
    assert response["Location"] == reverse("pulses:self_check", args=[pulse.pk])
    page = client.get(response["Location"]).content.decode()
    assert "How often" in page or "how often" in page
    first = pulse.indicator_ids[0]
    response = client.post(
        reverse("pulses:self_check", args=[pulse.pk]), {f"statement-{first}": "3", "go": "finish"}
    )
    assert response["Location"] == reverse("pulses:result", args=[pulse.pk])
    assert PulseSelfAnswer.objects.get(pulse=pulse).value == 3
    page = client.get(response["Location"]).content.decode()
    assert "Your self-check" in page
    assert Indicator.objects.get(pk=first).label in page
    assert "Often" in page


def test_an_employee_can_ask_for_a_pulse_and_the_dashboard_links_it(person):
    client, employee = person
    assert "A pulse check is waiting" not in client.get(reverse("shell:home")).content.decode()
    response = client.post(reverse("pulses:mine"))
    pulse = PulseCheck.objects.get(employee=employee)
    assert response["Location"] == reverse("pulses:take", args=[pulse.pk])
    assert client.post(reverse("pulses:mine")).status_code == 302
    assert PulseCheck.objects.filter(employee=employee).count() == 1
    home = client.get(reverse("shell:home")).content.decode()
    assert "A pulse check is waiting for you" in home
    assert reverse("pulses:take", args=[pulse.pk]) in home


# ----------------------------------------------------------------------------- the update


def _levels(*values: float | None) -> tuple[float, ...]:
    """Level, lower and upper bound, which the fixture's level scale always gives."""
    assert all(v is not None for v in values)
    return tuple(float(v) for v in values if v is not None)


def _months(since, now):
    return (now - since).total_seconds() / 86400.0 / DAYS_PER_MONTH


def test_a_pulse_moves_the_level_towards_the_answers_and_narrows_its_interval(
    organisation, person, pulse
):
    _, employee = person
    now = timezone.now()
    _answer_all(pulse)
    updates = {
        u.competency_code: u
        for u in pulse_services.pulse_complete(pulse=pulse, actor=ACTOR, now=now)
    }
    assert set(updates) == set(pulse.competency_codes)
    for code, update in updates.items():
        expected_prior = aged_sd(SDS[code], _months(CLOSED, now))
        assert update.prior_sd == pytest.approx(expected_prior)
        assert update.estimate > update.prior_estimate  # the expert's answers: up
        assert update.sd < update.prior_sd  # narrower...
        assert update.sd > 0.75 * update.prior_sd  # ...but only a bit
        level, lower, upper = _levels(update.level, update.level_lower, update.level_upper)
        before = _levels(update.prior_level, update.prior_level_lower, update.prior_level_upper)
        assert level > before[0]
        assert upper - lower < before[2] - before[1]
        assert update.n_items == 2
    # The current view now starts from the pulse.
    estimates = selectors.latest_estimates(organisation, employee)
    current = {
        c.competency_code: c
        for c in selectors.current_levels(organisation, estimates, now=now).values()
    }
    for code, update in updates.items():
        assert current[code].from_pulse
        assert current[code].estimate == pytest.approx(update.estimate)
        assert current[code].sd == pytest.approx(update.sd)


def test_answers_against_the_key_move_the_level_down(person, pulse):
    _answer_all(pulse, reverse_key=True)
    for update in pulse_services.pulse_complete(pulse=pulse, actor=ACTOR):
        assert update.estimate < update.prior_estimate


def test_uncalibrated_items_use_the_pooled_prior(person, pulse):
    """The fixture's run calibrated no SJT item: the update equals the engine's with the
    pooled item for each answer."""
    from vakwerk.measurement.engine.update import update as engine_update

    now = timezone.now()
    _answer_all(pulse)
    scores = pulse_services.pulse_scores(pulse)
    updates = pulse_services.pulse_complete(pulse=pulse, actor=ACTOR, now=now)
    competency = dict(SjtItem.objects.values_list("code", "competency_code"))
    for update in updates:
        answers = [
            (POOLED_ITEM, s)
            for c, s in sorted(scores.items())
            if competency[c] == update.competency_code
        ]
        expected = engine_update(update.prior_estimate, update.prior_sd, answers, 0.2)
        assert update.estimate == pytest.approx(expected.mean)
        assert update.sd == pytest.approx(expected.sd)


# ----------------------------------------------------------------------------- ageing


def test_the_interval_widens_by_the_documented_amount(organisation, person):
    _, employee = person
    estimates = selectors.latest_estimates(organisation, employee)
    for months in (0, 3, 6, 11):
        now = CLOSED + dt.timedelta(days=months * DAYS_PER_MONTH)
        current = selectors.current_levels(organisation, estimates, now=now)
        for estimate in estimates:
            level = current[estimate.pk]
            expected = math.sqrt(estimate.sd**2 + 0.08**2 * months)
            assert level.sd == pytest.approx(expected)
            assert level.estimate == estimate.estimate  # the level itself does not move
            assert level.upper90 - level.lower90 == pytest.approx(2 * 1.6448536 * expected)
            widened = _levels(level.level, level.level_lower, level.level_upper)
            stored = _levels(estimate.level, estimate.level_lower, estimate.level_upper)
            assert widened[0] == stored[0]
            assert widened[1] <= stored[1]
            assert widened[2] >= stored[2]
            assert not level.is_outdated


def test_results_are_outdated_after_the_set_age(organisation, person):
    _, employee = person
    estimates = selectors.latest_estimates(organisation, employee)
    before = CLOSED + dt.timedelta(days=12 * DAYS_PER_MONTH - 1)
    after = CLOSED + dt.timedelta(days=12 * DAYS_PER_MONTH + 1)
    assert not any(
        c.is_outdated
        for c in selectors.current_levels(organisation, estimates, now=before).values()
    )
    assert all(
        c.is_outdated for c in selectors.current_levels(organisation, estimates, now=after).values()
    )
    organisation.results_outdated_months = 18
    organisation.save()
    assert not any(
        c.is_outdated for c in selectors.current_levels(organisation, estimates, now=after).values()
    )


def test_a_pulse_makes_outdated_results_current_again(organisation, person):
    _, employee = person
    later = CLOSED + dt.timedelta(days=400)
    with time_machine.travel(later, tick=False):
        pulse = pulse_services.pulse_create(
            organisation=organisation, employee=employee, now=later, actor=ACTOR
        )
        assert pulse is not None
        _answer_all(pulse)
        pulse_services.pulse_complete(pulse=pulse, actor=ACTOR)
        estimates = selectors.latest_estimates(organisation, employee)
        current = {
            c.competency_code: c for c in selectors.current_levels(organisation, estimates).values()
        }
    for code, level in current.items():
        assert level.is_outdated == (code not in pulse.competency_codes)


def test_every_view_marks_outdated_results(organisation, person, member_client, measured_round):
    client, employee = person
    manager_client, manager_user = member_client(organisation, Role.EMPLOYEE, Role.MANAGER)
    manager = EmployeeFactory(organisation=organisation, user=manager_user)
    employee.manager = manager
    employee.save()
    organisation.manager_visibility = "yes"
    organisation.hr_visibility = "yes"
    organisation.save()
    hr_client, hr_user = member_client(organisation, Role.HR)
    recent = CLOSED + dt.timedelta(days=30)
    old = CLOSED + dt.timedelta(days=400)

    def log_in_again():  # sessions expire while the clock moves
        for who, user in ((client, employee.user), (manager_client, manager_user)):
            who.force_login(user)
        hr_client.force_login(hr_user)

    with time_machine.travel(recent, tick=False):
        log_in_again()
        assert "Outdated" not in client.get(reverse("insights:mine")).content.decode()
        assert "Outdated" not in manager_client.get(reverse("insights:team")).content.decode()
    with time_machine.travel(old, tick=False):
        log_in_again()
        mine = client.get(reverse("insights:mine")).content.decode()
        assert "<strong>Outdated</strong>" in mine
        assert reverse("pulses:mine") in mine  # to the employee: do a pulse
        team = manager_client.get(reverse("insights:team")).content.decode()
        assert "<strong>Outdated</strong>" in team
        export = manager_client.get(reverse("insights:team_export", args=["csv"]))
        lines = export.content.decode("utf-8-sig").strip().splitlines()
        assert lines[0].endswith(";Outdated")
        assert all(line.endswith(";yes") for line in lines[1:])
        organisation_page = hr_client.get(reverse("insights:organisation")).content.decode()
        assert "Start a new round for a current picture." in organisation_page  # to HR
        report = hr_client.get(reverse("insights:person", args=[employee.pk])).content.decode()
        assert "<strong>Outdated</strong>" in report
        assert "HR can start a new round" in report  # to HR: measure again


def test_the_current_view_takes_a_bounded_number_of_queries(organisation, person, measured_round):
    _, employee = person
    others = EmployeeFactory.create_batch(4, organisation=organisation)
    for other in others:
        measure(measured_round, other)
    small = Estimate.objects.filter(employee=employee)
    large = Estimate.objects.filter(employee__in=[employee, *others])
    with CaptureQueriesContext(connection) as one:
        selectors.current_levels(organisation, list(small))
    with CaptureQueriesContext(connection) as five:
        selectors.current_levels(organisation, list(large))
    assert len(one.captured_queries) == len(five.captured_queries) <= 4


# ----------------------------------------------------------------------------- calibration


def test_a_computed_round_keeps_its_level_scale(closed_round):
    """A real run (``vakwerk.tests.measured``: ratings, no SJT) keeps per competency the level
    thresholds that reproduce its stored levels."""
    run = EstimateRun.objects.get(round=closed_round)
    estimates = list(Estimate.objects.filter(round=closed_round, level__isnull=False))
    assert estimates
    assert set(run.calibration) == {e.competency_code for e in estimates}
    for estimate in estimates:
        entry = run.calibration[estimate.competency_code]
        assert entry["items"] == {}  # this round had no test
        thresholds = entry["level_thresholds"]
        assert thresholds == sorted(thresholds)
        scale = LevelScale(np.array(thresholds))
        found = scale.express(np.array([estimate.estimate, estimate.lower90, estimate.upper90]))
        assert list(found) == pytest.approx(
            [estimate.level, estimate.level_lower, estimate.level_upper], abs=1e-6
        )


def test_current_levels_of_many_estimates_match_each_one_alone(organisation, closed_round):
    """The interval ends of a whole round are expressed per run and competency at once; the
    levels are those of each estimate expressed on its own, aged a year."""
    estimates = list(Estimate.objects.filter(round=closed_round))
    assert len(estimates) > 20
    later = timezone.now() + dt.timedelta(days=365)
    together = selectors.current_levels(organisation, estimates, now=later)
    run = EstimateRun.objects.get(round=closed_round)
    for estimate in estimates:
        alone = selectors.current_levels(organisation, [estimate], now=later)[estimate.pk]
        current = together[estimate.pk]
        assert current == alone
        calibration = Calibration.of(run.calibration, estimate.competency_code)
        expected = calibration.levels((current.lower90, current.upper90), estimate, None)
        if expected is None:
            assert current.level_lower is None
        else:
            assert (current.level_lower, current.level_upper) == (expected[0], expected[1])
            assert current.lower90 < estimate.lower90  # a year older: a wider interval


def test_sjt_items_are_calibrated_with_their_raw_scores(organisation, framework_version):
    """Per competency the run keeps each SJT item's fitted parameters and the SJT-specific
    variance; an item it never saw gets the pooled prior with the mean discrimination."""
    org = simulate(120, APPRAISAL, 7)
    evidence = org.evidence["c1"]
    fit = fit_competency(evidence)
    records = [
        (
            evidence.persons[p],
            SOURCES[s],
            evidence.raters[r] if r >= 0 else "",
            evidence.items[i],
            int(score),
            int(k),
        )
        for p, s, r, i, score, k in zip(
            evidence.person,
            evidence.source,
            evidence.rater,
            evidence.item,
            evidence.score,
            evidence.categories,
            strict=True,
        )
    ]
    round_ = RoundFactory(organisation=organisation, version=framework_version)
    run = EstimateRun.objects.create(organisation=organisation, round=round_)
    calibration_record(run=run, code="c1", fit=fit, records=records, item_levels={})
    run.refresh_from_db()
    stored = Calibration.of(run.calibration, "c1")
    sjt_items = {evidence.items[i] for i in evidence.item[evidence.source == SOURCES.index("sjt")]}
    assert set(stored.items) == sjt_items
    assert stored.specific_var == pytest.approx(fit.state.specific_var)
    assert stored.level_thresholds is None
    mean_a = np.mean([item.discrimination for item in stored.items.values()])
    assert stored.item("never-seen").discrimination == pytest.approx(mean_a)
    some = sorted(stored.items)[0]
    assert stored.item(some) == stored.items[some]
    assert Calibration.of({}, "c1") == Calibration()


def test_answers_that_cannot_be_scored_leave_the_levels_unchanged(organisation, person, pulse):
    """Every response rated 3: nothing to standardise, so no situation is scored and the levels
    keep their current values (the engine's prior comes back unchanged)."""
    client, employee = person
    for item in pulse_services.pulse_items(pulse):
        ratings = {option.position: 3 for option in item.options.all()}
        pulse_services.pulse_answer_save(pulse=pulse, item=item, ratings=ratings, actor=ACTOR)
    assert pulse_services.pulse_complete(pulse=pulse, actor=ACTOR) == []
    estimates = selectors.latest_estimates(organisation, employee)
    assert not any(c.from_pulse for c in selectors.current_levels(organisation, estimates).values())
    page = client.get(reverse("pulses:result", args=[pulse.pk])).content.decode()
    assert "Unchanged:" in page


@pytest.mark.parametrize("value", ["²", "9" * 5000, "3"])
def test_the_self_check_takes_only_the_answers_it_offers(self_check, value):
    """ "²" is a digit to ``str.isdigit`` that ``int`` refuses, and 5,000 nines are more digits
    than ``int`` reads: both were a server error."""
    client, pulse = self_check
    first = pulse.indicator_ids[0]
    url = reverse("pulses:self_check", args=[pulse.pk])
    response = client.post(url, {f"statement-{first}": value, "go": "finish"})
    assert response.status_code == 302
    saved = list(PulseSelfAnswer.objects.filter(pulse=pulse).values_list("value", flat=True))
    assert saved == ([3] if value == "3" else [])

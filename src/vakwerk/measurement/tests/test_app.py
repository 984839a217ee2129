"""The measurement app: estimates computed when a round closes or HR asks, stored per person,
competency and round, shown with their progress on the HR round dashboard."""

from collections import Counter

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from vakwerk.assessments import services
from vakwerk.assessments.models import (
    Answer,
    Invitation,
    InvitationStatus,
    Round,
    RoundStatus,
    Source,
    Subject,
)
from vakwerk.audit.models import AuditEvent
from vakwerk.audit.services import Actor
from vakwerk.frameworks.models import Level
from vakwerk.measurement import services as measurement
from vakwerk.measurement.engine import ENGINE_VERSION
from vakwerk.measurement.models import Estimate, EstimateRun, RunStatus
from vakwerk.organisations.models import Role

pytest_plugins = ["vakwerk.tests.measured"]
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
ACTOR = Actor(user=None)
NUMBERS = ("estimate", "sd", "lower90", "upper90", "level", "level_lower", "level_upper")


def _expected_counts(round_: Round) -> dict[tuple[int, str], Counter[str]]:
    """Answers given per (employee, competency) and source, peers only when at least the
    round's threshold of peers completed."""
    completed_peers = Counter(
        Invitation.objects.filter(
            subject__round=round_, source=Source.PEER, status=InvitationStatus.COMPLETED
        ).values_list("subject_id", flat=True)
    )
    counts: dict[tuple[int, str], Counter[str]] = {}
    for subject_id, employee_id, code, source in Answer.objects.filter(
        invitation__subject__round=round_,
        invitation__status=InvitationStatus.COMPLETED,
        value__isnull=False,
    ).values_list(
        "invitation__subject_id",
        "invitation__subject__employee_id",
        "indicator__competency__code",
        "invitation__source",
    ):
        if source == Source.PEER and completed_peers[subject_id] < round_.anonymity_threshold:
            continue
        counts.setdefault((employee_id, code), Counter())[source] += 1
    return counts


def _numbers(round_: Round) -> dict[tuple[int, str], tuple[float | None, ...]]:
    return {
        (e.employee_id, e.competency_code): tuple(getattr(e, name) for name in NUMBERS)
        for e in Estimate.objects.filter(round=round_)
    }


def test_closing_a_round_stores_an_estimate_per_person_and_competency(closed_round, team):
    run = EstimateRun.objects.get(round=closed_round)
    assert run.status == RunStatus.DONE
    assert run.progress == 100
    assert run.engine_version == ENGINE_VERSION
    assert run.started_at is not None
    assert run.finished_at is not None
    assert run.error == ""
    subjects = Subject.objects.filter(round=closed_round)
    expected = {(s.employee_id, code) for s in subjects for code in s.competency_codes}
    estimates = list(Estimate.objects.filter(round=closed_round))
    assert {(e.employee_id, e.competency_code) for e in estimates} == expected
    assert len(estimates) == len(expected)
    top = max(Level.objects.filter(version=closed_round.version).values_list("number", flat=True))
    counts = _expected_counts(closed_round)
    manager, members = team
    for e in estimates:
        assert e.run_id == run.pk
        assert e.organisation_id == closed_round.organisation_id
        assert e.version_id == closed_round.version_id
        assert e.engine_version == ENGINE_VERSION
        assert e.sd > 0
        assert e.lower90 < e.estimate < e.upper90
        assert e.upper90 - e.estimate == pytest.approx(1.6448536 * e.sd)
        given = counts.get((e.employee_id, e.competency_code), Counter())
        assert (e.n_self, e.n_manager, e.n_peer, e.n_external, e.n_sjt) == (
            given["self"],
            given["manager"],
            given["peer"],
            0,
            0,
        )
        # Other raters' ratings of this competency anchor the level scale.
        assert e.level is not None
        assert e.level_lower is not None
        assert e.level_upper is not None
        assert 0 <= e.level_lower <= e.level <= e.level_upper <= top
    # The last member had two peers: below the threshold, their ratings are not used.
    last = [e for e in estimates if e.employee_id == members[5].pk]
    assert last
    assert all(e.n_peer == 0 and e.n_manager > 0 for e in last)
    assert any(e.n_peer > 0 for e in estimates if e.employee_id == members[0].pk)
    # The manager has only a self-assessment: estimated, with a wider interval.
    own = [e for e in estimates if e.employee_id == manager.pk]
    assert own
    assert all(e.n_manager == 0 and e.n_peer == 0 and e.n_self > 0 for e in own)
    rated = [e.sd for e in estimates if e.employee_id == members[0].pk]
    assert min(e.sd for e in own) > max(rated)
    assert AuditEvent.objects.filter(action="estimates.request", object_id=str(closed_round.pk))
    assert AuditEvent.objects.filter(action="estimates.store", object_id=str(closed_round.pk))


def test_recomputing_gives_the_same_numbers_and_replaces_the_rows(
    closed_round, django_capture_on_commit_callbacks
):
    first_run = EstimateRun.objects.get(round=closed_round)
    before = _numbers(closed_round)
    count = Estimate.objects.filter(round=closed_round).count()
    with django_capture_on_commit_callbacks(execute=True):
        second_run = measurement.estimates_request(round_=closed_round, actor=ACTOR)
    second_run.refresh_from_db()
    assert second_run.pk != first_run.pk
    assert second_run.status == RunStatus.DONE
    assert Estimate.objects.filter(round=closed_round).count() == count
    assert set(Estimate.objects.filter(round=closed_round).values_list("run_id", flat=True)) == {
        second_run.pk
    }
    assert _numbers(closed_round) == before  # bit for bit


def test_a_second_request_while_one_is_queued_returns_the_same_run(answered_round):
    # Without the commit callbacks the task is never enqueued: the run stays queued.
    services.round_close(round_=answered_round, actor=ACTOR)
    queued = EstimateRun.objects.get(round=answered_round)
    assert queued.status == RunStatus.QUEUED
    again = measurement.estimates_request(round_=answered_round, actor=ACTOR)
    assert again.pk == queued.pk
    assert EstimateRun.objects.filter(round=answered_round).count() == 1
    # Once it has run, a new request makes a new run.
    assert measurement.estimates_compute(run_id=queued.pk) == RunStatus.DONE
    assert measurement.estimates_compute(run_id=queued.pk) == ""  # delivered twice: no-op
    assert measurement.estimates_request(round_=answered_round, actor=ACTOR).pk != queued.pk


def test_only_closed_rounds_are_estimated(answered_round):
    with pytest.raises(ValidationError, match="closed"):
        measurement.estimates_request(round_=answered_round, actor=ACTOR)
    assert not EstimateRun.objects.exists()


def test_a_failing_engine_marks_the_run_failed_and_keeps_earlier_estimates(
    closed_round, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    before = _numbers(closed_round)
    calls = []

    def fit_then_fail(evidence, settings=None):
        calls.append(evidence)
        if len(calls) == 2:  # one competency fitted, the next fails
            raise FloatingPointError("the matrix is singular")
        return fit_competency(evidence, settings)

    from vakwerk.measurement.engine import fit_competency

    monkeypatch.setattr(measurement, "fit_competency", fit_then_fail)
    with django_capture_on_commit_callbacks(execute=True):
        run = measurement.estimates_request(round_=closed_round, actor=ACTOR)
    run.refresh_from_db()
    assert len(calls) == 2
    assert run.status == RunStatus.FAILED
    assert run.finished_at is not None
    assert run.error == "FloatingPointError: the matrix is singular"
    assert "failed" in caplog.text
    # Nothing half-written: the previous run's rows are all still there, unchanged.
    assert _numbers(closed_round) == before
    assert not Estimate.objects.filter(run=run).exists()


def test_a_failing_first_computation_stores_nothing(
    answered_round, monkeypatch, django_capture_on_commit_callbacks
):
    def fail(evidence, settings=None):
        raise ValueError("boom")

    monkeypatch.setattr(measurement, "fit_competency", fail)
    with django_capture_on_commit_callbacks(execute=True):
        services.round_close(round_=answered_round, actor=ACTOR)
    run = EstimateRun.objects.get(round=answered_round)
    assert run.status == RunStatus.FAILED
    assert run.error == "ValueError: boom"
    assert not Estimate.objects.exists()
    answered_round.refresh_from_db()
    assert answered_round.status == RoundStatus.CLOSED  # closing itself is not undone


def test_a_round_without_answers_fails_with_a_readable_reason(
    open_round, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.round_close(round_=open_round, actor=ACTOR)
    run = EstimateRun.objects.get(round=open_round)
    assert run.status == RunStatus.FAILED
    assert run.error == "This round has no completed questionnaires or tests to use."
    assert not Estimate.objects.exists()


# ----------------------------------------------------------------------------- pages


@pytest.fixture
def hr(member_client, organisation):
    client, _user = member_client(organisation, Role.HR)
    return client


def test_dashboard_shows_the_result_and_the_compute_button(hr, closed_round, team):
    response = hr.get(reverse("rounds:detail", args=[closed_round.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Estimated levels" in html
    assert "Done" in html
    assert f"Levels estimated for {len(team[1]) + 1} people on" in html
    assert "Compute estimates" in html
    assert reverse("rounds:estimates_compute", args=[closed_round.pk]) in html
    assert 'hx-trigger="every 2s"' not in html  # nothing pending: no polling


def test_dashboard_polls_while_a_run_is_pending(hr, answered_round):
    services.round_close(round_=answered_round, actor=ACTOR)  # queued, not yet run
    response = hr.get(reverse("rounds:detail", args=[answered_round.pk]))
    html = response.content.decode()
    url = reverse("rounds:estimates", args=[answered_round.pk])
    assert f'hx-get="{url}" hx-trigger="every 2s"' in html
    assert "<progress" in html
    assert "Waiting to start" in html
    assert f'href="{reverse("rounds:detail", args=[answered_round.pk])}#estimates"' in html
    assert "Compute estimates" not in html  # a run is already on its way
    # The polled fragment follows the run and stops polling once it is done.
    run = EstimateRun.objects.get(round=answered_round)
    EstimateRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING, progress=60)
    fragment = hr.get(url, headers={"HX-Request": "true"}).content.decode()
    assert 'value="60"' in fragment
    assert "Computing" in fragment
    assert "<html" not in fragment
    measurement.estimates_compute(run_id=run.pk)  # claimed by nobody: still running, no-op
    EstimateRun.objects.filter(pk=run.pk).update(status=RunStatus.QUEUED)
    measurement.estimates_compute(run_id=run.pk)
    fragment = hr.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in fragment
    assert "Levels estimated for" in fragment
    # Without htmx the fragment URL leads back to the dashboard.
    plain = hr.get(url)
    assert plain.status_code == 302
    assert plain["Location"].endswith("#estimates")


def test_dashboard_shows_a_failed_run(hr, closed_round):
    EstimateRun.objects.filter(round=closed_round).update(
        status=RunStatus.FAILED, error="This round has no completed questionnaires or tests to use."
    )
    html = hr.get(reverse("rounds:detail", args=[closed_round.pk])).content.decode()
    assert "Computing the estimates failed" in html
    assert "Reason: This round has no completed questionnaires or tests to use." in html
    assert "Compute estimates" in html


def test_hr_computes_estimates_on_demand(hr, closed_round, django_capture_on_commit_callbacks):
    url = reverse("rounds:estimates_compute", args=[closed_round.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = hr.post(url, follow=True)
    assert response.status_code == 200
    assert "The estimates are being computed." in response.content.decode()
    runs = list(EstimateRun.objects.filter(round=closed_round))
    assert len(runs) == 2
    assert runs[0].status == RunStatus.DONE
    assert runs[0].requested_by is not None  # the HR user, not the closing of the round
    assert hr.get(url).status_code == 405


def test_computing_an_open_round_is_refused_with_a_message(hr, open_round):
    url = reverse("rounds:estimates_compute", args=[open_round.pk])
    response = hr.post(url, follow=True)
    assert "Estimates are computed once the round is closed." in response.content.decode()
    assert not EstimateRun.objects.exists()
    detail = hr.get(reverse("rounds:detail", args=[open_round.pk])).content.decode()
    assert "Compute estimates" not in detail


@pytest.mark.parametrize("role", [r for r in Role if r != Role.HR])
def test_only_hr_sees_or_computes_estimates(member_client, organisation, closed_round, role):
    client, _user = member_client(organisation, role)
    compute = reverse("rounds:estimates_compute", args=[closed_round.pk])
    assert client.post(compute).status_code == 403
    status = reverse("rounds:estimates", args=[closed_round.pk])
    assert client.get(status, headers={"HX-Request": "true"}).status_code == 403
    assert EstimateRun.objects.filter(round=closed_round).count() == 1


def test_another_organisations_round_is_404(member_client, other_organisation, closed_round):
    client, _user = member_client(other_organisation, Role.HR)
    compute = reverse("rounds:estimates_compute", args=[closed_round.pk])
    assert client.post(compute).status_code == 404
    status = reverse("rounds:estimates", args=[closed_round.pk])
    response = client.get(status, headers={"HX-Request": "true"})
    assert response.status_code == 404
    assert EstimateRun.objects.filter(round=closed_round).count() == 1


def test_progress_is_reported_while_computing(answered_round, monkeypatch):
    services.round_close(round_=answered_round, actor=ACTOR)
    run = EstimateRun.objects.get(round=answered_round)
    seen = []
    report = measurement._progress

    def record(run, value):
        report(run, value)
        seen.append(EstimateRun.objects.values_list("status", "progress").get(pk=run.pk))

    monkeypatch.setattr(measurement, "_progress", record)
    measurement.estimates_compute(run_id=run.pk)
    assert seen[0] == (RunStatus.RUNNING, 10)
    assert seen[-1] == (RunStatus.RUNNING, 60)
    assert [value for _status, value in seen] == sorted(value for _status, value in seen)
    run.refresh_from_db()
    assert (run.status, run.progress) == (RunStatus.DONE, 100)

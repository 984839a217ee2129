"""Half a year of keeping the level, with the clock moved: every periodic job fires on its
schedule (and each delivery twice), and what people get follows from what is due.

One employee with results of a round closed three months before the start, a development
plan with three activities spread over the half year, pulse checks every eight weeks (answered
the moment they appear), results outdated after four months, and the weekly digest switched
off half-way. Checked at every delivery and at the end: each job worked once per period;
pulses came every eight weeks and each moved the level and narrowed its widened interval;
"outdated" holds exactly when a competency's last evidence is four months old; the digests
came exactly in the weeks with an activity due and stopped after the unsubscribe; the
reminders still came.
"""

import datetime as dt
import itertools

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from vakwerk.audit.services import Actor
from vakwerk.development.models import ItemStatus, PlanItem
from vakwerk.measurement import pulse_services
from vakwerk.measurement.models import Estimate, PulseCheck, PulseUpdate
from vakwerk.measurement.selectors import current_levels
from vakwerk.measurement.tests.pulse_data import key_ratings
from vakwerk.nudges import notifications
from vakwerk.nudges.jobs import JOBS, job_run, period_of
from vakwerk.nudges.models import EmailKind, EmailSend, JobRun, JobStatus
from vakwerk.nudges.tests.due import plan_item

pytest_plugins = ["vakwerk.measurement.tests.pulse_data"]
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
ACTOR = Actor(user=None)
DAYS = 182
UNSUBSCRIBE_DAY = 100
DUE_DAYS = (20, 75, 150)  # activity due dates, in days after the start


def _deliveries(start: dt.datetime, end: dt.datetime) -> list[tuple[dt.datetime, str]]:
    """Every (time, job) the scheduler fires between ``start`` and ``end``, in order."""
    fires = []
    for name, job in JOBS.items():
        fire = job.next_run(start)
        while fire is not None and fire < end:
            fires.append((fire, name))
            fire = job.next_run(fire + dt.timedelta(seconds=1))
    return sorted(fires)


def _answer(pulse: PulseCheck) -> None:
    for item in pulse_services.pulse_items(pulse):
        pulse_services.pulse_answer_save(
            pulse=pulse, item=item, ratings=key_ratings(item), actor=ACTOR
        )
    pulse_services.pulse_complete(pulse=pulse, actor=ACTOR)


def test_half_a_year_of_jobs_pulses_ageing_digests_and_reminders(organisation, person):
    _client, employee = person
    organisation.results_outdated_months = 4
    organisation.pulse_interval_weeks = 8
    organisation.save()
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(timezone.localdate() + dt.timedelta(days=1), dt.time(), tz)
    end = start + dt.timedelta(days=DAYS)
    items = {
        day: plan_item(employee, (start + dt.timedelta(days=day)).date(), title=f"Actie {day}")
        for day in DUE_DAYS
    }
    estimates = list(Estimate.objects.filter(employee=employee))
    pulse_days: list[int] = []
    unsubscribed = False

    for when, name in _deliveries(start, end):
        day = (when - start).days
        with time_machine.travel(when, tick=False):
            if day >= UNSUBSCRIBE_DAY and not unsubscribed:
                notifications.unsubscribe(
                    user=employee.user, scope=notifications.DIGEST, actor=ACTOR
                )
                unsubscribed = True
            before = current_levels(organisation, estimates)
            job_run(name)
            job_run(name)  # delivered twice
            if name == "pulses":
                for pulse in PulseCheck.objects.filter(employee=employee, completed_at=None):
                    pulse_days.append(day)
                    _answer(pulse)
                    after = current_levels(organisation, estimates)
                    for e in estimates:
                        if e.competency_code in pulse.competency_codes:
                            # A pulse moves the level and narrows the interval that age widened.
                            assert after[e.pk].estimate != before[e.pk].estimate
                            assert after[e.pk].sd < before[e.pk].sd
                            assert after[e.pk].from_pulse
                            assert not after[e.pk].is_outdated
            # Outdated exactly when the last evidence of a competency is four months old.
            for e in estimates:
                current = current_levels(organisation, [e])[e.pk]
                last = (
                    PulseUpdate.objects.filter(employee=employee, competency_code=e.competency_code)
                    .order_by("-computed_at")
                    .values_list("computed_at", flat=True)
                    .first()
                ) or e.round.closed_at
                assert last is not None
                age = timezone.now() - last
                assert current.is_outdated == (age.total_seconds() / 86400 / (365.25 / 12) >= 4), (
                    day,
                    e.competency_code,
                )
        # Activities are done on the evening of their due date.
        for due_day, item in items.items():
            if day >= due_day:
                PlanItem.objects.filter(pk=item.pk).update(status=ItemStatus.DONE)

    # Every job ran once per period, and only as often as its schedule says.
    for name, job in JOBS.items():
        runs = JobRun.objects.filter(job=name)
        periods = {period_of(job.period, when) for when, n in _deliveries(start, end) if n == name}
        assert set(runs.values_list("period", flat=True)) == periods, name
        assert all(run.status == JobStatus.DONE and run.attempts == 1 for run in runs), name
    assert JobRun.objects.filter(job="digests").count() == 26

    # A pulse every eight weeks, from the first day (the round closed three months earlier).
    assert pulse_days[0] == 0
    assert [b - a for a, b in itertools.pairwise(pulse_days)] == [56] * (len(pulse_days) - 1)
    assert len(pulse_days) == 1 + (DAYS - 1) // 56

    # Digests: exactly the weeks whose Monday lies within a week before an activity's due
    # date (or on it), and none after the unsubscribe.
    mondays = [
        (start + dt.timedelta(days=d)).date()
        for d in range(DAYS)
        if (start + dt.timedelta(days=d)).weekday() == 0
    ]
    expected = {
        monday.strftime("%G-W%V")
        for monday in mondays
        for due_day in DUE_DAYS
        if (start + dt.timedelta(days=due_day)).date() - dt.timedelta(days=7)
        <= monday
        <= (start + dt.timedelta(days=due_day)).date()
        and (monday - start.date()).days < UNSUBSCRIBE_DAY
    }
    digests = EmailSend.objects.filter(user=employee.user, kind=EmailKind.DIGEST)
    assert set(digests.values_list("period", flat=True)) == expected
    assert all(send.status == "sent" for send in digests)
    # In the employee's language: Dutch unless they chose otherwise.
    sent_to = [m for m in mail.outbox if m.to == [employee.email]]
    digest_mails = [m for m in sent_to if m.subject.startswith("Vakwerk deze week")]
    assert len(digest_mails) == len(expected)
    # Each digest names the activities due within its week and no others.
    for message in digest_mails:
        named = {day for day in DUE_DAYS if f"Actie {day}" in message.body}
        assert len(named) == 1, message.body

    # Reminders are a separate choice: each activity was reminded once, the last one too.
    reminder_mails = [
        m
        for m in sent_to
        if m.subject == "Geplande ontwikkelactiviteiten moeten binnenkort klaar zijn"
    ]
    assert len(reminder_mails) == len(DUE_DAYS)
    for due_day, message in zip(DUE_DAYS, reminder_mails, strict=True):
        assert f"Actie {due_day}" in message.body

"""The weekly digest and the plan reminders: who gets one, once per period, preferences and
the one-click unsubscribe, throttled sending through the task."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.tasks import task_backends
from django.test import Client
from django.urls import reverse

from vakwerk.audit.models import AuditEvent
from vakwerk.development import notices
from vakwerk.development.models import ItemStatus, PlanStatus
from vakwerk.nudges import email
from vakwerk.nudges.models import (
    EmailKind,
    EmailSend,
    EmailStatus,
    Notification,
    NotificationKind,
    NotificationPreference,
)
from vakwerk.nudges.tests.due import card, invitation, open_round, person, plan, plan_item
from vakwerk.organisations.models import Role

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
MONDAY = dt.datetime(2026, 11, 30, 7, 30, tzinfo=AMSTERDAM)


def _prefer(employee, **choices):
    NotificationPreference.objects.update_or_create(user=employee.user, defaults=choices)


@pytest.fixture
def english_mail(db):
    """Preferences in English for people made in the test (the default is Dutch)."""

    def make(employee):
        _prefer(employee, language="en")
        return employee

    return make


def test_a_digest_is_sent_once_per_week(organisation, english_mail):
    ann = english_mail(person(organisation, first_name="Ann"))
    card(ann, MONDAY - dt.timedelta(days=1))
    first = email.digests_send_weekly(now=MONDAY)
    assert first["queued"] == 1
    assert [m.to for m in mail.outbox] == [[ann.email]]
    again = email.digests_send_weekly(now=MONDAY + dt.timedelta(hours=3))
    assert again["queued"] == 0
    assert again["already"] == 1
    assert len(mail.outbox) == 1
    sent = EmailSend.objects.get()
    assert (sent.kind, sent.period, sent.status) == (EmailKind.DIGEST, "2026-W49", EmailStatus.SENT)
    assert sent.sent_at is not None
    # The next week is a new period.
    email.digests_send_weekly(now=MONDAY + dt.timedelta(days=7))
    assert len(mail.outbox) == 2


def test_an_empty_digest_is_not_sent(organisation):
    person(organisation)
    card(person(organisation), MONDAY + dt.timedelta(days=2))  # due later, not now
    result = email.digests_send_weekly(now=MONDAY)
    assert result == {"queued": 0, "empty": 2}
    assert mail.outbox == []
    assert not EmailSend.objects.exists()


def test_one_email_for_someone_who_is_employee_and_manager(organisation, english_mail):
    boss = english_mail(person(organisation, Role.EMPLOYEE, Role.MANAGER, first_name="Bram"))
    ann = person(organisation, manager=boss, first_name="Ann")
    card(boss, MONDAY - dt.timedelta(days=1))
    plan(ann, PlanStatus.SUBMITTED)
    email.digests_send_weekly(now=MONDAY)
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert "For you as a manager" in body
    assert f"Development plan of {ann.full_name}" in body
    assert "1 practice exercise is waiting for you" in body


def test_six_months_of_mondays_send_exactly_the_due_digests(organisation, english_mail):
    """Time travel over 26 weeks: the job runs on Monday morning and again two hours later
    (a second scheduler, a retry); in weeks with a digest also on Thursday. A digest goes out
    only in weeks with something due, once, and lists exactly that week's activity."""
    ann = english_mail(person(organisation, first_name="Ann"))
    due_weeks = [0, 3, 4, 10, 25]
    for week in due_weeks:
        plan_item(ann, (MONDAY + dt.timedelta(weeks=week, days=2)).date(), title=f"Week {week}")
    sent_in: list[int] = []
    for week in range(26):
        monday = MONDAY + dt.timedelta(weeks=week)
        runs = [monday, monday + dt.timedelta(hours=2)]
        if week in due_weeks:
            runs.append(monday + dt.timedelta(days=3))
        for now in runs:
            with time_machine.travel(now, tick=False):
                before = len(mail.outbox)
                email.digests_send_weekly(now=now)
            if len(mail.outbox) > before:
                sent_in.append(week)
                body = mail.outbox[-1].body
                assert f"Week {week}" in body
                assert [w for w in due_weeks if f"Week {w}:" in body] == [week]
        # Done by the end of the week: next week's digest must not list it again.
        ann.plans.get().items.filter(activity__title=f"Week {week}").update(status=ItemStatus.DONE)
    assert sent_in == due_weeks
    assert EmailSend.objects.filter(status=EmailStatus.SENT).count() == len(due_weeks)


def test_preferences_are_respected(organisation, english_mail):
    ann = english_mail(person(organisation))
    bob = english_mail(person(organisation))
    for employee in (ann, bob):
        card(employee, MONDAY - dt.timedelta(days=1))
    _prefer(bob, weekly_digest=False)
    result = email.digests_send_weekly(now=MONDAY)
    assert result["unsubscribed"] == 1
    assert [m.to for m in mail.outbox] == [[ann.email]]


def test_unsubscribing_between_queueing_and_sending_skips_the_email(
    organisation, english_mail, settings
):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    ann = english_mail(person(organisation))
    card(ann, MONDAY - dt.timedelta(days=1))
    email.digests_send_weekly(now=MONDAY)
    _prefer(ann, weekly_digest=False)
    assert email.emails_send_batch() == {EmailStatus.SKIPPED: 1}
    skipped = EmailSend.objects.get()
    assert skipped.status == EmailStatus.SKIPPED
    assert skipped.params["reason"] == "unsubscribed"
    assert mail.outbox == []


def test_sending_is_throttled_in_batches(organisation, settings, monkeypatch):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    monkeypatch.setattr(email, "BATCH_SIZE", 2)
    for _ in range(5):
        card(person(organisation), MONDAY - dt.timedelta(days=1))
    backend = task_backends["default"]
    backend.clear()
    assert email.digests_send_weekly(now=MONDAY)["queued"] == 5
    [start] = backend.results
    assert start.task.run_after is None
    assert email.emails_send_batch(limit=email.BATCH_SIZE) == {EmailStatus.SENT: 2, "more": 1}
    assert len(mail.outbox) == 2
    later = backend.results[-1]
    assert later.task.name == "send_queued_emails"
    assert later.task.run_after is not None
    email.emails_send_batch(limit=email.BATCH_SIZE)
    assert email.emails_send_batch(limit=email.BATCH_SIZE) == {EmailStatus.SENT: 1}
    assert len(mail.outbox) == 5
    assert not EmailSend.objects.exclude(status=EmailStatus.SENT).exists()


def test_a_failed_send_is_recorded(organisation, monkeypatch):
    ann = person(organisation)
    card(ann, MONDAY - dt.timedelta(days=1))

    def refuse(self, fail_silently=False):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)
    email.digests_send_weekly(now=MONDAY)
    failed = EmailSend.objects.get()
    assert failed.status == EmailStatus.FAILED
    assert "mail server down" in failed.error


def test_the_email_carries_one_click_unsubscribe_headers(organisation, english_mail, settings):
    ann = english_mail(person(organisation))
    card(ann, MONDAY - dt.timedelta(days=1))
    email.digests_send_weekly(now=MONDAY)
    [message] = mail.outbox
    header = message.extra_headers["List-Unsubscribe"]
    assert header.startswith(f"<{settings.BASE_URL}/meldingen/afmelden/")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert header.strip("<>") in message.body


def _unsubscribe_path(employee, scope):
    return reverse(
        "notifications:unsubscribe", args=[email.unsubscribe_token(employee.user_id, scope)]
    )


def test_one_click_unsubscribe_works_without_login_or_csrf_token(organisation):
    ann = person(organisation)
    card(ann, MONDAY - dt.timedelta(days=1))
    client = Client(enforce_csrf_checks=True)  # as a mail program: no session, no token
    response = client.post(
        _unsubscribe_path(ann, "digest"),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    choice = NotificationPreference.objects.get(user=ann.user)
    assert (choice.weekly_digest, choice.reminders) == (False, True)
    event = AuditEvent.objects.get(action="notifications.unsubscribe")
    assert event.details["scope"] == "digest"
    assert email.digests_send_weekly(now=MONDAY)["unsubscribed"] == 1
    assert mail.outbox == []


def test_the_unsubscribe_page_asks_first_and_can_stop_everything(organisation):
    ann = person(organisation)
    client = Client(enforce_csrf_checks=True)
    path = _unsubscribe_path(ann, "reminders")
    page = client.get(path)
    assert page.status_code == 200
    assert "Stop the reminders" in page.content.decode()
    assert not NotificationPreference.objects.exists()  # looking changes nothing
    response = client.post(path, {"scope": "all"})
    assert "You will no longer get emails from Vakwerk." in response.content.decode()
    choice = NotificationPreference.objects.get(user=ann.user)
    assert (choice.weekly_digest, choice.reminders) == (False, False)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        lambda token: token.replace(":", ":x", 1),
        lambda token: "made-up",
    ],
)
def test_a_tampered_unsubscribe_link_is_refused_with_a_clear_message(organisation, mangle):
    ann = person(organisation)
    token = mangle(email.unsubscribe_token(ann.user_id, "all"))
    client = Client(enforce_csrf_checks=True)
    for response in (
        client.get(reverse("notifications:unsubscribe", args=[token])),
        client.post(reverse("notifications:unsubscribe", args=[token])),
    ):
        assert response.status_code == 404
        assert "This unsubscribe link does not work" in response.content.decode()
    assert not NotificationPreference.objects.exists()


def test_a_token_for_a_scope_cannot_be_turned_into_another():
    token = email.unsubscribe_token(1, "digest")
    assert email.read_unsubscribe_token(token) == (1, "digest")
    with pytest.raises(ValueError, match="scope"):
        email.unsubscribe_token(1, "everything")


# --- reminders -----------------------------------------------------------------------------


@pytest.fixture
def reminded(organisation, english_mail):
    boss = english_mail(person(organisation, Role.EMPLOYEE, Role.MANAGER, first_name="Bram"))
    ann = english_mail(person(organisation, manager=boss, first_name="Ann"))
    today = MONDAY.date()
    mine = plan_item(ann, today + dt.timedelta(days=3), title="Intervisie")
    own_of_boss = plan_item(boss, today + dt.timedelta(days=5), title="Coaching")
    plan_item(ann, today + dt.timedelta(days=12), title="Later")
    return boss, ann, mine, own_of_boss


def test_reminders_go_once_per_due_date_with_a_notification(reminded):
    boss, ann, mine, _own_of_boss = reminded
    result = email.reminders_send(now=MONDAY)
    assert result["queued"] == 2
    by_person = {m.to[0]: m for m in mail.outbox}
    assert set(by_person) == {ann.email, boss.email}
    assert "Intervisie" in by_person[ann.email].body
    assert "Later" not in by_person[ann.email].body
    # The manager gets one email: their own activity and their report's.
    boss_mail = by_person[boss.email].body
    assert "Coaching" in boss_mail
    assert f"Intervisie ({ann.full_name})" in boss_mail
    assert by_person[boss.email].extra_headers["List-Unsubscribe"]
    kinds = set(Notification.objects.values_list("user_id", "kind"))
    assert kinds == {
        (ann.user_id, NotificationKind.PLAN_ACTION),
        (boss.user_id, NotificationKind.PLAN_ACTION),
        (boss.user_id, NotificationKind.TEAM_PLAN_ACTION),
    }
    assert email.reminders_send(now=MONDAY)["queued"] == 0
    assert email.reminders_send(now=MONDAY + dt.timedelta(hours=5))["queued"] == 0
    assert len(mail.outbox) == 2
    # A new due date is reminded again.
    mine.due_date = MONDAY.date() + dt.timedelta(days=6)
    mine.save()
    assert email.reminders_send(now=MONDAY)["queued"] == 2
    assert len(mail.outbox) == 4


def test_reminders_respect_the_choice_but_still_notify(reminded):
    boss, ann, mine, _own = reminded
    _prefer(ann, reminders=False)
    result = email.reminders_send(now=MONDAY)
    assert result["unsubscribed"] == 1
    assert [m.to for m in mail.outbox] == [[boss.email]]
    assert Notification.objects.filter(user=ann.user, kind=NotificationKind.PLAN_ACTION).exists()
    mine.refresh_from_db()
    assert mine.reminded_for == mine.due_date


def test_an_activity_done_before_sending_is_left_out(reminded, settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    boss, _ann, mine, _own_of_boss = reminded
    email.reminders_send(now=MONDAY)
    mine.status = ItemStatus.DONE
    mine.save()
    assert email.emails_send_batch() == {EmailStatus.SENT: 1, EmailStatus.SKIPPED: 1}
    [message] = mail.outbox
    assert message.to == [boss.email]
    assert "Intervisie" not in message.body


def test_the_plan_reminder_command_goes_through_the_same_path(reminded, capsys):
    from django.core.management import call_command

    assert notices.due_reminders_send(MONDAY.date()) == 2
    assert EmailSend.objects.filter(kind=EmailKind.REMINDER).count() == 2
    call_command("send_plan_reminders", "--date", MONDAY.date().isoformat())
    assert "0 plan reminder email(s)" in capsys.readouterr().out


def test_people_without_a_login_or_who_left_get_no_reminder(organisation):
    from vakwerk.tests.factories import EmployeeFactory

    no_login = EmployeeFactory(organisation=organisation, user=None)
    left = person(organisation)
    left.end_date = dt.date(2026, 11, 1)
    left.save()
    for employee in (no_login, left):
        plan_item(employee, MONDAY.date() + dt.timedelta(days=2))
    assert email.reminders_send(now=MONDAY)["queued"] == 0
    assert mail.outbox == []


def test_digest_links_the_questionnaires(organisation, english_mail):
    ann = english_mail(person(organisation))
    bob = person(organisation)
    round_ = open_round(organisation, closes_on=MONDAY.date() + dt.timedelta(days=4))
    asked = invitation(round_, rater=ann, about=bob)
    email.digests_send_weekly(now=MONDAY)
    [message] = mail.outbox
    assert reverse("questionnaires:answer", args=[asked.pk]) in message.body
    assert f"Your feedback on {bob.full_name}" in message.body

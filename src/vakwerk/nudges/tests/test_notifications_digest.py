"""What is due for whom (the digest selectors) and the daily job that puts it in the
notification centre."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from vakwerk.assessments.models import InvitationStatus, RoundStatus
from vakwerk.development.models import ItemStatus, PlanStatus
from vakwerk.nudges import notifications
from vakwerk.nudges.digest import digest_of, digests, recipients
from vakwerk.nudges.models import Notification, NotificationKind
from vakwerk.nudges.tests.due import card, invitation, open_round, person, plan, plan_item
from vakwerk.organisations.models import Role

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
NOW = dt.datetime(2026, 11, 30, 7, 30, tzinfo=AMSTERDAM)  # a Monday
TODAY = NOW.date()


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


@pytest.fixture
def people(organisation):
    boss = person(organisation, Role.EMPLOYEE, Role.MANAGER, first_name="Bram")
    ann = person(organisation, manager=boss, first_name="Ann")
    bob = person(organisation, manager=boss, first_name="Bob")
    return boss, ann, bob


def test_the_digest_holds_exactly_the_due_items(organisation, other_organisation, people):
    boss, ann, bob = people
    # Practice: due before now counts, later or in a retired family does not.
    card(ann, NOW - dt.timedelta(days=1))
    card(ann, NOW - dt.timedelta(minutes=5))
    card(ann, NOW + dt.timedelta(days=1))
    card(ann, NOW - dt.timedelta(days=3), active=False)
    # Plan: due within a week or overdue, not done, approved plan only.
    soon = plan_item(ann, days(3))
    overdue = plan_item(ann, days(-2))
    plan_item(ann, days(10))
    plan_item(ann, days(1), status=ItemStatus.DONE)
    plan_item(ann, None)
    plan_item(bob, days(2), plan_status=PlanStatus.DRAFT)
    # Questionnaires: open ones in open rounds.
    round_ = open_round(organisation, closes_on=days(9), name="Najaarsronde")
    asked = invitation(round_, rater=ann, about=bob)
    own = invitation(round_, rater=ann, about=ann)
    invitation(round_, rater=ann, about=boss, status=InvitationStatus.COMPLETED)
    closed = open_round(organisation, closes_on=days(1))
    closed.status = RoundStatus.CLOSED
    closed.save()
    invitation(closed, rater=ann, about=bob)

    found = digest_of(organisation, ann, now=NOW)

    assert found.practice_due == 2
    assert found.plan_items == [overdue, soon]
    assert set(found.feedback) == {asked, own}
    assert found.plans_to_review == []
    assert found.team_rates == []
    assert found.has_own
    assert not found.has_team
    assert not found.is_empty


def test_a_manager_sees_plans_to_review_and_the_response_of_the_team(organisation, people):
    boss, ann, bob = people
    waiting = plan(ann, PlanStatus.SUBMITTED)
    plan(bob, PlanStatus.DRAFT)
    round_ = open_round(organisation, closes_on=days(5), name="Najaarsronde")
    invitation(round_, rater=ann, about=ann, status=InvitationStatus.COMPLETED)
    invitation(round_, rater=bob, about=bob)
    invitation(round_, rater=bob, about=ann)
    # A round where the team is done is not mentioned.
    done = open_round(organisation, closes_on=days(6))
    invitation(done, rater=ann, about=ann, status=InvitationStatus.COMPLETED)

    found = digest_of(organisation, boss, now=NOW)

    assert found.plans_to_review == [waiting]
    assert [(r.round_name, r.completed, r.invited, r.percent) for r in found.team_rates] == [
        ("Najaarsronde", 1, 3, 33)
    ]
    assert found.has_team
    assert not found.has_own
    assert found.talks == []
    # Someone without reports or anything due has an empty digest.
    assert digest_of(organisation, person(organisation), now=NOW).is_empty


def test_digests_take_the_same_queries_for_one_person_or_many(
    organisation, people, django_assert_max_num_queries
):
    boss, ann, bob = people
    for employee in (ann, bob):
        card(employee, NOW - dt.timedelta(days=1))
        plan_item(employee, days(1))
    round_ = open_round(organisation, closes_on=days(5))
    invitation(round_, rater=ann, about=bob)
    invitation(round_, rater=bob, about=ann)
    with django_assert_max_num_queries(7):
        digests(organisation, [ann], now=NOW)
    with django_assert_max_num_queries(7):
        everyone = digests(organisation, [boss, ann, bob], now=NOW)
    assert everyone[bob.pk].practice_due == 1
    assert everyone[boss.pk].team_rates[0].invited == 2


def test_only_current_people_with_a_login_and_a_membership_get_anything(
    organisation, other_organisation
):
    from vakwerk.tests.factories import EmployeeFactory

    here = person(organisation)
    EmployeeFactory(organisation=organisation, user=None)
    left = person(organisation)
    left.end_date = dt.date(2020, 1, 1)
    left.save()
    elsewhere = person(other_organisation)
    # A login of this organisation's employee record, but no membership here.
    stranger = EmployeeFactory(organisation=organisation, user=elsewhere.user)
    found = list(recipients(organisation))
    assert found == [here]
    assert stranger not in found


def test_the_daily_job_fills_the_centre_once(organisation, other_organisation, people):
    boss, ann, bob = people
    card(ann, NOW - dt.timedelta(days=1))
    item = plan_item(ann, days(3), title="Meeloopdag burgerzaken")
    round_ = open_round(organisation, closes_on=days(9), name="Najaarsronde")
    asked = invitation(round_, rater=ann, about=bob)
    waiting = plan(bob, PlanStatus.SUBMITTED)
    elsewhere = person(other_organisation)
    card(elsewhere, NOW - dt.timedelta(days=1))

    first = notifications.notifications_refresh(now=NOW)
    assert first["created"] == 6  # ann: 3, boss: plan + team rate, elsewhere: practice
    assert notifications.notifications_refresh(now=NOW)["created"] == 0
    assert Notification.objects.count() == 6

    mine = {n.kind: n for n in Notification.objects.filter(user=ann.user)}
    assert set(mine) == {
        NotificationKind.PRACTICE_DUE,
        NotificationKind.PLAN_ACTION,
        NotificationKind.FEEDBACK_REQUEST,
    }
    assert all(n.organisation == organisation for n in mine.values())
    assert mine[NotificationKind.PLAN_ACTION].url == reverse(
        "development:plan", args=[item.plan_id]
    )
    assert mine[NotificationKind.FEEDBACK_REQUEST].url == reverse(
        "questionnaires:answer", args=[asked.pk]
    )
    texts = {kind: notifications.notification_text(n) for kind, n in mine.items()}
    assert texts[NotificationKind.PRACTICE_DUE] == "1 practice exercise is waiting for you."
    assert "Meeloopdag burgerzaken" in texts[NotificationKind.PLAN_ACTION]
    assert "3 December 2026" in texts[NotificationKind.PLAN_ACTION]
    assert texts[NotificationKind.FEEDBACK_REQUEST] == (
        f"Give your feedback on {bob.full_name} in Najaarsronde before 9 December 2026."
    )
    boss_items = {n.kind: n for n in Notification.objects.filter(user=boss.user)}
    assert notifications.notification_text(boss_items[NotificationKind.PLAN_TO_REVIEW]) == (
        f"{bob.full_name} asks you to review their development plan."
    )
    assert boss_items[NotificationKind.PLAN_TO_REVIEW].url == reverse(
        "development:plan", args=[waiting.pk]
    )
    assert notifications.notification_text(boss_items[NotificationKind.TEAM_RESPONSE_RATE]) == (
        "Najaarsronde: your team has answered 0 of 1 questionnaire. "
        "The round closes on 9 December 2026."
    )

    # A read item stays read when the job runs again the next day.
    Notification.objects.filter(user=ann.user).update(read_at=NOW)
    notifications.notifications_refresh(now=NOW + dt.timedelta(days=1))
    assert not Notification.objects.filter(user=ann.user, read_at__isnull=True).exists()


def test_the_practice_item_comes_back_weekly_not_daily(organisation):
    ann = person(organisation)
    card(ann, NOW - dt.timedelta(days=1))
    created = [
        notifications.notifications_refresh(now=NOW + dt.timedelta(days=d))["created"]
        for d in range(14)
    ]
    assert created == [1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]


def test_texts_are_rendered_when_read_in_the_readers_language(organisation):
    from django.utils import translation

    ann = person(organisation)
    notifications.notification_add(
        organisation=organisation,
        user=ann.user,
        kind=NotificationKind.PLAN_ACTION,
        key="plan_item:1:2026-12-03",
        params={"activity": {"nl": "Meeloopdag", "en": "Shadowing day"}, "date": "2026-12-03"},
    )
    stored = Notification.objects.get()
    with translation.override("en"):
        assert notifications.notification_text(stored) == (
            "Your development activity “Shadowing day” is due on 3 December 2026."
        )
    with translation.override("nl"):
        assert "Meeloopdag" in notifications.notification_text(stored)
        assert "3 december 2026" in notifications.notification_text(stored)


def test_adding_the_same_notification_twice_does_nothing(organisation):
    ann = person(organisation)
    arguments = {
        "organisation": organisation,
        "user": ann.user,
        "kind": NotificationKind.PULSE_CHECK_DUE,
        "key": "pulse:7",
        "params": {"date": "2026-12-14"},
    }
    assert notifications.notification_add(**arguments)
    assert not notifications.notification_add(**arguments)
    assert Notification.objects.count() == 1
    assert notifications.notification_text(Notification.objects.get()) == (
        "A pulse check of three minutes is waiting for you, until 14 December 2026."
    )


def test_broken_parameters_fall_back_to_the_kind(organisation):
    ann = person(organisation)
    notifications.notification_add(
        organisation=organisation,
        user=ann.user,
        kind=NotificationKind.FEEDBACK_REQUEST,
        key="invitation:0",
        params={},
    )
    assert notifications.notification_text(Notification.objects.get()) == "Feedback request"


def test_open_pulses_and_running_campaigns_reach_the_centre_once(organisation, people):
    from vakwerk.measurement.models import PulseCheck
    from vakwerk.nudges.models import Campaign
    from vakwerk.people.models import Team

    _boss, ann, bob = people
    pulse = PulseCheck.objects.create(
        created_at=NOW,
        organisation=organisation,
        employee=ann,
        competency_codes=["AV-EMP"],
        item_codes=["x"],
        due_at=NOW + dt.timedelta(days=14),
    )
    team = Team.objects.create(organisation=organisation, name="Balie")
    bob.team = team
    bob.save()
    campaign = Campaign.objects.create(
        organisation=organisation,
        title="Maand van de transparantie",
        competency_codes=["AV-TRA"],
        starts_on=NOW.date() - dt.timedelta(days=3),
        ends_on=NOW.date() + dt.timedelta(days=27),
    )
    campaign.teams.add(team)

    notifications.notifications_refresh(now=NOW)
    assert notifications.notifications_refresh(now=NOW + dt.timedelta(days=1))["created"] == 0
    pulse_item = Notification.objects.get(kind=NotificationKind.PULSE_CHECK_DUE)
    assert pulse_item.user == ann.user
    assert pulse_item.url == reverse("pulses:take", args=[pulse.pk])
    assert "pulse check of three minutes" in notifications.notification_text(pulse_item)
    # Only bob's team is in the campaign.
    campaign_items = Notification.objects.filter(kind=NotificationKind.CAMPAIGN)
    assert [n.user for n in campaign_items] == [bob.user]
    assert "Maand van de transparantie" in notifications.notification_text(campaign_items[0])
    # A handed-in pulse is not announced again; a finished campaign neither.
    PulseCheck.objects.filter(pk=pulse.pk).update(completed_at=NOW)
    Notification.objects.all().delete()
    notifications.notifications_refresh(now=NOW + dt.timedelta(days=40))
    assert not Notification.objects.filter(
        kind__in=[NotificationKind.PULSE_CHECK_DUE, NotificationKind.CAMPAIGN]
    ).exists()


def test_a_manager_hears_of_development_talks_in_the_coming_week(organisation, people):
    boss, ann, bob = people
    soon = plan(ann)
    soon.talk_on = days(3)
    soon.save()
    later = plan(bob)
    later.talk_on = days(12)
    later.save()

    found = digest_of(organisation, boss, now=NOW)
    assert found.talks == [soon]
    assert found.count == 1 + len(found.team_rates) + len(found.plans_to_review)
    assert digest_of(organisation, ann, now=NOW).talks == []

    notifications.notifications_refresh(now=NOW)
    talk = Notification.objects.get(kind=NotificationKind.UPCOMING_TALK)
    assert talk.user == boss.user
    assert notifications.notification_text(talk) == (
        f"Development talk with {ann.full_name} on 3 December 2026."
    )
    assert talk.url == reverse("development:plan", args=[soon.pk])
    # A day that has passed is not announced.
    assert digest_of(organisation, boss, now=NOW + dt.timedelta(days=4)).talks == []

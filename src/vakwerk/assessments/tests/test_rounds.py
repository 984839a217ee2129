"""HR's round pages, the manager's team view and the reminders."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from vakwerk.assessments import reminders, services
from vakwerk.assessments.models import (
    Invitation,
    InvitationStatus,
    ReminderLog,
    Round,
    RoundStatus,
    Source,
    Subject,
)
from vakwerk.audit.models import AuditEvent
from vakwerk.audit.services import Actor
from vakwerk.frameworks.models import RoleProfile
from vakwerk.organisations.models import Role
from vakwerk.tests.factories import (
    EmployeeFactory,
    FrameworkVersionFactory,
    RoundFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db
ACTOR = Actor(user=None)
SECRET_COMMENT = "Zeer geheime opmerking over samenwerking"


@pytest.fixture
def hr(member_client, organisation):
    client, _user = member_client(organisation, Role.HR)
    return client


@pytest.fixture
def team(organisation, framework_version):
    """A team of six with a manager (in the same team), all front-desk officers."""
    team = TeamFactory(organisation=organisation, name="Burgerzaken")
    profile = RoleProfile.objects.get(organisation=organisation, code="baliemedewerker-burgerzaken")
    manager = EmployeeFactory(
        organisation=organisation, team=team, role_profile=profile, last_name="Leider"
    )
    members = EmployeeFactory.create_batch(
        6, organisation=organisation, team=team, manager=manager, role_profile=profile
    )
    return manager, members


@pytest.fixture
def other_team(organisation, framework_version):
    """One person in another team, with no manager."""
    return EmployeeFactory(
        organisation=organisation,
        team=TeamFactory(organisation=organisation, name="Belastingen"),
        last_name="Elders",
    )


@pytest.fixture
def open_round(organisation, framework_version, team, other_team):
    round_ = RoundFactory(
        organisation=organisation, version=framework_version, use_external=True, reminder_days=3
    )
    services.round_open(round_=round_, actor=ACTOR)
    round_.refresh_from_db()
    return round_


def self_invitation(employee) -> Invitation:
    return Invitation.objects.get(subject__employee=employee, source=Source.SELF)


def complete(invitation: Invitation, *, comment: str = "") -> None:
    item = services.invitation_items(invitation)[0]
    services.answer_save(invitation=invitation, indicator=item, value=3)
    if comment:
        services.comment_save(
            invitation=invitation, competency_code=item.competency.code, text=comment
        )
    services.invitation_complete(invitation=invitation, actor=ACTOR)


def round_data(version, /, **changes):
    today = timezone.localdate()
    data = {
        "name": "Meting voorjaar",
        "version": str(version.pk),
        "instruments": ["self", "manager", "peers", "sjt"],
        "opens_on": today.isoformat(),
        "closes_on": (today + dt.timedelta(days=21)).isoformat(),
        "anonymity_threshold": "3",
        "peers_min": "3",
        "peers_max": "8",
        "reminder_days": "3",
    }
    data.update(changes)
    return data


# Creating ---------------------------------------------------------------------------------------


def test_hr_creates_a_round_for_a_team(hr, organisation, framework_version, team):
    page = hr.get(reverse("rounds:create"))
    assert page.status_code == 200
    assert page.context["form"]["anonymity_threshold"].value() == organisation.anonymity_threshold
    burgerzaken = team[0].team
    response = hr.post(
        reverse("rounds:create"), round_data(framework_version, teams=[str(burgerzaken.pk)])
    )
    round_ = Round.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("rounds:detail", args=[round_.pk])
    assert round_.status == RoundStatus.DRAFT
    assert round_.organisation == organisation
    assert list(round_.teams.all()) == [burgerzaken]
    assert (round_.use_self, round_.use_external, round_.use_sjt) == (True, False, True)
    assert AuditEvent.objects.filter(action="round.create").exists()


def test_chosen_competencies_must_belong_to_the_version(hr, framework_version):
    code = framework_version.competencies.values_list("code", flat=True).first()
    response = hr.post(
        reverse("rounds:create"), round_data(framework_version, competency_codes=[code])
    )
    assert response.status_code == 302
    assert Round.objects.get().competency_codes == [code]


def test_create_errors_are_shown_next_to_their_fields(
    hr, organisation, other_organisation, framework_version, english
):
    foreign = FrameworkVersionFactory(framework__organisation=other_organisation, published=True)
    today = timezone.localdate()
    response = hr.post(
        reverse("rounds:create"),
        round_data(
            framework_version,
            version=str(foreign.pk),
            opens_on=(today + dt.timedelta(days=10)).isoformat(),
            closes_on=(today + dt.timedelta(days=5)).isoformat(),
            anonymity_threshold="2",
        ),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"version", "closes_on", "anonymity_threshold"}
    assert "close after" in errors["closes_on"][0]
    html = response.content.decode()
    assert 'id="id_closes_on_error"' in html
    assert 'id="id_anonymity_threshold_error"' in html
    assert foreign.framework.name not in html  # another organisation's version is not offered
    assert not Round.objects.exists()


def test_a_closing_date_in_the_past_is_refused(hr, framework_version):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    response = hr.post(
        reverse("rounds:create"),
        round_data(framework_version, closes_on=yesterday.isoformat()),
    )
    assert "closes_on" in response.context["form"].errors
    assert not Round.objects.exists()


# List, open, dashboard --------------------------------------------------------------------------


def test_the_list_shows_an_empty_state_then_the_rounds(hr, organisation, open_round, english):
    response = hr.get(reverse("rounds:list"))
    assert response.status_code == 200
    assert open_round.name in response.content.decode()
    Round.objects.all().delete()
    assert "There are no rounds yet" in hr.get(reverse("rounds:list")).content.decode()


def test_the_list_shows_the_response_rate(hr, open_round, team):
    _manager, members = team
    complete(self_invitation(members[0]))
    row = hr.get(reverse("rounds:list")).context["page"].object_list[0]
    assert (row.people, row.invited, row.completed) == (8, 14, 1)


def test_hr_sees_how_many_people_opening_measures_then_opens(
    hr, organisation, framework_version, team, other_team, english
):
    round_ = RoundFactory(organisation=organisation, version=framework_version)
    page = hr.get(reverse("rounds:detail", args=[round_.pk]))
    assert page.context["population"] == 8
    assert "measures 8 people" in page.content.decode()
    response = hr.post(reverse("rounds:open", args=[round_.pk]), follow=True)
    round_.refresh_from_db()
    assert round_.status == RoundStatus.OPEN
    assert "8 people are measured" in response.content.decode()


def test_the_dashboard_counts_answers_by_source_and_team_but_never_shows_them(
    hr, open_round, team, other_team, english
):
    manager, members = team
    complete(self_invitation(members[0]), comment=SECRET_COMMENT)
    complete(self_invitation(members[1]))
    complete(Invitation.objects.get(subject__employee=members[0], source=Source.MANAGER))
    subject = Subject.objects.get(round=open_round, employee=members[2])
    Subject.objects.filter(pk=subject.pk).update(sjt_completed_at=timezone.now())

    response = hr.get(reverse("rounds:detail", args=[open_round.pk]))
    assert response.status_code == 200
    by_source = {rate.key: (rate.invited, rate.completed) for rate in response.context["by_source"]}
    # 8 people: 8 self-assessments; 6 manager assessments (the manager and the other team's
    # person have no manager); no peers approved yet.
    assert by_source == {"self": (8, 2), "manager": (6, 1), "peer": (0, 0), "external": (0, 0)}
    sjt = response.context["sjt"]
    assert (sjt.invited, sjt.completed) == (8, 1)
    by_team = {rate.label: (rate.invited, rate.completed) for rate in response.context["by_team"]}
    assert by_team == {"Burgerzaken": (13, 3), "Belastingen": (1, 0)}

    names = {person.name for person in response.context["non_responders"]}
    assert members[1].full_name not in names  # answered everything
    assert {members[2].full_name, manager.full_name, other_team.full_name} <= names
    manager_row = next(p for p in response.context["non_responders"] if p.name == manager.full_name)
    assert len(manager_row.questionnaires) == 6  # self + five manager assessments still open
    assert manager_row.questionnaires[0] == "Self-assessment"  # own questionnaire first

    html = response.content.decode()
    assert escape(members[2].full_name) in html  # a name may hold an apostrophe: van 't Hof
    assert SECRET_COMMENT not in html


def test_non_responders_are_paged(hr, open_round, monkeypatch):
    from vakwerk.assessments import round_views

    monkeypatch.setattr(round_views, "NON_RESPONDERS_PER_PAGE", 3)
    first = hr.get(reverse("rounds:detail", args=[open_round.pk]))
    assert len(first.context["non_responders"]) == 3
    assert first.context["page"].paginator.count == 8
    last = hr.get(reverse("rounds:detail", args=[open_round.pk]), {"pagina": 3})
    assert len(last.context["non_responders"]) == 2


def test_the_dashboard_does_a_bounded_number_of_queries(
    hr, organisation, open_round, team, django_assert_max_num_queries
):
    url = reverse("rounds:detail", args=[open_round.pk])
    hr.get(url)  # warm the session and the caches
    with CaptureQueriesContext(connection) as small:
        hr.get(url)
    # Twenty more people in five more teams, with external raters: no more queries.
    for n in range(5):
        extra_team = TeamFactory(organisation=organisation)
        for person in EmployeeFactory.create_batch(
            4, organisation=organisation, team=extra_team, manager=team[0]
        ):
            subject = Subject.objects.create(round=open_round, employee=person)
            Invitation.objects.create(subject=subject, source=Source.SELF, rater=person)
            services.external_invite(
                subject=subject,
                actor=ACTOR,
                name=f"Partner {n}",
                email=f"partner{n}@example.nl",
                relation="ketenpartner",
            )
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = hr.get(url)
    assert response.context["page"].paginator.count == 8 + 20 + 5


def test_extend_then_close_after_confirmation(hr, open_round, english):
    later = open_round.closes_on + dt.timedelta(days=7)
    response = hr.post(
        reverse("rounds:extend", args=[open_round.pk]), {"closes_on": later.isoformat()}
    )
    assert response.status_code == 302
    open_round.refresh_from_db()
    assert open_round.closes_on == later
    refused = hr.post(
        reverse("rounds:extend", args=[open_round.pk]), {"closes_on": later.isoformat()}
    )
    assert refused.status_code == 200
    assert "after the current closing date" in refused.context["form"].errors["closes_on"][0]

    confirm = hr.get(reverse("rounds:close", args=[open_round.pk]))
    assert confirm.status_code == 200
    assert "Yes, close the round" in confirm.content.decode()
    open_round.refresh_from_db()
    assert open_round.status == RoundStatus.OPEN  # looking at the question closes nothing
    hr.post(reverse("rounds:close", args=[open_round.pk]))
    open_round.refresh_from_db()
    assert open_round.status == RoundStatus.CLOSED
    assert AuditEvent.objects.filter(action="round.close").exists()
    closed = hr.get(reverse("rounds:detail", args=[open_round.pk]))
    assert closed.status_code == 200
    assert "extend_form" not in closed.context


@pytest.mark.parametrize("role", [Role.EMPLOYEE, Role.MANAGER, Role.ADMIN])
def test_only_hr_manages_rounds(member_client, organisation, open_round, role):
    client, _user = member_client(organisation, role)
    for url in (
        reverse("rounds:list"),
        reverse("rounds:create"),
        reverse("rounds:detail", args=[open_round.pk]),
        reverse("rounds:close", args=[open_round.pk]),
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("rounds:remind", args=[open_round.pk])).status_code == 403


def test_another_organisations_round_is_404(hr, other_organisation):
    foreign = RoundFactory(organisation=other_organisation)
    assert hr.get(reverse("rounds:detail", args=[foreign.pk])).status_code == 404
    assert hr.post(reverse("rounds:close", args=[foreign.pk])).status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == RoundStatus.DRAFT


def test_another_organisations_team_cannot_be_reminded(hr, open_round, other_organisation):
    foreign_team = TeamFactory(organisation=other_organisation)
    response = hr.post(
        reverse("rounds:remind", args=[open_round.pk]), {"team": str(foreign_team.pk)}
    )
    assert response.status_code == 404
    assert not ReminderLog.objects.exists()


# Reminders --------------------------------------------------------------------------------------


def test_team_reminder_sends_one_email_per_non_responder_once(
    hr,
    open_round,
    team,
    other_team,
    django_capture_on_commit_callbacks,
    mailoutbox,
):
    manager, members = team
    complete(self_invitation(members[0]))
    burgerzaken = manager.team
    url = reverse("rounds:remind", args=[open_round.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = hr.post(url, {"team": str(burgerzaken.pk)})
    assert response.status_code == 302
    # Members 1-5 and the manager; member 0 answered; the other team is not reminded.
    recipients = sorted(message.to[0] for message in mailoutbox)
    assert recipients == sorted([manager.email, *(m.email for m in members[1:])])
    manager_mail = next(m for m in mailoutbox if m.to == [manager.email])
    for member in members[1:]:  # one email lists every questionnaire, by subject
        assert member.full_name in manager_mail.body
    assert manager_mail.body.count("\n- ") == 7  # their own and six manager assessments
    html, mimetype = manager_mail.alternatives[0]
    assert mimetype == "text/html"
    assert 'lang="nl"' in html  # Dutch by default
    assert "/vragenlijsten/" in manager_mail.body
    assert open_round.name in manager_mail.subject

    with django_capture_on_commit_callbacks(execute=True):
        hr.post(url, {"team": str(burgerzaken.pk)})
    assert len(mailoutbox) == 6  # the same day again: nothing more
    first, second = AuditEvent.objects.filter(action="round.remind").order_by("pk")
    assert (first.details["recipients"], second.details["recipients"]) == (6, 0)
    event = first
    # The manager's own and six manager assessments, and five self-assessments.
    assert event.details["invitations"] == 12


def test_a_reminder_lists_nothing_that_was_answered_in_the_meantime(open_round, team, mailoutbox):
    _manager, members = team
    invitation = self_invitation(members[0])
    result = reminders.remind_non_responders(
        round_=open_round, actor=ACTOR, kind="manual-test", team=members[0].team
    )
    assert result.recipients == 7
    complete(invitation)
    assert reminders.reminder_send(invitation_ids=[invitation.pk]) == 0
    assert mailoutbox == []


def test_external_raters_are_told_to_use_their_invitation_link(
    open_round, team, django_capture_on_commit_callbacks, mailoutbox, english
):
    _manager, members = team
    subject = Subject.objects.get(round=open_round, employee=members[0])
    services.external_invite(
        subject=subject,
        actor=ACTOR,
        name="Wethouder Bakker",
        email="w.bakker@example.nl",
        relation="wethouder",
    )
    with django_capture_on_commit_callbacks(execute=True):
        reminders.remind_non_responders(round_=open_round, actor=ACTOR, kind="manual-x")
    message = next(m for m in mailoutbox if m.to == ["w.bakker@example.nl"])
    assert "link from the invitation email" in message.body
    assert "/vragenlijsten/" not in message.body
    assert members[0].full_name in message.body
    assert 'lang="en"' in message.alternatives[0][0]


def test_automatic_reminders_go_out_only_on_the_right_day(
    open_round, django_capture_on_commit_callbacks, mailoutbox
):
    too_early = open_round.closes_on - dt.timedelta(days=4)
    right_day = open_round.closes_on - dt.timedelta(days=3)
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders.send_due_reminders(too_early) == 0
    assert mailoutbox == []
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders.send_due_reminders(right_day) == 8
    assert len(mailoutbox) == 8
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders.send_due_reminders(right_day) == 0  # the job ran twice
    assert len(mailoutbox) == 8
    assert set(ReminderLog.objects.values_list("kind", flat=True)) == {
        f"auto-{open_round.closes_on.isoformat()}"
    }


def test_closed_rounds_get_no_reminders(open_round, mailoutbox):
    services.round_close(round_=open_round, actor=ACTOR)
    assert reminders.send_due_reminders(open_round.closes_on - dt.timedelta(days=3)) == 0
    assert not ReminderLog.objects.exists()


def test_the_command_queues_the_due_reminders(
    open_round, django_capture_on_commit_callbacks, mailoutbox
):
    right_day = open_round.closes_on - dt.timedelta(days=3)
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_round_reminders", "--date", right_day.isoformat(), stdout=out)
    assert "8 reminder(s)" in out.getvalue()
    assert len(mailoutbox) == 8


# The manager's view -----------------------------------------------------------------------------


def test_a_manager_sees_counts_for_their_reports(member_client, organisation, open_round, team):
    manager, members = team
    client, user = member_client(organisation, Role.MANAGER)
    manager.user = user
    manager.save()
    complete(self_invitation(members[0]), comment=SECRET_COMMENT)
    response = client.get(reverse("rounds:team", args=[open_round.pk]))
    assert response.status_code == 200
    rows = {row.employee: row for row in response.context["rows"]}
    assert set(rows) == set(members)
    first = rows[members[0]]
    assert (first.to_answer.completed, first.to_answer.invited) == (1, 1)
    assert (first.about.completed, first.about.invited) == (1, 2)  # self done, manager open
    assert (rows[members[1]].to_answer.completed, rows[members[1]].about.invited) == (0, 2)
    assert SECRET_COMMENT not in response.content.decode()


def test_a_manager_of_nobody_in_the_round_gets_404(member_client, organisation, open_round):
    client, user = member_client(organisation, Role.MANAGER)
    EmployeeFactory(organisation=organisation, user=user)
    assert client.get(reverse("rounds:team", args=[open_round.pk])).status_code == 404


def test_hr_sees_the_rounds_navigation_item(hr, english):
    page = hr.get(reverse("rounds:list"))
    assert {"label": "Rounds", "url": reverse("rounds:list"), "current": True} in [
        {**item, "label": str(item["label"])} for item in page.context["navigation"]
    ]


def test_invitations_nominated_or_withdrawn_are_not_counted(hr, open_round, team):
    _manager, members = team
    subject = Subject.objects.get(round=open_round, employee=members[0])
    services.peers_nominate(subject=subject, actor=ACTOR, peers=members[1:4])
    response = hr.get(reverse("rounds:detail", args=[open_round.pk]))
    peer = next(rate for rate in response.context["by_source"] if rate.key == "peer")
    assert peer.invited == 0
    assert Invitation.objects.filter(status=InvitationStatus.NOMINATED).count() == 3

"""The rater-facing pages: my questionnaires, choosing colleagues, external raters and the
questionnaire itself (htmx saves and plain form posts)."""

import datetime as dt
import re
from dataclasses import dataclass

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from vakwerk.assessments import services
from vakwerk.assessments.models import (
    Answer,
    Comment,
    Invitation,
    InvitationStatus,
    Round,
    Source,
    Subject,
)
from vakwerk.audit.models import AuditEvent
from vakwerk.audit.services import Actor
from vakwerk.frameworks.models import Indicator, RoleProfile
from vakwerk.organisations.models import Role
from vakwerk.people.models import Employee
from vakwerk.tests.factories import EmployeeFactory, RoundFactory, TeamFactory

pytest_plugins = ["vakwerk.tests.browser"]
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
ACTOR = Actor(user=None)
HTMX = {"HTTP_HX_REQUEST": "true"}


@dataclass
class Team:
    round: Round
    manager: Employee
    members: list[Employee]

    def subject(self, employee: Employee) -> Subject:
        return Subject.objects.get(round=self.round, employee=employee)

    def invitation(self, employee: Employee, source: str = Source.SELF) -> Invitation:
        return Invitation.objects.get(subject__employee=employee, source=source)


@pytest.fixture
def team(organisation, framework_version) -> Team:
    """An open round (with external raters) for a manager and six front-desk officers."""
    group = TeamFactory(organisation=organisation)
    profile = RoleProfile.objects.get(organisation=organisation, code="baliemedewerker-burgerzaken")
    manager = EmployeeFactory(
        organisation=organisation, team=group, role_profile=profile, first_name="Marieke"
    )
    members = [
        EmployeeFactory(
            organisation=organisation,
            team=group,
            manager=manager,
            role_profile=profile,
            first_name=f"Collega{n}",
        )
        for n in range(6)
    ]
    round_ = RoundFactory(organisation=organisation, version=framework_version, use_external=True)
    services.round_open(round_=round_, actor=ACTOR)
    round_.refresh_from_db()
    return Team(round_, manager, members)


@pytest.fixture
def login(member_client, organisation):
    """A logged-in client for an employee of ``organisation``."""

    def make(employee: Employee, *roles: Role) -> Client:
        client, user = member_client(organisation, *(roles or (Role.EMPLOYEE,)))
        employee.user = user
        employee.save(update_fields=["user"])
        return client

    return make


def _answer_all(invitation: Invitation, value: int | None = 2) -> list[Indicator]:
    items = services.invitation_items(invitation)
    for item in items:
        services.answer_save(invitation=invitation, indicator=item, value=value)
    return items


def _sjt_exists() -> bool:
    try:
        reverse("sjt:take", kwargs={"subject_id": 1})
    except NoReverseMatch:
        return False
    return True


# ---------------------------------------------------------------------------------------------
# My questionnaires
# ---------------------------------------------------------------------------------------------


def test_my_questionnaires_shows_my_round_with_links(team, login):
    person = team.members[0]
    client = login(person)
    response = client.get(reverse("questionnaires:mine"))
    assert response.status_code == 200
    content = response.content.decode()
    subject = team.subject(person)
    assert reverse("questionnaires:answer", args=[team.invitation(person).pk]) in content
    assert reverse("questionnaires:nominate", args=[subject.pk]) in content
    assert team.round.name in content
    # The SJT link appears once that page exists, never as a broken link before.
    if _sjt_exists():
        assert reverse("sjt:take", kwargs={"subject_id": subject.pk}) in content
    else:
        assert "Situational judgement test" not in content
    assert reverse("questionnaires:mine") in [
        item["url"] for item in response.context["navigation"]
    ]


def test_manager_sees_questionnaires_for_others_and_colleagues_to_approve(team, login):
    client = login(team.manager, Role.MANAGER)
    services.peers_nominate(
        subject=team.subject(team.members[0]), actor=ACTOR, peers=team.members[1:4]
    )
    response = client.get(reverse("questionnaires:mine"))
    content = response.content.decode()
    for member in team.members:
        invitation = team.invitation(member, Source.MANAGER)
        assert reverse("questionnaires:answer", args=[invitation.pk]) in content
        # Approve for those who nominated and for those who did not yet.
        assert reverse("questionnaires:approve", args=[team.subject(member).pk]) in content
        assert reverse("questionnaires:external", args=[team.subject(member).pk]) in content
    assert "3 nominated, waiting for you" in content
    assert len(response.context["for_others"]) == 6
    total = response.context["for_others"][0].total
    assert total > 0
    assert f"0 of {total} answered" not in content  # not started is said in words
    assert "Not started" in content


def test_progress_of_a_questionnaire_for_others_is_shown(team, login):
    peer = team.members[1]
    client = login(peer)
    subject = team.subject(team.members[0])
    services.peers_approve(subject=subject, actor=ACTOR, peers=team.members[1:4])
    invitation = Invitation.objects.get(subject=subject, rater=peer, source=Source.PEER)
    items = services.invitation_items(invitation)
    services.answer_save(invitation=invitation, indicator=items[0], value=3)
    content = client.get(reverse("questionnaires:mine")).content.decode()
    assert f"1 of {len(items)} answered" in content
    assert reverse("questionnaires:answer", args=[invitation.pk]) in content


def test_my_questionnaires_without_employee_record_or_round_says_so(
    member_client, organisation, login
):
    client, _ = member_client(organisation)
    response = client.get(reverse("questionnaires:mine"))
    assert response.status_code == 200
    assert "not linked to an employee record" in response.content.decode()
    client = login(EmployeeFactory(organisation=organisation))
    assert (
        "nothing for you to fill in" in client.get(reverse("questionnaires:mine")).content.decode()
    )


# ---------------------------------------------------------------------------------------------
# Choosing colleagues
# ---------------------------------------------------------------------------------------------


def test_only_the_subject_opens_the_nomination_page(team, login, other_organisation):
    subject = team.subject(team.members[0])
    url = reverse("questionnaires:nominate", args=[subject.pk])
    assert login(team.members[0]).get(url).status_code == 200
    assert login(team.members[1]).get(url).status_code == 404
    assert login(team.manager, Role.MANAGER).get(url).status_code == 404
    assert login(team.members[2], Role.HR, Role.ADMIN).post(url, {}).status_code == 404


def test_only_the_manager_opens_approval_and_external_invitation(team, login):
    subject = team.subject(team.members[0])
    for name in ("questionnaires:approve", "questionnaires:external"):
        url = reverse(name, args=[subject.pk])
        assert login(team.manager, Role.MANAGER).get(url).status_code == 200
        assert login(team.members[0]).get(url).status_code == 404
        assert login(team.members[1], Role.MANAGER, Role.HR).get(url).status_code == 404


def test_pages_of_another_organisation_are_404(team, member_client, other_organisation):
    """Someone with an employee record elsewhere reaches nothing here by id."""
    client, user = member_client(other_organisation, Role.MANAGER)
    EmployeeFactory(organisation=other_organisation, user=user)
    subject = team.subject(team.members[0])
    invitation = team.invitation(team.members[0])
    for url in (
        reverse("questionnaires:nominate", args=[subject.pk]),
        reverse("questionnaires:approve", args=[subject.pk]),
        reverse("questionnaires:external", args=[subject.pk]),
        reverse("questionnaires:answer", args=[invitation.pk]),
    ):
        assert client.get(url).status_code == 404, url
    response = client.post(
        reverse("questionnaires:answer_item", args=[invitation.pk]), {"x": "1"}, **HTMX
    )
    assert response.status_code == 404


def test_nominating_colleagues(team, login):
    person = team.members[0]
    client = login(person)
    subject = team.subject(person)
    url = reverse("questionnaires:nominate", args=[subject.pk])
    chosen = [p.pk for p in team.members[1:4]]
    response = client.post(url, {"peers": chosen, "actie": "opslaan"})
    assert response.status_code == 302
    assert response["Location"] == reverse("questionnaires:mine")
    peers = subject.invitations.filter(source=Source.PEER)
    assert set(peers.values_list("rater_id", flat=True)) == set(chosen)
    assert set(peers.values_list("status", flat=True)) == {InvitationStatus.NOMINATED}
    # Coming back shows the choice, checked.
    content = client.get(url).content.decode()
    for pk in chosen:
        assert re.search(rf'id="peer-{pk}" name="peers" value="{pk}" checked', content)


def test_too_few_colleagues_shows_the_error_next_to_the_field(team, login):
    subject = team.subject(team.members[0])
    client = login(team.members[0])
    url = reverse("questionnaires:nominate", args=[subject.pk])
    response = client.post(url, {"peers": [team.members[1].pk], "actie": "opslaan"})
    assert response.status_code == 200
    content = response.content.decode()
    error = re.search(
        r'<div class="utrecht-form-field-error-message" id="peers-error">(.*?)</div>', content, re.S
    )
    assert error
    assert "Choose between 3 and 8 colleagues; you chose 1." in error.group(1)
    assert 'id="peers" aria-describedby="peers-error"' in content
    # The choice so far is kept.
    assert f'value="{team.members[1].pk}" checked' in content
    assert not subject.invitations.filter(source=Source.PEER).exists()


def test_too_many_colleagues_is_refused(team, login):
    Round.objects.filter(pk=team.round.pk).update(peers_min=1, peers_max=2)
    subject = team.subject(team.members[0])
    client = login(team.members[0])
    url = reverse("questionnaires:nominate", args=[subject.pk])
    response = client.post(url, {"peers": [p.pk for p in team.members[1:4]], "actie": "opslaan"})
    assert response.status_code == 200
    assert "Choose between 1 and 2 colleagues; you chose 3." in response.context["errors"]


def test_a_colleague_who_left_is_taken_off_the_list_with_an_explanation(team, login):
    subject = team.subject(team.members[0])
    services.peers_nominate(subject=subject, actor=ACTOR, peers=team.members[1:4])
    leaver = team.members[1]
    leaver.end_date = dt.date(2020, 1, 1)
    leaver.save(update_fields=["end_date"])
    client = login(team.manager, Role.MANAGER)
    url = reverse("questionnaires:approve", args=[subject.pk])
    response = client.post(url, {"peers": [p.pk for p in team.members[1:4]], "actie": "opslaan"})
    assert response.status_code == 200
    assert "no longer a current colleague" in " ".join(response.context["errors"])
    assert leaver not in response.context["chosen"]
    assert len(response.context["chosen"]) == 2
    subject.refresh_from_db()
    assert subject.peers_approved_at is None


def test_searching_and_paging_keep_the_colleagues_chosen_so_far(team, login, organisation):
    subject = team.subject(team.members[0])
    client = login(team.members[0])
    EmployeeFactory.create_batch(25, organisation=organisation, last_name="Jansen")
    url = reverse("questionnaires:nominate", args=[subject.pk])
    first = team.members[1]
    response = client.post(url, {"peers": [first.pk], "zoek": "Jansen", "actie": "zoeken"})
    assert response.status_code == 200
    assert [p.pk for p in response.context["chosen"]] == [first.pk]
    page = response.context["page"]
    assert page.paginator.count == 25
    assert len(page.object_list) == 20
    assert all(p.last_name == "Jansen" for p in page.object_list)
    assert not subject.invitations.filter(source=Source.PEER).exists()  # nothing saved yet
    second = client.post(url, {"peers": [first.pk], "zoek": "Jansen", "pagina": "2"})
    assert len(second.context["page"].object_list) == 5
    assert [p.pk for p in second.context["chosen"]] == [first.pk]
    # Search by first and last name together; the subject is never a candidate.
    found = client.get(url, {"zoek": f"{first.first_name} {first.last_name}"})
    assert [p.pk for p in found.context["page"].object_list] == [first.pk]
    me = client.get(url, {"zoek": team.members[0].last_name}).context["page"].object_list
    assert team.members[0] not in me


def test_the_manager_approves_a_changed_list(team, login):
    subject = team.subject(team.members[0])
    services.peers_nominate(subject=subject, actor=ACTOR, peers=team.members[1:4])
    client = login(team.manager, Role.MANAGER)
    url = reverse("questionnaires:approve", args=[subject.pk])
    response = client.get(url)
    assert {p.pk for p in response.context["chosen"]} == {p.pk for p in team.members[1:4]}
    new = [team.members[2].pk, team.members[3].pk, team.members[5].pk]
    response = client.post(url, {"peers": new, "actie": "opslaan"})
    assert response.status_code == 302
    statuses = dict(
        subject.invitations.filter(source=Source.PEER).values_list("rater_id", "status")
    )
    assert statuses[team.members[1].pk] == InvitationStatus.WITHDRAWN
    assert {pk: statuses[pk] for pk in new} == dict.fromkeys(new, InvitationStatus.OPEN)
    subject.refresh_from_db()
    assert subject.peers_approved_at is not None
    # The subject can no longer change the list.
    page = login(team.members[0]).get(reverse("questionnaires:nominate", args=[subject.pk]))
    assert page.context["locked"]
    assert b'name="actie" value="opslaan"' not in page.content


# ---------------------------------------------------------------------------------------------
# External raters
# ---------------------------------------------------------------------------------------------


def test_external_invitation_mails_a_link_that_opens_without_login(
    team, login, django_capture_on_commit_callbacks
):
    subject = team.subject(team.members[0])
    client = login(team.manager, Role.MANAGER)
    url = reverse("questionnaires:external", args=[subject.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url,
            {"name": "Wethouder Bakker", "email": "w.bakker@example.nl", "relation": "wethouder"},
        )
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["w.bakker@example.nl"]
    match = re.search(r"http://testserver(/vragenlijsten/extern/([^/\s]+)/)", message.body)
    assert match
    link, token = match.group(1), match.group(2)
    assert isinstance(message, EmailMultiAlternatives)
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert f'href="http://testserver{link}"' in str(html)
    # The token is stored nowhere, only its hash.
    invitation = Invitation.objects.get(subject=subject, source=Source.EXTERNAL)
    assert invitation.token_hash == services.hash_token(token) != token
    for event in AuditEvent.objects.all():
        assert token not in str(event.details)
    assert token not in client.get(url).content.decode()  # the confirmation page
    # The link opens the questionnaire without an account.
    anonymous = Client()
    page = anonymous.get(link)
    assert page.status_code == 200
    assert f"How often does {team.members[0].first_name} show this behaviour?" in (
        page.content.decode()
    )
    assert page.context["invitation"] == invitation


def test_an_invalid_or_expired_link_is_a_clear_404(team):
    response = Client().get(reverse("questionnaires:external_answer", args=["niet-geldig"]))
    assert response.status_code == 404
    assert "This link does not work" in response.content.decode()
    with translation.override("nl"):
        dutch = Client(HTTP_ACCEPT_LANGUAGE="nl").get(
            reverse("questionnaires:external_answer", args=["niet-geldig"])
        )
    assert dutch.status_code == 404
    assert dutch.headers["Content-Language"] == "nl"


def test_a_member_of_another_organisation_cannot_use_an_external_link(
    team, member_client, other_organisation
):
    _, token = services.external_invite(
        subject=team.subject(team.members[0]),
        actor=ACTOR,
        name="X",
        email="x@example.nl",
        relation="y",
    )
    url = reverse("questionnaires:external_answer", args=[token])
    client, _ = member_client(other_organisation)
    assert client.get(url).status_code == 404
    assert Client().get(url).status_code == 200


def test_an_external_rater_saves_answers_through_the_link(team):
    invitation, token = services.external_invite(
        subject=team.subject(team.members[0]),
        actor=ACTOR,
        name="X",
        email="x@example.nl",
        relation="y",
    )
    item = services.invitation_items(invitation)[0]
    url = reverse("questionnaires:external_answer_item", args=[token])
    client = Client()
    for value in ("1", "4"):
        response = client.post(url, {f"item-{item.pk}": value}, **HTMX)
        assert response.status_code == 200
    assert list(Answer.objects.filter(invitation=invitation).values_list("value", flat=True)) == [4]
    assert (
        client.post(
            reverse("questionnaires:external_answer_item", args=["fout"]), {f"item-{item.pk}": "1"}
        ).status_code
        == 404
    )


# ---------------------------------------------------------------------------------------------
# The questionnaire
# ---------------------------------------------------------------------------------------------


def test_only_the_rater_opens_a_questionnaire(team, login):
    invitation = team.invitation(team.members[0], Source.MANAGER)
    url = reverse("questionnaires:answer", args=[invitation.pk])
    assert login(team.manager, Role.MANAGER).get(url).status_code == 200
    assert login(team.members[0]).get(url).status_code == 404
    item_url = reverse("questionnaires:answer_item", args=[invitation.pk])
    assert login(team.members[1], Role.HR).post(item_url, {}, **HTMX).status_code == 404


def test_the_questionnaire_groups_items_by_competency_with_the_current_answer(team, login):
    person = team.members[0]
    invitation = team.invitation(person)
    items = services.invitation_items(invitation)
    services.answer_save(invitation=invitation, indicator=items[0], value=3)
    services.answer_save(invitation=invitation, indicator=items[1], value=None)
    response = login(person).get(reverse("questionnaires:answer", args=[invitation.pk]))
    content = response.content.decode()
    assert "How often do you show this behaviour?" in content
    competency = items[0].competency
    assert re.search(
        r'<legend class="[^"]*"><h2 class="[^"]*">' + re.escape(competency.label), content
    )
    assert f'vakwerk-item__legend">{items[0].label}</legend>' in content
    assert f'name="item-{items[0].pk}" value="3" checked' in content
    assert f'id="item-{items[1].pk}-none" name="item-{items[1].pk}" value="" checked' in content
    assert f'hx-post="{reverse("questionnaires:answer_item", args=[invitation.pk])}"' in content
    assert 'hx-trigger="change"' in content
    assert "X-CSRFToken" in content
    assert (
        f'<progress id="progress-bar" class="vakwerk-progress__bar" max="{len(items)}" value="2">'
        in content
    )
    assert f"2 of {len(items)} answered" in content
    groups = response.context["questionnaire"].groups
    assert sum(len(g.items) for g in groups) == len(items)
    assert len({g.competency.pk for g in groups}) == len(groups)


def test_an_htmx_save_returns_the_progress_fragment_and_stores_one_answer(team, login):
    person = team.members[0]
    invitation = team.invitation(person)
    items = services.invitation_items(invitation)
    client = login(person)
    url = reverse("questionnaires:answer_item", args=[invitation.pk])
    response = client.post(url, {f"item-{items[0].pk}": "2"}, **HTMX)
    assert response.status_code == 200
    content = response.content.decode()
    assert content.startswith(f"Saved. 1 of {len(items)} answered.")
    assert '<div id="progress" class="vakwerk-progress" hx-swap-oob="true">' in content
    assert "<html" not in content
    assert Answer.objects.filter(invitation=invitation).count() == 1
    # The same item twice (two tabs, a double click): one answer, the last value.
    client.post(url, {f"item-{items[0].pk}": "4"}, **HTMX)
    response = client.post(url, {f"item-{items[0].pk}": ""}, **HTMX)
    assert f"1 of {len(items)} answered" in response.content.decode()
    answers = Answer.objects.filter(invitation=invitation)
    assert [(a.indicator_id, a.value) for a in answers] == [(items[0].pk, None)]
    # A comment is saved the same way.
    code = items[0].competency.code
    client.post(url, {f"comment-{code}": "Helpt bewoners geduldig."}, **HTMX)
    assert Comment.objects.get(invitation=invitation).text == "Helpt bewoners geduldig."


def test_a_bad_value_or_foreign_item_is_refused(team, login, framework_version):
    person = team.members[0]
    invitation = team.invitation(person)
    client = login(person)
    url = reverse("questionnaires:answer_item", args=[invitation.pk])
    item = services.invitation_items(invitation)[0]
    other = (
        Indicator.objects.filter(competency__version=framework_version)
        .exclude(competency__code__in=invitation.subject.competency_codes)
        .first()
    )
    assert other is not None
    assert client.post(url, {f"item-{item.pk}": "7"}, **HTMX).status_code == 400
    assert client.post(url, {f"item-{other.pk}": "1"}, **HTMX).status_code == 400
    assert not Answer.objects.filter(invitation=invitation).exists()


def test_the_whole_form_without_javascript_saves_every_answer(team, login):
    person = team.members[0]
    invitation = team.invitation(person)
    items = services.invitation_items(invitation)
    code = items[0].competency.code
    data = {f"item-{item.pk}": str(n % 5) for n, item in enumerate(items)}
    data[f"item-{items[-1].pk}"] = ""
    data[f"comment-{code}"] = "Goed voorbeeld"
    data["actie"] = "opslaan"
    client = login(person)
    url = reverse("questionnaires:answer", args=[invitation.pk])
    response = client.post(url, data)
    assert response.status_code == 302
    assert response["Location"] == url
    stored = dict(Answer.objects.filter(invitation=invitation).values_list("indicator_id", "value"))
    assert stored == {
        item.pk: (None if item == items[-1] else n % 5) for n, item in enumerate(items)
    }
    assert Comment.objects.get(invitation=invitation, competency_code=code).text == "Goed voorbeeld"
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.OPEN  # saving is not "done"
    assert "Your answers have been saved." in client.get(url).content.decode()


def test_a_stale_second_tab_does_not_overwrite_newer_answers(team, login):
    person = team.members[0]
    invitation = team.invitation(person)
    items = services.invitation_items(invitation)
    client = login(person)
    url = reverse("questionnaires:answer", args=[invitation.pk])
    # Tab 1 was rendered with item 0 = 1 and item 1 unanswered; tab 2 changed item 0 to 4.
    services.answer_save(invitation=invitation, indicator=items[0], value=4)
    data = {
        f"item-{items[0].pk}": "1",
        f"was-item-{items[0].pk}": "1",
        f"item-{items[1].pk}": "3",
        f"was-item-{items[1].pk}": "-",
    }
    assert client.post(url, data).status_code == 302
    stored = dict(Answer.objects.filter(invitation=invitation).values_list("indicator_id", "value"))
    assert stored == {items[0].pk: 4, items[1].pk: 3}


def test_answers_after_closing_are_refused_with_a_clear_message(team, login):
    person = team.members[0]
    invitation = team.invitation(person)
    item = services.invitation_items(invitation)[0]
    services.answer_save(invitation=invitation, indicator=item, value=1)
    client = login(person)
    services.round_close(round_=team.round, actor=ACTOR)
    response = client.post(
        reverse("questionnaires:answer_item", args=[invitation.pk]),
        {f"item-{item.pk}": "3"},
        **HTMX,
    )
    assert response.status_code == 409
    assert "This round is closed" in response.content.decode()
    assert 'id="save-error"' in response.content.decode()
    url = reverse("questionnaires:answer", args=[invitation.pk])
    response = client.post(url, {f"item-{item.pk}": "3", "actie": "klaar"})
    assert response.status_code == 409
    assert "This round is closed: answers can no longer be given or changed." in (
        response.content.decode()
    )
    assert Answer.objects.get(invitation=invitation, indicator=item).value == 1
    page = client.get(url)
    assert "This round is closed" in page.content.decode()
    assert b'name="actie" value="klaar"' not in page.content
    assert b"disabled" in page.content


def test_done_refuses_missing_answers_and_names_the_competencies(team, login):
    person = team.members[0]
    invitation = team.invitation(person)
    items = services.invitation_items(invitation)
    first_competency = items[0].competency
    last_competency = items[-1].competency
    assert first_competency != last_competency
    for item in items:
        if item.competency != last_competency:
            services.answer_save(invitation=invitation, indicator=item, value=2)
    client = login(person)
    url = reverse("questionnaires:answer", args=[invitation.pk])
    response = client.post(url, {"actie": "klaar"}, follow=True)
    content = response.content.decode()
    assert "Not done yet" in content
    assert last_competency.label in content.split("Not done yet")[1].split("</p>")[0]
    assert first_competency.label not in content.split("Not done yet")[1].split("</p>")[0]
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.OPEN
    # "Cannot judge" counts as an answer; then "Done" completes.
    data = {f"item-{i.pk}": "" for i in items if i.competency == last_competency}
    data["actie"] = "klaar"
    response = client.post(url, data)
    assert response.status_code == 302
    assert response["Location"] == reverse("questionnaires:mine")
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.COMPLETED
    assert AuditEvent.objects.filter(action="round.answers_complete").exists()


def test_the_questionnaire_page_needs_a_bounded_number_of_queries(
    team, login, django_assert_max_num_queries
):
    person = team.members[0]
    invitation = team.invitation(person)
    items = _answer_all(invitation)
    client = login(person)
    url = reverse("questionnaires:answer", args=[invitation.pk])
    with django_assert_max_num_queries(15):
        response = client.get(url)
    assert response.context["answered"] == len(items) > 10
    with django_assert_max_num_queries(15):
        client.get(reverse("questionnaires:mine"))


# ---------------------------------------------------------------------------------------------
# In a real browser: phone size, keyboard only, htmx saves, axe
# ---------------------------------------------------------------------------------------------

PHONE = {"width": 375, "height": 740}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_on_a_phone_with_the_keyboard_answers_save_as_they_are_given(
    team, new_page, live_url, organisation
):
    from playwright.sync_api import expect

    from vakwerk.tests.browser import check_axe
    from vakwerk.tests.browser import login as browser_login
    from vakwerk.tests.factories import MembershipFactory

    person = team.members[0]
    person.user = MembershipFactory(organisation=organisation).user
    person.save(update_fields=["user"])
    page = new_page(locale="en")
    page.set_viewport_size(PHONE)
    browser_login(page, live_url, person.user.email, "correct-horse-battery")
    page.goto(f"{live_url}{reverse('questionnaires:mine')}")
    check_axe(page, "my questionnaires")

    # Choose colleagues with the keyboard only: search, check with Space, save with Enter.
    subject = team.subject(person)
    page.goto(f"{live_url}{reverse('questionnaires:nominate', args=[subject.pk])}")
    check_axe(page, "nominate")
    for colleague in team.members[1:4]:
        page.locator("#zoek").focus()
        page.keyboard.press("Control+A")
        page.keyboard.type(colleague.last_name)
        with page.expect_navigation():
            page.keyboard.press("Enter")  # the first submit button: search
        page.locator(f"#peer-{colleague.pk}").focus()
        page.keyboard.press("Space")
    page.get_by_role("button", name="Send to my manager").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_text("sent to your manager")).to_be_visible()
    nominated = set(subject.invitations.filter(source=Source.PEER).values_list("rater", flat=True))
    assert nominated == {p.pk for p in team.members[1:4]}

    # The self-assessment: arrow keys move within a radio group and every change is saved.
    invitation = team.invitation(person)
    items = services.invitation_items(invitation)
    page.goto(f"{live_url}{reverse('questionnaires:answer', args=[invitation.pk])}")
    check_axe(page, "questionnaire")
    first = page.locator(f"#item-{items[0].pk}-0")
    box = first.bounding_box()
    below = page.locator(f"#item-{items[0].pk}-1").bounding_box()
    assert box is not None
    assert below is not None
    assert below["y"] > box["y"]  # the options stack on a phone
    first.focus()
    page.keyboard.press("Space")
    expect(page.locator("#progress")).to_contain_text(f"1 of {len(items)} answered")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#save-status")).to_contain_text("Saved")
    page.locator(f"#item-{items[1].pk}-none").check()
    expect(page.locator("#progress")).to_contain_text(f"2 of {len(items)} answered")
    page.wait_for_load_state("networkidle")
    stored = dict(Answer.objects.filter(invitation=invitation).values_list("indicator", "value"))
    assert stored == {items[0].pk: 2, items[1].pk: None}
    # The page comes back with the answers checked, anywhere the person left off.
    page.reload()
    expect(page.locator(f"#item-{items[0].pk}-2")).to_be_checked()
    expect(page.locator(f"#item-{items[1].pk}-none")).to_be_checked()
    # No connection, then a server error: the page says the answer was not saved (htmx swaps
    # nothing then); the next save that succeeds clears the message.
    page.context.set_offline(True)
    page.locator(f"#item-{items[3].pk}-3").check()
    expect(page.locator("#save-error")).to_contain_text("could not be saved")
    page.context.set_offline(False)
    page.locator(f"#item-{items[3].pk}-1").check()
    expect(page.locator("#save-status")).to_contain_text("3 of")
    expect(page.locator("#save-error")).to_be_empty()
    page.route("**/antwoord/", lambda route: route.fulfill(status=500, body="kapot"))
    page.locator(f"#item-{items[3].pk}-2").check()
    expect(page.locator("#save-error")).to_contain_text("could not be saved")
    page.unroute("**/antwoord/")
    assert Answer.objects.get(invitation=invitation, indicator=items[3]).value == 1
    # Closed while the page was open: the refusal is shown, the answer is not stored.
    services.round_close(round_=team.round, actor=ACTOR)
    page.locator(f"#item-{items[2].pk}-4").check()
    expect(page.locator("#save-error")).to_contain_text("This round is closed")
    assert not Answer.objects.filter(invitation=invitation, indicator=items[2]).exists()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_manager_and_external_pages_pass_axe(team, new_page, live_url, organisation):
    from playwright.sync_api import expect

    from vakwerk.tests.browser import check_axe
    from vakwerk.tests.browser import login as browser_login
    from vakwerk.tests.factories import MembershipFactory

    subject = team.subject(team.members[0])
    services.peers_nominate(subject=subject, actor=ACTOR, peers=team.members[1:4])
    team.manager.user = MembershipFactory(organisation=organisation, roles=[Role.MANAGER]).user
    team.manager.save(update_fields=["user"])
    page = new_page(locale="en")
    page.set_viewport_size(PHONE)
    browser_login(page, live_url, team.manager.user.email, "correct-horse-battery")
    for name in ("questionnaires:approve", "questionnaires:external"):
        page.goto(f"{live_url}{reverse(name, args=[subject.pk])}")
        check_axe(page, name)
    page.get_by_role("button", name="Send the invitation").click()  # empty: errors
    check_axe(page, "external invitation with errors")

    _, token = services.external_invite(
        subject=subject, actor=ACTOR, name="X", email="x@example.nl", relation="y"
    )
    outsider = new_page(locale="en")
    outsider.goto(f"{live_url}{reverse('questionnaires:external_answer', args=[token])}")
    check_axe(outsider, "external questionnaire")
    invitation = Invitation.objects.get(subject=subject, source=Source.EXTERNAL)
    item = services.invitation_items(invitation)[0]
    outsider.locator(f"#item-{item.pk}-3").check()  # saved by htmx, CSRF without a login
    expect(outsider.locator("#progress")).to_contain_text("1 of")
    assert Answer.objects.get(invitation=invitation).value == 3
    outsider.goto(f"{live_url}{reverse('questionnaires:external_answer', args=['fout'])}")
    check_axe(outsider, "invalid link")

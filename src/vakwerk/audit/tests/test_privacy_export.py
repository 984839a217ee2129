"""The employee's own data export ("My data"): what is in it, what never is, who gets it."""

import json

import pytest
from django.urls import reverse

from vakwerk.assessments.models import Comment, Invitation, Source, Subject
from vakwerk.audit.models import AuditEvent
from vakwerk.audit.privacy import SECTIONS, personal_data
from vakwerk.audit.services import Actor
from vakwerk.insights import services as insight_services
from vakwerk.nudges.models import Notification, NotificationKind, NotificationPreference
from vakwerk.organisations.models import Role
from vakwerk.practice.models import JournalEntry
from vakwerk.tests.factories import EmployeeFactory, UserFactory

pytest_plugins = ["vakwerk.tests.measured"]
pytestmark = pytest.mark.django_db


def _comment(subject: Subject, source: str, text: str, code: str) -> None:
    for invitation in Invitation.objects.filter(subject=subject, source=source):
        Comment.objects.create(invitation=invitation, competency_code=code, text=text)


@pytest.fixture
def measured(closed_round, team):
    """members[0] has three peers (shown), members[5] two (below the threshold of 3)."""
    manager, members = team
    subject = Subject.objects.get(round=closed_round, employee=members[0])
    code = subject.competency_codes[0]
    _comment(subject, Source.PEER, "Luistert goed naar bewoners", code)
    _comment(subject, Source.SELF, "Ik wil beter leren plannen", code)
    hidden = Subject.objects.get(round=closed_round, employee=members[5])
    _comment(
        hidden, Source.PEER, "Verborgen kritiek van twee collega's", hidden.competency_codes[0]
    )
    return closed_round, manager, members


def _text(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False)


def test_the_export_holds_the_persons_own_data(organisation, measured):
    _round, manager, members = measured
    me = members[0]
    JournalEntry.objects.create(organisation=organisation, employee=me, text="Mijn eigen notitie")
    data = personal_data(organisation, me)
    assert list(data["sections"]) == list(SECTIONS)
    sections = data["sections"]
    assert sections["personal_details"]["email"] == me.email
    assert sections["personal_details"]["manager"] == manager.full_name
    assert sections["results"]["estimates"], "the closed round's measured levels are exported"
    assert [entry["text"] for entry in sections["journal"]] == ["Mijn eigen notitie"]
    own = sections["rounds"][0]
    assert own["self_assessment"], "the answers given about oneself"
    assert own["self_comments"][0]["comment"] == "Ik wil beter leren plannen"
    feedback = sections["feedback"][0]["competencies"]
    peer_comments = [c for item in feedback for c in item["comments_per_source"].get("peer", [])]
    assert peer_comments == ["Luistert goed naar bewoners"] * 3


def test_the_export_names_no_peer_and_holds_nothing_of_others(
    organisation, other_organisation, measured
):
    _round, _manager, members = measured
    me = members[0]
    JournalEntry.objects.create(
        organisation=organisation, employee=members[1], text="Dagboek van een collega"
    )
    stranger = EmployeeFactory(organisation=other_organisation, last_name="Geheimhouder")
    JournalEntry.objects.create(
        organisation=other_organisation, employee=stranger, text="Dagboek van organisatie B"
    )
    peers = Invitation.objects.filter(subject__employee=me, source=Source.PEER)
    assert peers.count() == 3
    # Names no one else has: generated names repeat (a peer once shared the person's own).
    for number, invitation in enumerate(peers):
        assert invitation.rater is not None
        invitation.rater.last_name = f"Collegaberoordelaar{number}"
        invitation.rater.save()
    text = _text(personal_data(organisation, me))
    for invitation in peers.select_related("rater"):
        assert invitation.rater is not None
        assert invitation.rater.last_name not in text
        assert invitation.rater.email not in text
    assert "Dagboek van een collega" not in text
    assert "Dagboek van organisatie B" not in text
    assert "Geheimhouder" not in text
    assert other_organisation.name not in text


def test_comments_of_a_group_below_the_threshold_are_not_exported(organisation, measured):
    _round, _manager, members = measured
    data = personal_data(organisation, members[5])
    assert "Verborgen kritiek" not in _text(data)
    sources = {
        s
        for item in data["sections"]["feedback"][0]["competencies"]
        for s in item["answers_per_source"]
    }
    assert "peer" not in sources


def test_the_access_log_and_audit_lines_about_the_person_are_exported(organisation, team):
    _manager, members = team
    me = members[0]
    hr = UserFactory(email="hr-adviseur@example.nl")
    insight_services.results_access_log(
        actor=Actor(user=hr), employee=me, action=insight_services.VIEW, details={}
    )
    data = personal_data(organisation, me)["sections"]
    assert data["access_log"][0]["who"] == "hr-adviseur@example.nl"
    assert data["audit"][0]["action"] == "results.view"


def test_notifications_and_preferences_are_exported(organisation, member_client):
    _client, user = member_client(organisation)
    me = EmployeeFactory(organisation=organisation, user=user)
    NotificationPreference.objects.create(user=user, weekly_digest=False)
    Notification.objects.create(
        organisation=organisation, user=user, kind=NotificationKind.PRACTICE_DUE, key="p:1"
    )
    data = personal_data(organisation, me)["sections"]["notifications"]
    assert data["preferences"]["weekly_digest"] is False
    assert data["notifications"][0]["kind"] == "practice_due"


# --- the pages --------------------------------------------------------------------------------


@pytest.fixture
def me_client(organisation, member_client):
    client, user = member_client(organisation)
    employee = EmployeeFactory(organisation=organisation, user=user, last_name="Zelfkenner")
    JournalEntry.objects.create(
        organisation=organisation, employee=employee, text="Alleen voor mij"
    )
    return client, employee


def test_the_page_explains_and_links_the_downloads(me_client, english):
    client, _employee = me_client
    response = client.get(reverse("privacy:index"))
    assert response.status_code == 200
    assert b"Ask your HR department" in response.content
    assert reverse("privacy:json").encode() in response.content


def test_json_download_is_an_attachment_and_audited(me_client):
    client, employee = me_client
    response = client.get(reverse("privacy:json"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="mijn-gegevens-')
    data = json.loads(response.content)
    assert data["sections"]["journal"][0]["text"] == "Alleen voor mij"
    event = AuditEvent.objects.get(action="privacy.export")
    assert event.object_id == str(employee.pk)
    assert event.details == {"format": "json"}


def test_printable_page_shows_the_data_and_is_audited(me_client):
    client, employee = me_client
    response = client.get(reverse("privacy:printable"))
    assert response.status_code == 200
    assert b"Alleen voor mij" in response.content
    assert employee.email.encode() in response.content
    assert AuditEvent.objects.filter(action="privacy.export", details__format="html").count() == 1


def test_pdf_download_is_a_pdf_and_audited(me_client):
    client, _employee = me_client
    response = client.get(reverse("privacy:pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert AuditEvent.objects.filter(action="privacy.export", details__format="pdf").count() == 1


@pytest.mark.parametrize("role", list(Role))
def test_someone_without_an_employee_record_gets_no_download(organisation, member_client, role):
    """Another user (any role, HR too) never reaches anyone's data: there is no id to ask
    for, and without their own record every download is 404."""
    EmployeeFactory(organisation=organisation, last_name="Zelfkenner")
    client, _user = member_client(organisation, role)
    assert client.get(reverse("privacy:index")).status_code == 200
    for name in ("privacy:json", "privacy:printable", "privacy:pdf"):
        response = client.get(reverse(name))
        assert response.status_code == 404, name
        assert b"Zelfkenner" not in response.content
    assert not AuditEvent.objects.filter(action="privacy.export").exists()


def test_a_record_in_another_organisation_does_not_count(
    organisation, other_organisation, member_client
):
    client, user = member_client(organisation)
    EmployeeFactory(organisation=other_organisation, user=user, last_name="Geheimhouder")
    assert client.get(reverse("privacy:json")).status_code == 404


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get(reverse("privacy:json"))
    assert response.status_code == 302

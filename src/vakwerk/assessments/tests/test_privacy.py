"""The anonymity threshold, enforced in one place for pages and exports alike."""

import csv
import io

import pytest

from vakwerk.assessments import services
from vakwerk.assessments.evidence import evidence_csv
from vakwerk.assessments.models import Invitation, Source, Subject
from vakwerk.assessments.privacy import rater_pseudonym, source_groups, subject_feedback
from vakwerk.audit.models import AuditEvent
from vakwerk.audit.services import Actor
from vakwerk.frameworks.models import RoleProfile
from vakwerk.tests.factories import EmployeeFactory, RoundFactory, TeamFactory

pytestmark = pytest.mark.django_db
ACTOR = Actor(user=None)


@pytest.fixture
def subject(organisation, framework_version):
    team = TeamFactory(organisation=organisation)
    profile = RoleProfile.objects.get(organisation=organisation, code="beleidsadviseur")
    manager = EmployeeFactory(organisation=organisation, team=team, role_profile=profile)
    people = EmployeeFactory.create_batch(
        5, organisation=organisation, team=team, manager=manager, role_profile=profile
    )
    round_ = RoundFactory(organisation=organisation, version=framework_version)
    services.round_open(round_=round_, actor=ACTOR)
    subject = Subject.objects.get(round=round_, employee=people[0])
    services.peers_approve(subject=subject, actor=ACTOR, peers=people[1:5])
    return subject


def complete(invitation: Invitation, value: int, comment: str = "") -> None:
    items = services.invitation_items(invitation)
    for item in items:
        services.answer_save(invitation=invitation, indicator=item, value=value)
    if comment:
        services.comment_save(
            invitation=invitation, competency_code=items[0].competency.code, text=comment
        )
    services.invitation_complete(invitation=invitation, actor=ACTOR)


def peer_invitations(subject):
    return list(subject.invitations.filter(source=Source.PEER).order_by("pk"))


def exported(subject) -> list[dict[str, str]]:
    text = evidence_csv(round_=subject.round, actor=ACTOR)
    return list(csv.DictReader(io.StringIO(text)))


def test_two_peer_answers_show_nothing_from_peers_anywhere(subject):
    complete(subject.invitations.get(source=Source.SELF), 4)
    peers = peer_invitations(subject)
    complete(peers[0], 1, comment="Te weinig overleg met de wijk.")
    complete(peers[1], 2)
    groups = source_groups(subject)
    assert groups[Source.PEER].completed == 2
    assert not groups[Source.PEER].visible
    feedback = subject_feedback(subject, actor=ACTOR, viewer_is_subject=True)
    for item in feedback.values():
        assert Source.PEER not in item.distribution
        assert Source.PEER not in item.comments
    rows = exported(subject)
    assert rows  # the self-assessment is exported
    assert {row["source"] for row in rows} == {"self"}


def test_three_peer_answers_show_only_aggregates(subject):
    peers = peer_invitations(subject)
    for invitation, value in zip(peers[:3], (1, 2, 4), strict=True):
        complete(invitation, value, comment=f"Opmerking {value}")
    feedback = subject_feedback(subject, actor=ACTOR, viewer_is_subject=True)
    item = feedback[services.invitation_items(peers[0])[0].competency.code]
    assert sorted(item.distribution[Source.PEER]) == [1, 2, 4]
    assert item.mean(Source.PEER) == pytest.approx(7 / 3)
    # Comments are shown for the group, never tied to a rater.
    assert sorted(text for texts in item.comments.values() for text in texts) == [
        "Opmerking 1",
        "Opmerking 2",
        "Opmerking 4",
    ]
    # Without the distributions (the report shows comments only): the same comments.
    comments_only = subject_feedback(
        subject, actor=ACTOR, viewer_is_subject=True, distributions=False
    )
    assert {code: f.comments for code, f in comments_only.items()} == {
        code: f.comments for code, f in feedback.items() if f.comments
    }
    assert all(not f.distribution for f in comments_only.values())
    rows = [row for row in exported(subject) if row["source"] == "peer"]
    raters = {row["rater"] for row in rows}
    assert len(raters) == 3
    # Pseudonyms, not employee numbers or ids.
    numbers = {p.rater.employee_number for p in peers} | {str(p.rater_id) for p in peers}
    assert not raters & numbers
    assert rater_pseudonym(subject.round, peers[0].pk) in raters


def test_an_incomplete_peer_does_not_count_towards_the_threshold(subject):
    peers = peer_invitations(subject)
    complete(peers[0], 3)
    complete(peers[1], 3)
    item = services.invitation_items(peers[2])[0]
    services.answer_save(invitation=peers[2], indicator=item, value=3)  # not completed
    assert not source_groups(subject)[Source.PEER].visible
    assert {row["source"] for row in exported(subject)} <= {"self", "manager"}


def test_someone_else_looking_is_audited(subject):
    subject_feedback(subject, actor=ACTOR, viewer_is_subject=True)
    assert not AuditEvent.objects.filter(action="feedback.view").exists()
    subject_feedback(subject, actor=ACTOR, viewer_is_subject=False)
    assert AuditEvent.objects.filter(action="feedback.view", object_id=str(subject.pk)).exists()


def test_the_export_is_in_the_engine_format_and_audited(subject):
    complete(subject.invitations.get(source=Source.SELF), 3)
    text = evidence_csv(round_=subject.round, actor=ACTOR)
    assert text.splitlines()[0] == "person,competency,source,rater,item,score,categories"
    row = text.splitlines()[1].split(",")
    assert row[2] == "self"
    assert row[5] == "3"
    assert row[6] == "5"
    assert AuditEvent.objects.filter(action="round.evidence_export").exists()


def test_a_competency_answered_by_fewer_raters_than_the_threshold_stays_hidden(subject):
    peers = peer_invitations(subject)
    items = services.invitation_items(peers[0])
    hidden_code = items[0].competency.code
    # Three colleagues complete, but two of them cannot judge the first competency at all.
    for number, invitation in enumerate(peers[:3]):
        for item in items:
            cannot = number > 0 and item.competency.code == hidden_code
            services.answer_save(invitation=invitation, indicator=item, value=None if cannot else 2)
        services.invitation_complete(invitation=invitation, actor=ACTOR)
    feedback = subject_feedback(subject, actor=ACTOR, viewer_is_subject=True)
    shown = [code for code, item in feedback.items() if Source.PEER in item.distribution]
    assert shown
    assert hidden_code not in shown
    rows = [r for r in exported(subject) if r["source"] == "peer"]
    assert rows
    assert hidden_code not in {row["competency"] for row in rows}


def test_export_order_says_nothing_about_who_answered_first(subject):
    peers = peer_invitations(subject)
    for invitation, value in zip(peers[:3], (1, 3, 4), strict=True):
        complete(invitation, value)
    rows = [r for r in exported(subject) if r["source"] == "peer"]
    keys = [(r["person"], r["competency"], r["item"], r["source"], r["rater"]) for r in rows]
    assert keys == sorted(keys)


def test_evidence_of_an_open_round_cannot_be_downloaded(member_client, organisation, subject):
    from django.urls import reverse

    from vakwerk.organisations.models import Role

    client, _ = member_client(organisation, Role.HR)
    response = client.get(reverse("evidence:round", args=[subject.round.pk]))
    assert response.status_code == 302
    services.round_close(round_=subject.round, actor=ACTOR)
    response = client.get(reverse("evidence:round", args=[subject.round.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")


def test_a_colleagues_completion_is_logged_without_the_invitation(subject):
    invitation = peer_invitations(subject)[0]
    complete(invitation, 2)
    event = AuditEvent.objects.get(action="round.answers_complete")
    assert event.object_type == "assessments.round"
    assert event.actor is None

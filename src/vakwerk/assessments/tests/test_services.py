import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from vakwerk.assessments import services
from vakwerk.assessments.models import (
    Answer,
    Invitation,
    InvitationStatus,
    RoundStatus,
    Source,
    Subject,
)
from vakwerk.audit.models import AuditEvent
from vakwerk.audit.services import Actor
from vakwerk.frameworks.models import Indicator, RoleProfile
from vakwerk.tests.factories import EmployeeFactory, RoundFactory, TeamFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
ACTOR = Actor(user=None)


@pytest.fixture
def team(organisation, framework_version):
    """A team of six with a manager, all front-desk officers."""
    team = TeamFactory(organisation=organisation)
    profile = RoleProfile.objects.get(organisation=organisation, code="baliemedewerker-burgerzaken")
    manager = EmployeeFactory(organisation=organisation, team=team, role_profile=profile)
    members = EmployeeFactory.create_batch(
        6, organisation=organisation, team=team, manager=manager, role_profile=profile
    )
    return manager, members


@pytest.fixture
def open_round(organisation, framework_version, team):
    round_ = RoundFactory(organisation=organisation, version=framework_version, use_external=True)
    services.round_open(round_=round_, actor=ACTOR)
    round_.refresh_from_db()
    return round_


def test_opening_creates_subjects_with_self_and_manager_invitations(open_round, team):
    manager, members = team
    assert open_round.status == RoundStatus.OPEN
    assert Subject.objects.filter(round=open_round).count() == 7
    subject = Subject.objects.get(round=open_round, employee=members[0])
    sources = set(subject.invitations.values_list("source", "rater_id"))
    assert sources == {(Source.SELF, members[0].pk), (Source.MANAGER, manager.pk)}
    # Competencies come from the role profile, not the whole framework.
    profile_codes = set(members[0].role_profile.targets.values_list("competency_code", flat=True))
    assert set(subject.competency_codes) == profile_codes
    assert AuditEvent.objects.filter(action="round.open").exists()


def test_round_of_another_organisations_framework_is_refused(organisation, other_organisation):
    from vakwerk.tests.factories import FrameworkVersionFactory

    foreign = FrameworkVersionFactory(framework__organisation=other_organisation, published=True)
    round_ = RoundFactory.build(organisation=organisation, version=foreign)
    with pytest.raises(ValidationError):
        services.round_create(round_=round_, actor=ACTOR)


def test_answers_are_saved_once_and_frozen_after_closing(open_round, team):
    _, members = team
    invitation = Invitation.objects.get(subject__employee=members[0], source=Source.SELF)
    item = services.invitation_items(invitation)[0]
    services.answer_save(invitation=invitation, indicator=item, value=2)
    services.answer_save(invitation=invitation, indicator=item, value=3)  # second tab
    assert Answer.objects.get(invitation=invitation, indicator=item).value == 3
    assert Answer.objects.filter(invitation=invitation).count() == 1
    services.round_close(round_=open_round, actor=ACTOR)
    with pytest.raises(services.RoundClosedError, match="closed"):
        services.answer_save(invitation=invitation, indicator=item, value=0)
    assert Answer.objects.get(invitation=invitation, indicator=item).value == 3


def test_an_item_outside_the_questionnaire_is_refused(open_round, team):
    _, members = team
    invitation = Invitation.objects.get(subject__employee=members[0], source=Source.SELF)
    codes = invitation.subject.competency_codes
    other = (
        Indicator.objects.filter(competency__version=open_round.version)
        .exclude(competency__code__in=codes)
        .first()
    )
    assert other is not None
    with pytest.raises(ValidationError):
        services.answer_save(invitation=invitation, indicator=other, value=1)


def test_peers_are_nominated_then_approved_or_changed_by_the_manager(open_round, team):
    _manager, members = team
    subject = Subject.objects.get(round=open_round, employee=members[0])
    with pytest.raises(ValidationError, match="between 3 and 8"):
        services.peers_nominate(subject=subject, actor=ACTOR, peers=members[1:3])
    with pytest.raises(ValidationError):
        services.peers_nominate(subject=subject, actor=ACTOR, peers=members[0:3])
    services.peers_nominate(subject=subject, actor=ACTOR, peers=members[1:4])
    nominated = subject.invitations.filter(source=Source.PEER)
    assert set(nominated.values_list("status", flat=True)) == {InvitationStatus.NOMINATED}
    services.peers_approve(subject=subject, actor=ACTOR, peers=[*members[2:4], members[5]])
    peers = {i.rater_id: i.status for i in subject.invitations.filter(source=Source.PEER)}
    assert peers[members[1].pk] == InvitationStatus.WITHDRAWN
    assert peers[members[2].pk] == peers[members[5].pk] == InvitationStatus.OPEN
    with pytest.raises(ValidationError, match="already approved"):
        services.peers_nominate(subject=subject, actor=ACTOR, peers=members[1:4])


def test_external_link_works_once_issued_and_expires(open_round, team):
    _, members = team
    subject = Subject.objects.get(round=open_round, employee=members[0])
    invitation, token = services.external_invite(
        subject=subject,
        actor=ACTOR,
        name="Wethouder Bakker",
        email="w.bakker@example.nl",
        relation="wethouder",
    )
    assert len(token) >= 43  # 32 random bytes, base64: 256 bits
    assert invitation.token_hash != token
    assert services.invitation_by_token(token) == invitation
    assert services.invitation_by_token(token + "x") is None
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    assert services.invitation_by_token(token) is None


def test_a_nominated_peer_cannot_answer_before_approval(open_round, team):
    _, members = team
    subject = Subject.objects.get(round=open_round, employee=members[0])
    services.peers_nominate(subject=subject, actor=ACTOR, peers=members[1:4])
    invitation = subject.invitations.filter(source=Source.PEER).first()
    item = services.invitation_items(invitation)[0]
    with pytest.raises(ValidationError):
        services.answer_save(invitation=invitation, indicator=item, value=2)


def test_extending_and_closing(open_round):
    later = open_round.closes_on + dt.timedelta(days=7)
    services.round_extend(round_=open_round, actor=ACTOR, closes_on=later)
    open_round.refresh_from_db()
    assert open_round.closes_on == later
    with pytest.raises(ValidationError):
        services.round_extend(round_=open_round, actor=ACTOR, closes_on=later)
    services.round_close(round_=open_round, actor=ACTOR)
    with pytest.raises(ValidationError):
        services.round_extend(round_=open_round, actor=ACTOR, closes_on=later + dt.timedelta(1))


def test_the_manager_cannot_also_be_a_colleague(open_round, team):
    manager, members = team
    subject = Subject.objects.get(round=open_round, employee=members[0])
    with pytest.raises(ValidationError, match="already rates as the manager"):
        services.peers_nominate(subject=subject, actor=ACTOR, peers=[manager, *members[1:3]])


def test_external_raters_must_be_different_outsiders(open_round, team):
    _, members = team
    subject = Subject.objects.get(round=open_round, employee=members[0])
    services.external_invite(
        subject=subject, actor=ACTOR, name="A", email="ketenpartner@example.nl", relation="x"
    )
    with pytest.raises(ValidationError, match="already been invited"):
        services.external_invite(
            subject=subject, actor=ACTOR, name="B", email="Ketenpartner@example.nl", relation="x"
        )
    with pytest.raises(ValidationError, match="belongs to an employee"):
        services.external_invite(
            subject=subject, actor=ACTOR, name="C", email=members[1].email, relation="x"
        )


def test_a_round_cannot_go_below_the_organisations_threshold(organisation, framework_version):
    organisation.anonymity_threshold = 5
    organisation.save()
    round_ = RoundFactory.build(
        organisation=organisation, version=framework_version, anonymity_threshold=3
    )
    with pytest.raises(ValidationError, match="5 or more"):
        services.round_create(round_=round_, actor=ACTOR)

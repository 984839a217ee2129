"""A measured team, shared by the measurement and insight tests: six front-desk officers with
a manager, a round with self, manager and peer answers, closed and estimated.

Register in a test module with ``pytest_plugins = ["vakwerk.tests.measured"]``.
"""

import pytest
from django.utils import timezone

from vakwerk.assessments import services
from vakwerk.assessments.models import Answer, Invitation, Source, Subject
from vakwerk.audit.services import Actor
from vakwerk.frameworks.models import RoleProfile
from vakwerk.tests.factories import EmployeeFactory, RoundFactory, TeamFactory

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
    round_ = RoundFactory(
        organisation=organisation, version=framework_version, use_external=False, use_sjt=False
    )
    services.round_open(round_=round_, actor=ACTOR)
    round_.refresh_from_db()
    return round_


def _answer(invitation: Invitation, person: int, rater: int) -> None:
    """Answer every item and complete: the person's level (``person % 3``), an easier and a
    harder kind of item, a stricter and a milder rater; the first item "cannot judge".

    The answers are written in one insert, as ``answer_save`` would leave them (its own tests
    cover it one answer at a time): a round of 42 questionnaires item by item costs seconds,
    and many tests build one."""
    Answer.objects.bulk_create(
        Answer(
            invitation=invitation,
            indicator=item,
            value=None if position == 0 else min(1 + person % 3 + position % 2 - rater % 2, 4),
        )
        for position, item in enumerate(services.invitation_items(invitation))
    )
    Invitation.objects.filter(pk=invitation.pk).update(started_at=timezone.now())
    invitation.refresh_from_db()
    services.invitation_complete(invitation=invitation, actor=ACTOR)


@pytest.fixture
def answered_round(open_round, team):
    """Self and manager for everyone with a manager, three peers each, except the last member
    whose third peer never completes (two peers: below the anonymity threshold of 3)."""
    manager, members = team
    for index, member in enumerate(members):
        subject = Subject.objects.get(round=open_round, employee=member)
        peers = [m for m in members if m != member][index % 3 : index % 3 + 3]
        services.peers_approve(subject=subject, actor=ACTOR, peers=peers)
        invitations = list(subject.invitations.order_by("source", "rater_id"))
        if index == 5:  # one peer does not answer
            invitations.remove([i for i in invitations if i.source == Source.PEER][-1])
        for rater, invitation in enumerate(invitations):
            _answer(invitation, index, rater)
    _answer(
        Invitation.objects.get(subject__round=open_round, subject__employee=manager),
        person=7,
        rater=0,
    )
    return open_round


@pytest.fixture
def closed_round(answered_round, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.round_close(round_=answered_round, actor=ACTOR)
    answered_round.refresh_from_db()
    return answered_round

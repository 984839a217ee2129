"""Revocation: a later round with a lower level revokes the badge, and the status says so."""

import pytest
from django.test import Client
from django.urls import reverse

from vakwerk.audit.models import AuditEvent
from vakwerk.audit.services import Actor
from vakwerk.badges import services
from vakwerk.badges.models import RevocationReason
from vakwerk.badges.tests.support import CODE, TARGET, employee, measure, setting
from vakwerk.organisations.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def claimed(member_client, organisation):
    place = setting(organisation)
    _client, user = member_client(organisation, Role.EMPLOYEE)
    person = employee(place, user)
    measure(place, person, 3.5, days_ago=200)
    badge = services.badge_claim(
        organisation=organisation, employee=person, competency_code=CODE, actor=Actor(user)
    )
    return badge, place, person


def _status(badge) -> dict:
    response = Client().get(reverse("badges_public:status", kwargs={"badge_id": badge.pk}))
    assert response.status_code == 200
    return response.json()


def test_a_later_lower_level_revokes_the_badge(claimed, organisation):
    badge, place, person = claimed
    assert _status(badge)["revokedCredentials"] == []
    measure(place, person, TARGET - 0.5, days_ago=5)
    assert services.badges_revoke_below_target(organisation=organisation) == 1
    badge.refresh_from_db()
    assert badge.revocation_reason == RevocationReason.BELOW_TARGET
    (entry,) = _status(badge)["revokedCredentials"]
    assert entry["id"] == badge.credential["id"]
    assert entry["revoked"] is True
    event = AuditEvent.objects.get(action="badge.revoke", object_id=str(badge.pk))
    assert event.details["target"] == TARGET
    # Revoking again changes nothing.
    assert services.badges_revoke_below_target(organisation=organisation) == 0


def test_a_later_round_at_the_target_keeps_the_badge(claimed, organisation):
    badge, place, person = claimed
    measure(place, person, float(TARGET), days_ago=5)
    assert services.badges_revoke_below_target(organisation=organisation) == 0
    badge.refresh_from_db()
    assert not badge.is_revoked


def test_a_revoked_shared_badge_says_so_on_its_public_page(claimed, organisation):
    badge, place, person = claimed
    services.badge_share(badge=badge, shared=True, actor=Actor(person.user))
    measure(place, person, 1.5, days_ago=5)
    services.badges_revoke_below_target(organisation=organisation, employee_ids=[person.pk])
    page = Client().get(
        reverse("badges_public:badge", kwargs={"badge_id": badge.pk}), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert page.status_code == 200
    badge.refresh_from_db()
    assert badge.is_revoked
    assert b"This badge was revoked on" in page.content
    assert b"has not been revoked" not in page.content


def test_a_revoked_badge_can_be_claimed_again_after_a_new_round_at_target(claimed, organisation):
    badge, place, person = claimed
    measure(place, person, 2.0, days_ago=100)
    services.badges_revoke_below_target(organisation=organisation)
    measure(place, person, 3.2, days_ago=5)
    again = services.badge_claim(
        organisation=organisation, employee=person, competency_code=CODE, actor=Actor(person.user)
    )
    assert again.pk != badge.pk
    assert not again.is_revoked

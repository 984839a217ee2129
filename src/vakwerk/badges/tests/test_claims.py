"""Claiming: eligibility by the insight pages' rule, only the employee, no duplicates."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from vakwerk.audit.models import AuditEvent
from vakwerk.audit.services import Actor
from vakwerk.badges import selectors, services
from vakwerk.badges.models import Badge
from vakwerk.badges.tests.support import CODE, TARGET, employee, measure, setting
from vakwerk.frameworks.models import RoleTarget
from vakwerk.measurement.models import Estimate
from vakwerk.organisations.models import Role
from vakwerk.tests.factories import CompetencyFactory

pytestmark = pytest.mark.django_db

MAX_QUERIES = 20  # sessions, membership, navigation and the page: none per row


@pytest.fixture
def place(organisation):
    return setting(organisation)


@pytest.fixture
def me(member_client, organisation, place):
    client, user = member_client(organisation, Role.EMPLOYEE)
    return client, user, employee(place, user)


def test_below_the_target_there_is_no_badge_to_claim(me, place, organisation):
    client, user, person = me
    measure(place, person, TARGET - 0.2)
    (candidate,) = selectors.badge_candidates(organisation, person)
    assert not candidate.eligible
    with pytest.raises(ValidationError):
        services.badge_claim(
            organisation=organisation, employee=person, competency_code=CODE, actor=Actor(user)
        )
    response = client.post(reverse("badges:claim"), {"competency": CODE}, follow=True)
    assert response.status_code == 200
    assert not Badge.objects.exists()
    assert b'name="competency"' not in client.get(reverse("badges:mine")).content


def test_at_the_target_the_employee_claims_a_badge_from_their_page(me, place, organisation):
    client, _user, person = me
    measure(place, person, float(TARGET))
    page = client.get(reverse("badges:mine"))
    assert page.status_code == 200
    assert f'value="{CODE}"'.encode() in page.content
    response = client.post(reverse("badges:claim"), {"competency": CODE})
    assert response.status_code == 302
    badge = Badge.objects.get()
    assert (badge.employee, badge.target_level, badge.is_shared) == (person, TARGET, False)
    assert badge.credential["credentialSubject"]["achievement"]["name"].startswith("Empathie")
    assert AuditEvent.objects.filter(action="badge.claim", object_id=str(badge.pk)).exists()


def test_claiming_twice_does_not_make_a_second_badge(me, place, organisation):
    _client, user, person = me
    measure(place, person, 3.6)
    first = services.badge_claim(
        organisation=organisation, employee=person, competency_code=CODE, actor=Actor(user)
    )
    again = services.badge_claim(
        organisation=organisation, employee=person, competency_code=CODE, actor=Actor(user)
    )
    assert first.pk == again.pk
    assert Badge.objects.count() == 1


def test_only_the_employee_themself_can_claim(me, member_client, place, organisation):
    _client, _user, person = me
    measure(place, person, 3.6)
    hr_client, hr_user = member_client(organisation, Role.HR, Role.MANAGER)
    with pytest.raises(PermissionDenied):
        services.badge_claim(
            organisation=organisation, employee=person, competency_code=CODE, actor=Actor(hr_user)
        )
    # HR has no employee record of their own here: their claim has nobody to claim for.
    assert hr_client.post(reverse("badges:claim"), {"competency": CODE}).status_code == 404
    assert not Badge.objects.exists()


def test_a_badge_on_another_organisations_page_is_not_found(
    me, place, organisation, other_organisation, member_client
):
    _client, user, person = me
    measure(place, person, 3.6)
    badge = services.badge_claim(
        organisation=organisation, employee=person, competency_code=CODE, actor=Actor(user)
    )
    other_client, other_user = member_client(other_organisation, Role.EMPLOYEE)
    employee(setting(other_organisation), other_user)
    for url in (
        reverse("badges:share", kwargs={"badge_id": badge.pk}),
        reverse("badges:download", kwargs={"badge_id": badge.pk, "fmt": "jwt"}),
    ):
        assert other_client.post(url, {"shared": "on"}).status_code in (404, 405)
        assert other_client.get(url).status_code in (404, 405)
    badge.refresh_from_db()
    assert not badge.is_shared


def test_the_owner_shares_and_unshares_with_an_audit_line(me, place, organisation):
    client, user, person = me
    measure(place, person, 3.6)
    badge = services.badge_claim(
        organisation=organisation, employee=person, competency_code=CODE, actor=Actor(user)
    )
    url = reverse("badges:share", kwargs={"badge_id": badge.pk})
    client.post(url, {"shared": "on"})
    badge.refresh_from_db()
    assert badge.is_shared
    assert (
        reverse("badges_public:badge", kwargs={"badge_id": badge.pk}).encode()
        in client.get(reverse("badges:mine")).content
    )
    client.post(url, {})
    badge.refresh_from_db()
    assert not badge.is_shared
    actions = list(
        AuditEvent.objects.filter(object_id=str(badge.pk)).values_list("action", flat=True)
    )
    assert sorted(actions) == ["badge.claim", "badge.share", "badge.unshare"]


def test_the_owner_downloads_the_credential_as_jwt_and_json(me, place, organisation):
    client, user, person = me
    measure(place, person, 3.6)
    badge = services.badge_claim(
        organisation=organisation, employee=person, competency_code=CODE, actor=Actor(user)
    )
    jwt = client.get(reverse("badges:download", kwargs={"badge_id": badge.pk, "fmt": "jwt"}))
    assert jwt.content.decode() == badge.jwt
    assert "attachment" in jwt["Content-Disposition"]
    data = client.get(reverse("badges:download", kwargs={"badge_id": badge.pk, "fmt": "json"}))
    assert data.json()["id"] == badge.credential["id"]
    assert (
        client.get(
            reverse("badges:download", kwargs={"badge_id": badge.pk, "fmt": "csv"})
        ).status_code
        == 404
    )


def test_my_page_reads_a_bounded_number_of_queries(
    me, place, organisation, django_assert_max_num_queries
):
    client, user, person = me
    for code in ("AV-DIA", "AV-RES", "AV-TRA"):
        CompetencyFactory(version=place.version, code=code)
        RoleTarget.objects.create(profile=place.profile, competency_code=code, minimum=1, target=2)
    estimate = measure(place, person, 3.6)
    for code in ("AV-DIA", "AV-RES", "AV-TRA"):
        Estimate.objects.create(
            **{
                f.name: getattr(estimate, f.name)
                for f in Estimate._meta.concrete_fields
                if f.name not in ("id", "competency_code")
            },
            competency_code=code,
        )
        services.badge_claim(
            organisation=organisation, employee=person, competency_code=code, actor=Actor(user)
        )
    with django_assert_max_num_queries(MAX_QUERIES):
        page = client.get(reverse("badges:mine"))
    assert page.content.count(b'<section class="vakwerk-card"') == 3


def test_a_claimed_badge_is_in_the_employees_personal_data_export(me, place, organisation):
    from vakwerk.audit.privacy import personal_data

    _client, user, person = me
    measure(place, person, float(TARGET))
    badge = services.badge_claim(
        organisation=organisation, employee=person, competency_code=CODE, actor=Actor(user)
    )
    (exported,) = personal_data(organisation, person)["sections"]["badges"]
    assert exported["credential"] == badge.jwt
    assert (exported["level"], exported["shared"], exported["revoked_at"]) == (TARGET, False, None)

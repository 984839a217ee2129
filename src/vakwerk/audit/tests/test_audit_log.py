import pytest
from django.urls import reverse

from vakwerk.audit.services import Actor, audit_log
from vakwerk.organisations.models import Role

pytestmark = pytest.mark.django_db


def test_secret_details_never_reach_the_log(organisation):
    event = audit_log(
        organisation=organisation,
        actor=Actor(user=None, origin="10.0.0.1"),
        action="sso.configure",
        details={"client_secret": "geheim", "issuer": "https://idp.example"},
    )
    assert event.details == {"issuer": "https://idp.example"}


def test_hr_sees_only_their_own_organisations_events(
    member_client, organisation, other_organisation
):
    audit_log(organisation=organisation, actor=Actor(user=None), action="eigen.actie")
    audit_log(organisation=other_organisation, actor=Actor(user=None), action="andere.actie")
    client, _ = member_client(organisation, Role.HR)
    response = client.get(reverse("audit:events"))
    page = response.context["page"]
    actions = {event.action for event in page.object_list}
    assert "eigen.actie" in actions
    assert "andere.actie" not in actions
    assert b"andere.actie" not in response.content


def test_filters_and_paging(member_client, organisation):
    for index in range(60):
        audit_log(
            organisation=organisation,
            actor=Actor(user=None),
            action="veel" if index % 2 else "weinig",
        )
    client, _ = member_client(organisation, Role.HR)
    response = client.get(reverse("audit:events"), {"action": "veel"})
    page = response.context["page"]
    assert page.paginator.count == 30
    assert {event.action for event in page.object_list} == {"veel"}
    second = client.get(reverse("audit:events"), {"pagina": 2})
    assert second.context["page"].number == 2


def test_reversed_date_range_is_explained_not_crashed(member_client, organisation):
    client, _ = member_client(organisation, Role.HR)
    response = client.get(reverse("audit:events"), {"since": "2026-12-01", "until": "2026-11-01"})
    assert response.status_code == 200
    assert "until" in response.context["form"].errors


def test_audit_page_does_a_bounded_number_of_queries(
    member_client, organisation, django_assert_max_num_queries
):
    for _ in range(50):
        audit_log(organisation=organisation, actor=Actor(user=None), action="x")
    client, _ = member_client(organisation, Role.HR)
    with django_assert_max_num_queries(15):
        client.get(reverse("audit:events"))

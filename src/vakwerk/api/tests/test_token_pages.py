"""HR's pages for API tokens: make (shown once), list, revoke; audited; HR and admins only."""

import hashlib

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse

from vakwerk.api.models import ApiToken, Scope
from vakwerk.api.services import api_token_create
from vakwerk.audit.models import AuditEvent
from vakwerk.audit.services import Actor
from vakwerk.organisations.models import Role

pytestmark = pytest.mark.django_db


def _make(client, **data):
    return client.post(reverse("api_tokens:create"), data, follow=False)


def test_a_new_token_is_shown_once_and_stored_only_as_a_hash(member_client, organisation, english):
    client, user = member_client(organisation, Role.HR)
    response = _make(client, name="Dashboard", scopes=["employees:read", "rounds:read"])
    assert response.status_code == 302
    assert response["Location"] == reverse("api_tokens:created")
    # Between the form and the page the plain token is nowhere on the server.
    prefix = f"vw_{ApiToken.objects.get().prefix}_"
    assert not any(prefix in str(s.get_decoded()) for s in Session.objects.all())

    page = client.get(reverse("api_tokens:created"))
    assert page.status_code == 200
    plain = page.context["plain"]
    assert plain.startswith("vw_")
    assert plain.encode() in page.content
    assert b"it will not be shown again" in page.content
    assert "no-store" in page["Cache-Control"]

    token = ApiToken.objects.get()
    assert (token.name, token.scopes, token.created_by) == (
        "Dashboard",
        ["employees:read", "rounds:read"],
        user,
    )
    secret = plain.split("_", 2)[2]
    assert token.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in token.secret_hash
    assert not AuditEvent.objects.filter(details__icontains=secret).exists()
    event = AuditEvent.objects.get(action="api_token.create")
    assert (event.actor, event.organisation, event.object_id) == (user, organisation, str(token.pk))

    again = client.get(reverse("api_tokens:created"))
    assert again.status_code == 302
    assert plain.encode() not in client.get(reverse("api_tokens:list")).content

    # The token works against the API.
    assert client.get("/api/v1/employees", HTTP_AUTHORIZATION=f"Bearer {plain}").status_code == 200


def test_a_token_needs_a_name_and_a_scope(member_client, organisation):
    client, _ = member_client(organisation, Role.HR)
    response = _make(client, name="", scopes=[])
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"name", "scopes"}
    response = _make(client, name="X", scopes=["everything"])
    assert "scopes" in response.context["form"].errors
    assert not ApiToken.objects.exists()


def test_the_form_explains_each_scope(member_client, organisation):
    client, _ = member_client(organisation, Role.ADMIN)
    content = client.get(reverse("api_tokens:create")).content.decode()
    for scope in Scope.values:
        assert f'value="{scope}"' in content


def test_the_list_shows_the_organisations_tokens_only(
    member_client, organisation, other_organisation
):
    api_token_create(
        organisation=organisation, actor=Actor(user=None), name="Eigen", scopes=["scim"]
    )
    api_token_create(
        organisation=other_organisation, actor=Actor(user=None), name="Vreemd", scopes=["scim"]
    )
    client, _ = member_client(organisation, Role.HR)
    content = client.get(reverse("api_tokens:list")).content.decode()
    token = ApiToken.objects.get(name="Eigen")
    assert "Eigen" in content
    assert f"vw_{token.prefix}_" in content
    assert "Vreemd" not in content


def test_revoking_asks_first_then_revokes_and_audits(member_client, organisation):
    token, plain = api_token_create(
        organisation=organisation, actor=Actor(user=None), name="Oud", scopes=["employees:read"]
    )
    client, user = member_client(organisation, Role.HR)
    url = reverse("api_tokens:revoke", kwargs={"token_id": token.pk})
    assert client.get(url).status_code == 200
    token.refresh_from_db()
    assert token.is_active

    assert client.post(url).status_code == 302
    token.refresh_from_db()
    assert not token.is_active
    event = AuditEvent.objects.get(action="api_token.revoke")
    assert (event.actor, event.object_id) == (user, str(token.pk))
    api = client.get("/api/v1/employees", HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert api.status_code == 401
    assert client.post(url).status_code == 302  # revoking twice changes nothing
    assert AuditEvent.objects.filter(action="api_token.revoke").count() == 1


@pytest.mark.parametrize("role", [Role.EMPLOYEE, Role.MANAGER])
def test_other_roles_are_refused(member_client, organisation, role):
    token, _ = api_token_create(
        organisation=organisation, actor=Actor(user=None), name="T", scopes=["scim"]
    )
    client, _ = member_client(organisation, role)
    for url in (
        reverse("api_tokens:list"),
        reverse("api_tokens:create"),
        reverse("api_tokens:created"),
        reverse("api_tokens:revoke", kwargs={"token_id": token.pk}),
    ):
        assert client.get(url).status_code == 403, url
    assert (
        client.post(reverse("api_tokens:create"), {"name": "x", "scopes": ["scim"]}).status_code
        == 403
    )
    assert (
        client.post(reverse("api_tokens:revoke", kwargs={"token_id": token.pk})).status_code == 403
    )
    token.refresh_from_db()
    assert token.is_active
    assert ApiToken.objects.count() == 1


def test_hr_finds_the_page_in_the_navigation(member_client, organisation):
    client, _ = member_client(organisation, Role.HR)
    assert reverse("api_tokens:list").encode() in client.get(reverse("shell:home")).content

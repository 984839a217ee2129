import pytest
from django.urls import reverse

from vakwerk.audit.models import AuditEvent, Result
from vakwerk.organisations.models import Role
from vakwerk.tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def test_successful_login_is_audited_in_the_users_organisation(client, organisation):
    user = MembershipFactory(organisation=organisation, roles=[Role.EMPLOYEE]).user
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": "correct-horse-battery"}
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="login")
    assert event.result == Result.SUCCESS
    assert event.organisation == organisation
    assert event.actor == user
    assert event.origin == "127.0.0.1"


def test_failed_login_is_audited_without_the_password(client, organisation):
    user = MembershipFactory(organisation=organisation, roles=[Role.EMPLOYEE]).user
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": "fout-wachtwoord"}
    )
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="login", result=Result.FAILURE)
    assert event.organisation == organisation
    assert event.details == {"email": user.email}
    assert "fout-wachtwoord" not in str(event.details)


def test_repeated_failures_lock_the_account_for_a_while(client, organisation):
    user = MembershipFactory(organisation=organisation, roles=[Role.EMPLOYEE]).user
    for _ in range(5):
        client.post(reverse("account_login"), {"login": user.email, "password": "fout"})
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": "correct-horse-battery"}
    )
    # Even the right password is refused while the account is throttled.
    assert response.status_code in (200, 429)
    assert "_auth_user_id" not in client.session


def test_self_signup_is_closed(client):
    response = client.get(reverse("account_signup"))
    assert "account/signup_closed.html" in [t.name for t in response.templates]
    response = client.post(
        reverse("account_signup"),
        {"email": "nieuw@example.nl", "password1": "lang-genoeg-12", "password2": "lang-genoeg-12"},
    )
    from vakwerk.accounts.models import User

    assert not User.objects.filter(email="nieuw@example.nl").exists()


def test_password_reset_sends_an_email(client, organisation, mailoutbox):
    user = MembershipFactory(organisation=organisation, roles=[Role.EMPLOYEE]).user
    response = client.post(reverse("account_reset_password"), {"email": user.email})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert user.email in mailoutbox[0].to


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get(reverse("shell:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_session_expires_after_idle_time(member_client, organisation):
    client, _ = member_client(organisation, Role.EMPLOYEE)
    assert client.get(reverse("shell:home")).status_code == 200
    session = client.session
    session.set_expiry(-1)  # as if the idle time had passed
    session.save()
    response = client.get(reverse("shell:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))

"""HR advisers and administrators must enrol in MFA before they can reach any of their pages."""

import pytest
from django.urls import reverse

from vakwerk.accounts.totp import current_code
from vakwerk.conftest import TOTP_SECRET
from vakwerk.organisations.models import Role
from vakwerk.shell.navigation import NAVIGATION

pytestmark = pytest.mark.django_db

HR_PAGES = [item.url_name for item in NAVIGATION if Role.HR in item.audience] + ["shell:home"]


@pytest.mark.parametrize("url_name", HR_PAGES)
def test_hr_without_mfa_is_sent_to_enrolment_from_every_hr_page(
    member_client, organisation, url_name
):
    client, _ = member_client(organisation, Role.HR, mfa=False)
    response = client.get(reverse(url_name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_activate_totp"))


def test_administrator_without_mfa_is_sent_to_enrolment(member_client, organisation):
    client, _ = member_client(organisation, Role.ADMIN, mfa=False)
    response = client.get(reverse("organisations:settings"))
    assert response["Location"].startswith(reverse("mfa_activate_totp"))


def test_hr_logging_in_without_mfa_lands_on_enrolment_and_can_enrol(client, organisation):
    from allauth.mfa.models import Authenticator

    from vakwerk.tests.factories import MembershipFactory

    user = MembershipFactory(organisation=organisation, roles=[Role.HR]).user
    response = client.post(
        reverse("account_login"),
        {"login": user.email, "password": "correct-horse-battery"},
        follow=True,
    )
    # Enrolment first asks for the password again (allauth's reauthentication), then the code.
    assert [step for step, _ in response.redirect_chain][-2].startswith(
        reverse("mfa_activate_totp")
    )
    response = client.post(
        response.redirect_chain[-1][0], {"password": "correct-horse-battery"}, follow=True
    )
    assert response.redirect_chain[-1][0].startswith(reverse("mfa_activate_totp"))
    secret = response.context["form"].secret
    response = client.post(reverse("mfa_activate_totp"), {"code": current_code(secret)})
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    assert client.get(reverse("audit:events")).status_code == 200


def test_employee_needs_no_mfa(member_client, organisation):
    client, _ = member_client(organisation, Role.EMPLOYEE, mfa=False)
    assert client.get(reverse("shell:home")).status_code == 200


def test_enrolled_hr_reaches_hr_pages(member_client, organisation):
    client, _ = member_client(organisation, Role.HR)
    assert client.get(reverse("audit:events")).status_code == 200


def test_password_login_of_enrolled_hr_asks_for_the_code(client, organisation):
    from vakwerk.accounts.services import totp_enrol
    from vakwerk.tests.factories import MembershipFactory

    user = MembershipFactory(organisation=organisation, roles=[Role.HR]).user
    totp_enrol(user=user, secret=TOTP_SECRET)
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": "correct-horse-battery"}
    )
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    response = client.post(reverse("mfa_authenticate"), {"code": current_code(TOTP_SECRET)})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)

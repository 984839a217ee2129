"""A first SSO login joins the organisation as an employee, linked to an existing record."""

import pytest

from vakwerk.accounts.services import sso_user_joined
from vakwerk.audit.services import Actor
from vakwerk.people.models import Employee
from vakwerk.tests.factories import EmployeeFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_first_sso_login_links_the_employee_that_scim_or_an_import_made(organisation):
    provisioned = EmployeeFactory(organisation=organisation, email="Jan.Smit@gemeente.nl")
    user = UserFactory(email="jan.smit@gemeente.nl")

    membership = sso_user_joined(user=user, organisation=organisation, actor=Actor(user=None))

    provisioned.refresh_from_db()
    assert provisioned.user == user
    assert membership.is_employee
    assert Employee.objects.filter(organisation=organisation).count() == 1


def test_a_first_sso_login_without_a_record_makes_one(organisation):
    user = UserFactory(email="nieuw@gemeente.nl", first_name="Nieuw")

    sso_user_joined(user=user, organisation=organisation, actor=Actor(user=None))

    employee = Employee.objects.get(organisation=organisation)
    assert (employee.user, employee.email, employee.first_name) == (user, user.email, "Nieuw")


def test_a_record_linked_to_someone_else_is_left_alone(organisation):
    other = UserFactory(email="ander@gemeente.nl")
    linked = EmployeeFactory(organisation=organisation, email="gedeeld@gemeente.nl", user=other)
    user = UserFactory(email="gedeeld@gemeente.nl")

    sso_user_joined(user=user, organisation=organisation, actor=Actor(user=None))

    linked.refresh_from_db()
    assert linked.user == other

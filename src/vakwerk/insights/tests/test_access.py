"""Who may see one person's results: the policy table of insights.access."""

import pytest

from vakwerk.insights.access import can_see_results
from vakwerk.organisations.models import Role
from vakwerk.tests.factories import EmployeeFactory, MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(organisation):
    manager = EmployeeFactory(organisation=organisation)
    report = EmployeeFactory(organisation=organisation, manager=manager)
    colleague = EmployeeFactory(organisation=organisation, manager=manager)
    return manager, report, colleague


def _membership(organisation, *roles):
    return MembershipFactory(organisation=organisation, roles=list(roles))


def test_everyone_sees_their_own_results(organisation, people):
    _, report, _ = people
    assert can_see_results(_membership(organisation, Role.EMPLOYEE), report, report)


def test_a_colleague_never_sees_results_whatever_the_policy(organisation, people):
    _, report, colleague = people
    organisation.manager_visibility = organisation.hr_visibility = "yes"
    organisation.save()
    report.shares_results_with_manager = report.shares_results_with_hr = True
    report.save()
    assert not can_see_results(_membership(organisation, Role.EMPLOYEE), colleague, report)


@pytest.mark.parametrize(
    ("policy", "consent", "allowed"),
    [
        ("yes", False, True),
        ("consent", True, True),
        ("consent", False, False),
        ("no", True, False),
    ],
)
def test_the_manager_follows_the_policy_and_the_consent(
    organisation, people, policy, consent, allowed
):
    manager, report, _ = people
    organisation.manager_visibility = policy
    organisation.save()
    report.shares_results_with_manager = consent
    report.save()
    membership = _membership(organisation, Role.MANAGER)
    assert can_see_results(membership, manager, report) is allowed


def test_a_manager_sees_only_their_own_reports(organisation, people):
    _, report, _ = people
    organisation.manager_visibility = "yes"
    organisation.save()
    other_manager = EmployeeFactory(organisation=organisation)
    assert not can_see_results(_membership(organisation, Role.MANAGER), other_manager, report)


@pytest.mark.parametrize(
    ("policy", "consent", "allowed"),
    [("yes", False, True), ("consent", True, True), ("consent", False, False), ("no", True, False)],
)
def test_hr_follows_its_own_policy(organisation, people, policy, consent, allowed):
    _, report, _ = people
    organisation.hr_visibility = policy
    organisation.save()
    report.shares_results_with_hr = consent
    report.save()
    assert can_see_results(_membership(organisation, Role.HR), None, report) is allowed


def test_nobody_sees_results_in_another_organisation(organisation, people):
    _, report, _ = people
    elsewhere = OrganisationFactory(hr_visibility="yes")
    assert not can_see_results(_membership(elsewhere, Role.HR), None, report)

""" "My data" in a real browser: the explanation, the printable page with the person's data,
and axe on both."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from vakwerk.organisations.models import Role
from vakwerk.practice.models import JournalEntry
from vakwerk.tests.browser import check_axe, login
from vakwerk.tests.factories import EmployeeFactory, MembershipFactory

pytest_plugins = ["vakwerk.tests.browser"]
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"


def test_my_data_pages_are_accessible(page, live_url, organisation):
    membership = MembershipFactory(organisation=organisation, roles=[Role.EMPLOYEE])
    employee = EmployeeFactory(organisation=organisation, user=membership.user)
    JournalEntry.objects.create(organisation=organisation, employee=employee, text="Mijn notitie")
    login(page, live_url, membership.user.email, PASSWORD)

    page.goto(f"{live_url}{reverse('privacy:index')}")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator(f"main a[href='{reverse('privacy:json')}']")).to_be_visible()
    check_axe(page, "my data")

    page.locator(f"main a[href='{reverse('privacy:printable')}']").click()
    expect(page.get_by_text("Mijn notitie")).to_be_visible()
    expect(page.get_by_text(employee.email).first).to_be_visible()
    check_axe(page, "my data, printable")

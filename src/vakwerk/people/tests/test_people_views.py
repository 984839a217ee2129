import datetime as dt

import pytest
from django.urls import reverse

from vakwerk.audit.models import AuditEvent
from vakwerk.organisations.models import Role
from vakwerk.people.models import Employee
from vakwerk.tests.factories import EmployeeFactory

pytestmark = pytest.mark.django_db


def test_hr_ends_an_employment_and_the_person_stays(member_client, organisation):
    client, _ = member_client(organisation, Role.HR)
    person = EmployeeFactory(organisation=organisation, start_date=dt.date(2020, 1, 1))
    response = client.post(reverse("people:person", args=[person.pk]), {"end_date": "2024-06-30"})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.end_date == dt.date(2024, 6, 30)
    assert Employee.objects.filter(pk=person.pk).exists()
    assert AuditEvent.objects.filter(action="employee.end", object_id=str(person.pk)).exists()
    listed = client.get(reverse("people:employees")).context["page"].object_list
    assert person not in listed
    with_leavers = client.get(reverse("people:employees"), {"uit_dienst": "1"})
    assert person in with_leavers.context["page"].object_list


def test_end_date_before_start_date_is_refused(member_client, organisation):
    client, _ = member_client(organisation, Role.HR)
    person = EmployeeFactory(organisation=organisation, start_date=dt.date(2020, 1, 1))
    response = client.post(reverse("people:person", args=[person.pk]), {"end_date": "2019-01-01"})
    assert response.status_code == 200
    assert "end_date" in response.context["form"].errors
    person.refresh_from_db()
    assert person.end_date is None


def test_employee_list_is_paged_with_a_bounded_number_of_queries(
    member_client, organisation, django_assert_max_num_queries
):
    client, _ = member_client(organisation, Role.HR)
    EmployeeFactory.create_batch(60, organisation=organisation)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("people:employees"))
    assert len(response.context["page"].object_list) == 50


def test_odd_digits_in_a_filter_do_not_crash_the_page(member_client, organisation):
    client, _ = member_client(organisation, Role.HR)
    response = client.get(reverse("people:employees"), {"team": "²", "functieprofiel": "9" * 5000})
    assert response.status_code == 200

"""The notification centre pages: only one's own notifications, read marks, the header count,
the email preferences."""

import datetime as dt

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from vakwerk.audit.models import AuditEvent
from vakwerk.nudges.models import Notification, NotificationKind, NotificationPreference
from vakwerk.organisations.models import Role
from vakwerk.tests.factories import EmployeeFactory, MembershipFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _notify(organisation, user, n: int = 1, **fields) -> list[Notification]:
    start = timezone.now() - dt.timedelta(days=n)
    made = []
    for i in range(n):
        number = Notification.objects.filter(user=user).count()
        made.append(
            Notification.objects.create(
                organisation=organisation,
                user=user,
                kind=fields.get("kind", NotificationKind.PRACTICE_DUE),
                params=fields.get("params", {"count": number + 1}),
                url=fields.get("url", reverse("practice:today")),
                key=f"test:{number}",
                created_at=start + dt.timedelta(days=i),
            )
        )
    return made


@pytest.fixture
def employee(member_client, organisation):
    client, user = member_client(organisation, Role.EMPLOYEE)
    EmployeeFactory(organisation=organisation, user=user)
    return client, user


def test_the_centre_lists_my_notifications_newest_first_with_unread_marked(
    employee, organisation, other_organisation, member_client
):
    client, user = employee
    old, new = _notify(organisation, user, 2)
    old.read_at = timezone.now()
    old.save()
    _someone_else, other = member_client(organisation, Role.EMPLOYEE)
    _notify(organisation, other, params={"count": 99})
    # My own notification, but in another organisation I belong to.
    MembershipFactory(organisation=other_organisation, user=user)
    _notify(other_organisation, user, params={"count": 77}, url="")
    response = client.get(reverse("notifications:list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert [n for n, _text in response.context["items"]] == [new, old]
    assert "2 practice exercises are waiting for you." in html
    assert "99 practice" not in html
    assert "77 practice" not in html
    assert html.count("vakwerk-notification--unread") == 1
    assert "1 unread notification" in html
    assert "(1 unread)" in html  # in the page header


def test_the_empty_centre_says_so(employee):
    client, _user = employee
    html = client.get(reverse("notifications:list")).content.decode()
    assert "You have no notifications" in html
    assert "Mark all as read" not in html


def test_the_list_takes_the_same_number_of_queries_for_few_or_many(
    employee, organisation, django_assert_num_queries
):
    client, user = employee
    _notify(organisation, user, 2)
    client.get(reverse("notifications:list"))  # warm up sessions and caches
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("notifications:list"))
    _notify(organisation, user, 40)
    with django_assert_num_queries(len(few), exact=True):
        response = client.get(reverse("notifications:list"))
    assert len(response.context["items"]) == 25  # one page
    assert response.context["page"].paginator.num_pages == 2


def test_opening_a_notification_marks_it_read_and_follows_its_link(employee, organisation):
    client, user = employee
    [notification] = _notify(organisation, user)
    response = client.get(reverse("notifications:open", args=[notification.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("practice:today")
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_a_link_elsewhere_is_not_followed(employee, organisation):
    client, user = employee
    [notification] = _notify(organisation, user, url="//evil.example/")
    response = client.get(reverse("notifications:open", args=[notification.pk]))
    assert response["Location"] == reverse("notifications:list")


def test_marking_one_and_all_read(employee, organisation):
    client, user = employee
    first, *_others = _notify(organisation, user, 3)
    assert client.get(reverse("notifications:read", args=[first.pk])).status_code == 405
    response = client.post(reverse("notifications:read", args=[first.pk]), {"pagina": "1"})
    assert response["Location"] == reverse("notifications:list") + "?pagina=1"
    first.refresh_from_db()
    assert first.read_at is not None
    assert Notification.objects.unread().count() == 2
    client.post(reverse("notifications:read_all"))
    assert not Notification.objects.unread().exists()


def test_another_persons_notification_is_404(employee, organisation, member_client):
    client, _user = employee
    _other_client, other = member_client(organisation, Role.EMPLOYEE, Role.MANAGER)
    [theirs] = _notify(organisation, other)
    for name, method in (("open", client.get), ("read", client.post)):
        assert method(reverse(f"notifications:{name}", args=[theirs.pk])).status_code == 404
    client.post(reverse("notifications:read_all"))
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_centre_needs_a_login():
    response = Client().get(reverse("notifications:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_preferences_are_saved_audited_and_set_the_language(employee, organisation):
    client, user = employee
    page = client.get(reverse("notifications:preferences"))
    assert page.status_code == 200
    assert page.context["form"]["weekly_digest"].value() is True  # the defaults
    assert not NotificationPreference.objects.exists()  # looking creates nothing
    response = client.post(
        reverse("notifications:preferences"), {"language": "en", "reminders": "on"}
    )
    assert response.status_code == 302
    choice = NotificationPreference.objects.get(user=user)
    assert (choice.language, choice.weekly_digest, choice.reminders) == ("en", False, True)
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    event = AuditEvent.objects.get(action="notifications.preferences")
    assert event.organisation == organisation
    assert event.details["after"]["weekly_digest"] is False


def test_a_bad_language_is_refused(employee):
    client, _user = employee
    response = client.post(reverse("notifications:preferences"), {"language": "fr"})
    assert response.status_code == 200
    assert "Your choices could not be saved" in response.content.decode()
    assert not NotificationPreference.objects.exists()


def test_the_header_count_is_one_query(employee, organisation):
    client, user = employee
    _notify(organisation, user, 3)
    home = reverse("shell:home")
    client.get(home)
    with CaptureQueriesContext(connection) as queries:
        html = client.get(home).content.decode()
    assert "(3 unread)" in html
    counts = [q["sql"] for q in queries if "nudges_notification" in q["sql"]]
    assert len(counts) == 1
    assert "COUNT" in counts[0].upper()


def test_the_unread_count_counts_what_the_centre_lists_as_unread(employee, organisation):
    from vakwerk.nudges import notifications
    from vakwerk.organisations.models import Organisation
    from vakwerk.tests.factories import UserFactory

    _client, user = employee
    other_organisation = Organisation.objects.create(slug="elders", name="Elders")
    MembershipFactory(organisation=other_organisation, user=user)
    someone = UserFactory()
    MembershipFactory(organisation=organisation, user=someone)
    read = _notify(organisation, user, 5)
    for item in read[:2]:
        notifications.notification_mark_read(notification=item)
    _notify(other_organisation, user, 4)  # another organisation's centre
    _notify(organisation, someone, 7)  # someone else's
    for who, where, expected in (
        (user, organisation, 3),
        (user, other_organisation, 4),
        (someone, organisation, 7),
        (someone, other_organisation, 0),
    ):
        orm = notifications.notifications_of(where, who).unread().count()
        assert notifications.unread_count(where, who) == orm == expected


def test_people_without_an_organisation_have_no_centre(db, rf):
    from vakwerk.nudges.context_processors import notifications
    from vakwerk.tests.factories import UserFactory

    user = UserFactory()
    client = Client()
    client.force_login(user)
    assert client.get(reverse("notifications:list")).status_code == 403
    request = rf.get("/")
    request.user = user
    request.organisation = None
    assert notifications(request) == {"unread_notifications": None}

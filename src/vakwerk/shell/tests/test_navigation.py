"""The main navigation: the list rendered once per language, set of items and current item
shows each role its own items, marks the page it is on, and speaks the reader's language."""

import re

import pytest
from django.conf import settings
from django.urls import reverse

from vakwerk.organisations.models import Role

pytestmark = pytest.mark.django_db

NAV = re.compile(r'<nav class="vakwerk-nav".*?</nav>', re.S)
LINK = re.compile(r'<a class="vakwerk-nav__link" href="([^"]+)"( aria-current="page")?>([^<]+)</a>')


def _links(client, url: str, language: str) -> list[tuple[str, bool, str]]:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    (nav,) = NAV.findall(client.get(url).content.decode())
    return [(href, bool(current), label) for href, current, label in LINK.findall(nav)]


def test_each_role_its_items_the_current_page_marked_in_both_languages(member_client, organisation):
    employee, _ = member_client(organisation, Role.EMPLOYEE)
    hr, _ = member_client(organisation, Role.HR)
    today = reverse("practice:today")
    for language, label in (("nl", "Vandaag oefenen"), ("en", "Practise today")):
        mine = _links(employee, today, language)
        assert (today, True, label) in mine
        assert [current for _, current, _ in mine].count(True) == 1
        assert reverse("people:employees") not in {href for href, _, _ in mine}
        # The same items on another page: the mark moves, the cached list of the first stays.
        elsewhere = _links(employee, reverse("people:profile"), language)
        assert {href for href, _, _ in elsewhere} == {href for href, _, _ in mine}
        assert (today, False, label) in elsewhere
        assert (reverse("people:profile"), True) in {(h, c) for h, c, _ in elsewhere}
        assert _links(employee, today, language) == mine
        staff = _links(hr, today, language)
        assert reverse("people:employees") in {href for href, _, _ in staff}
    assert _links(employee, today, "nl") != _links(employee, today, "en")

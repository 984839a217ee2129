"""Every email template in Dutch and English, HTML and plain text: the language is set, no
template syntax is left, every link is absolute and leads to a page of Vakwerk, and the Dutch
version has no English left in it (this needs the Dutch catalogue compiled)."""

import datetime as dt
import re
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.test import Client
from django.urls import resolve

from vakwerk.assessments.models import InvitationStatus
from vakwerk.development.models import PlanStatus
from vakwerk.nudges import email
from vakwerk.nudges.digest import digest_of
from vakwerk.nudges.tests.due import card, invitation, open_round, person, plan, plan_item
from vakwerk.organisations.models import Role

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 30, 7, 30, tzinfo=ZoneInfo("Europe/Amsterdam"))
URL = re.compile(r"https?://[^\s<>\"')]+")
# Words of the English templates that must not be left in a Dutch email.
ENGLISH = [
    "Dear",
    "Unsubscribe",
    "waiting for you",
    "this week",
    "For you",
    "Practice",
    "development plan",
    "due on",
    "questionnaire",
    "manager",
    "on behalf of",
    "Choose which emails",
    "Done one already",
    "activities",
]
DUTCH = ["Beste", "Afmelden", "namens"]


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self.headings: list[str] = []
        self.lang = ""
        self._href: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "html":
            self.lang = found.get("lang") or ""
        if tag == "a":
            self._href, self._text = found.get("href") or "", ""
        if tag in ("h1", "h2", "h3"):
            self.headings.append(tag)

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.links.append((self._href, " ".join(self._text.split())))
            self._href = None


@pytest.fixture
def everything(organisation):
    """A manager who has something of every kind due, with a report who has too."""
    boss = person(organisation, Role.EMPLOYEE, Role.MANAGER, first_name="Bram")
    ann = person(organisation, manager=boss, first_name="Ann")
    today = NOW.date()
    card(boss, NOW - dt.timedelta(days=1))
    card(boss, NOW - dt.timedelta(days=2))
    own = plan_item(boss, today + dt.timedelta(days=3), title="Intervisie")
    overdue = plan_item(boss, today - dt.timedelta(days=2), title="Coaching")
    team_item = plan_item(ann, today + dt.timedelta(days=4), title="Meeloopdag")
    # Ann's plan is approved (for the reminder); a second report waits for review.
    bob = person(organisation, manager=boss, first_name="Bob")
    plan(bob, PlanStatus.SUBMITTED)
    talk = plan(ann)
    talk.talk_on = today + dt.timedelta(days=2)
    talk.save()
    round_ = open_round(organisation, closes_on=today + dt.timedelta(days=9), name="Najaar")
    invitation(round_, rater=boss, about=boss)
    invitation(round_, rater=boss, about=ann)
    invitation(round_, rater=ann, about=ann, status=InvitationStatus.COMPLETED)
    invitation(round_, rater=bob, about=bob)
    return boss, [own, overdue], [team_item]


def _messages(everything, language: str) -> dict[str, EmailMultiAlternatives]:
    boss, own, team = everything
    digest = digest_of(boss.organisation, boss, now=NOW)
    assert all(
        [
            digest.practice_due,
            digest.plan_items,
            digest.feedback,
            digest.plans_to_review,
            digest.team_rates,
            digest.talks,
        ]
    )
    return {
        "digest": email.digest_message(digest=digest, language=language),
        "reminder (own and team)": email.reminder_message(
            employee=boss, own=own, team=team, language=language
        ),
        "reminder (own)": email.reminder_message(
            employee=boss, own=own, team=[], language=language
        ),
        "reminder (team)": email.reminder_message(
            employee=boss, own=[], team=team, language=language
        ),
    }


def _html(message: EmailMultiAlternatives) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return str(html)


def _path(url: str) -> str:
    assert url.startswith(settings.BASE_URL + "/"), f"not absolute in Vakwerk: {url}"
    return url.removeprefix(settings.BASE_URL)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_every_email_renders_completely_with_working_links(everything, language):
    boss = everything[0]
    client = Client()
    client.force_login(boss.user)
    anonymous = Client()
    for name, message in _messages(everything, language).items():
        html, text = _html(message), message.body
        where = f"{name} ({language})"
        for body in (html, text, message.subject):
            for syntax in ("{{", "{%", "}}", "%}"):
                assert syntax not in body, where
        page = Links()
        page.feed(html)
        assert page.lang == language, where
        assert page.headings[0] == "h1", where
        assert page.links, where
        for href, label in page.links:
            assert label, f"{where}: no link text for {href}"
            assert not label.startswith("http"), f"{where}: link text of {href}"
            resolve(_path(href))
        text_links = URL.findall(text)
        assert {href for href, _ in page.links} == set(text_links), where
        for link in text_links:
            match = resolve(_path(link))
            if match.url_name == "unsubscribe":
                assert anonymous.get(_path(link)).status_code == 200, where
            elif match.namespace == "notifications":
                assert client.get(_path(link)).status_code == 200, where
        header = message.extra_headers["List-Unsubscribe"].strip("<>")
        assert resolve(_path(header)).url_name == "unsubscribe"


def test_the_dutch_emails_have_no_english_left(everything):
    """Needs the Dutch translations of the nudges msgids compiled into the catalogue."""
    for name, message in _messages(everything, "nl").items():
        for body in (_html(message), message.body, message.subject):
            text = URL.sub("", body)
            left = [word for word in ENGLISH if word in text]
            assert not left, f"{name}: English left in Dutch email: {left}"
        assert all(word in message.body for word in DUTCH), name


def test_the_english_emails_are_english(everything):
    for name, message in _messages(everything, "en").items():
        assert "Dear Bram," in message.body, name
        assert "Unsubscribe" in message.body, name
    digest = _messages(everything, "en")["digest"]
    assert digest.subject == "Vakwerk this week: 8 things waiting for you"
    for expected in (
        "2 practice exercises are waiting for you",
        "Intervisie: due on 3 December 2026",
        "Coaching: was due on 28 November 2026",
        "Your self-assessment",
        "Development plan of",
        "1 of 2 questionnaires answered (50%)",
        "For you as a manager",
    ):
        assert expected in digest.body, expected

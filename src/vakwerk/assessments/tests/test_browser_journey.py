"""Issue 4 acceptance in a real browser, the whole journey of a round:

HR creates and opens a round; an employee chooses colleagues on a phone-size screen with the
keyboard only and completes the self-assessment and the situational judgement test; the
manager approves the colleagues, rates and invites an external rater; the colleagues and the
external rater answer through their links; reminders reach the outbox; the round closes; the
evidence export holds exactly what was answered (the single external rater stays below the
anonymity threshold and is left out).
"""

import csv
import io
import re
from collections.abc import Callable

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from vakwerk.accounts.services import totp_enrol
from vakwerk.assessments.models import Round, Subject
from vakwerk.assessments.sjt import sjt_load_pack
from vakwerk.audit.services import Actor
from vakwerk.conftest import TOTP_SECRET
from vakwerk.frameworks.content import shipped_pack
from vakwerk.frameworks.models import Indicator, RoleProfile
from vakwerk.organisations.models import Role
from vakwerk.tests.browser import axe_violations, login
from vakwerk.tests.factories import EmployeeFactory, MembershipFactory, TeamFactory

pytest_plugins = ["vakwerk.tests.browser"]
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 740}
PASSWORD = "correct-horse-battery"
COMPETENCIES = ("AV-EMP", "AV-TRA")


def person(organisation, team, role_profile, *roles, manager=None, **fields):
    user = MembershipFactory(organisation=organisation, roles=list(roles) or [Role.EMPLOYEE]).user
    return EmployeeFactory(
        organisation=organisation,
        team=team,
        role_profile=role_profile,
        manager=manager,
        user=user,
        email=user.email,
        **fields,
    )


def answer_all(page: Page, value_for: Callable[[int], int | None]) -> dict[int, int | None]:
    """Answer every item on the questionnaire page; returns indicator id -> value given."""
    given: dict[int, int | None] = {}
    names = page.locator("input[type=radio][value='0']").evaluate_all(
        "inputs => inputs.map(i => i.name)"
    )
    for index, name in enumerate(names):
        pk = int(name.removeprefix("item-"))
        value = value_for(index)
        page.locator(f"#item-{pk}-{'none' if value is None else value}").check()
        given[pk] = value
    # Every answer is saved by its own request; on a busy machine all of them can take longer
    # than expect's default five seconds.
    expect(page.locator("#progress")).to_contain_text(
        f"{len(names)} of {len(names)}", timeout=30_000
    )
    return given


def test_a_whole_round_from_opening_to_evidence(
    new_page, live_url, organisation, framework_version, mailoutbox
):
    sjt = shipped_pack("sjt-ambtelijk-vakmanschap-3.0")
    assert sjt is not None
    sjt_load_pack(organisation=organisation, actor=Actor(user=None), pack=sjt)
    team = TeamFactory(organisation=organisation, name="Burgerzaken")
    profile = RoleProfile.objects.get(organisation=organisation, code="baliemedewerker-burgerzaken")
    manager = person(organisation, team, profile, Role.EMPLOYEE, Role.MANAGER, first_name="Marieke")
    employee = person(organisation, team, profile, manager=manager, first_name="Sanne")
    peers = [person(organisation, team, profile, manager=manager) for _ in range(3)]
    hr = MembershipFactory(organisation=organisation, roles=[Role.HR]).user
    totp_enrol(user=hr, secret=TOTP_SECRET)
    violations: list[str] = []

    # HR creates the round for the team, on two competencies, with external raters, and opens it.
    page = new_page(locale="en")
    login(page, live_url, hr.email, PASSWORD, totp_secret=TOTP_SECRET)
    page.goto(f"{live_url}/rondes/nieuw/")
    page.get_by_label("Name", exact=True).fill("Meting Burgerzaken")
    page.locator(f"input[name=teams][value='{team.pk}']").check()
    page.locator("input[name=instruments][value=external]").check()
    for code in COMPETENCIES:
        page.locator(f"input[name=competency_codes][value='{code}']").check()
    violations += axe_violations(page, "create round")
    page.get_by_role("button", name="Create the round").click()
    page.get_by_role("button", name="Open the round").click()
    expect(page.get_by_text("The round is open")).to_be_visible()
    round_ = Round.objects.get(name="Meting Burgerzaken")
    assert round_.subjects.count() == 5
    violations += axe_violations(page, "round dashboard")

    # The employee, on a phone with the keyboard only: colleagues, self-assessment, SJT.
    phone = new_page(locale="en")
    phone.set_viewport_size(PHONE)
    login(phone, live_url, employee.user.email, PASSWORD)
    subject = Subject.objects.get(round=round_, employee=employee)
    phone.goto(f"{live_url}/vragenlijsten/deelname/{subject.pk}/collegas/")
    for peer in peers:
        phone.locator(f"#peer-{peer.pk}").focus()
        phone.keyboard.press("Space")
    phone.get_by_role("button", name="Send to my manager").focus()
    with phone.expect_navigation():
        phone.keyboard.press("Enter")
    expect(phone.get_by_text("sent to your manager")).to_be_visible()

    self_invitation = subject.invitations.get(source="self")
    phone.goto(f"{live_url}/vragenlijsten/{self_invitation.pk}/")
    self_given: dict[int, int] = {}
    names = phone.locator("input[type=radio][value='0']").evaluate_all(
        "inputs => inputs.map(i => i.name)"
    )
    for index, name in enumerate(names):
        pk = int(name.removeprefix("item-"))
        phone.locator(f"#item-{pk}-0").focus()
        phone.keyboard.press("Space")  # selects (almost) never
        for _ in range(index % 5):
            phone.keyboard.press("ArrowDown")  # moves the choice one step up the scale
        self_given[pk] = index % 5
    # Every answer is saved by its own request; on a busy machine all of them can take longer
    # than expect's default five seconds.
    expect(phone.locator("#progress")).to_contain_text(
        f"{len(names)} of {len(names)}", timeout=30_000
    )
    phone.get_by_role("button", name="Done").focus()
    with phone.expect_navigation():
        phone.keyboard.press("Enter")
    expect(phone.get_by_text("your answers are complete")).to_be_visible()

    phone.goto(f"{live_url}/situaties/{subject.pk}/")
    violations += axe_violations(phone, "situational judgement test")
    while True:
        radios = phone.locator("input[type=radio][value='1']").evaluate_all(
            "inputs => inputs.map(i => i.id)"
        )
        for number, option_radio in enumerate(radios):
            phone.locator(f"#{option_radio}").focus()
            phone.keyboard.press("Space")  # rating 1
            for _ in range(number % 4):
                phone.keyboard.press("ArrowDown")  # one step more effective
        if phone.get_by_role("button", name="Next situation").count():
            phone.get_by_role("button", name="Next situation").focus()
        else:
            phone.get_by_role("button", name="Review and hand in").focus()
        with phone.expect_navigation():
            phone.keyboard.press("Enter")
        if "afronden" in phone.url:
            break
    phone.get_by_role("button", name="Hand in the test").focus()
    with phone.expect_navigation():
        phone.keyboard.press("Enter")
    subject.refresh_from_db()
    assert subject.sjt_completed_at is not None

    # The manager approves the colleagues, rates Sanne and invites an external rater.
    desk = new_page(locale="en")
    login(desk, live_url, manager.user.email, PASSWORD)
    desk.goto(f"{live_url}/vragenlijsten/deelname/{subject.pk}/collegas/goedkeuren/")
    desk.get_by_role("button", name="Approve these colleagues").click()
    expect(desk.get_by_text("have been approved")).to_be_visible()
    manager_invitation = subject.invitations.get(source="manager")
    desk.goto(f"{live_url}/vragenlijsten/{manager_invitation.pk}/")
    manager_given = answer_all(desk, lambda i: 3)
    desk.get_by_role("button", name="Done").click()
    desk.goto(f"{live_url}/vragenlijsten/deelname/{subject.pk}/extern/")
    desk.get_by_label("Name", exact=True).fill("Wethouder Bakker")
    desk.get_by_label("Email address").fill("wethouder@example.nl")
    desk.get_by_label("Relation").fill("wethouder")
    desk.get_by_role("button", name="Send the invitation").click()
    invitation_mail = next(m for m in mailoutbox if "wethouder@example.nl" in m.to)
    link = re.search(r"https?://\S+/vragenlijsten/extern/\S+/", invitation_mail.body)
    assert link is not None

    # Three colleagues answer (one cannot judge the first behaviour), then the external rater.
    peer_given: dict[int, dict[int, int | None]] = {}
    for number, peer in enumerate(peers):
        colleague = new_page(locale="en")
        login(colleague, live_url, peer.user.email, PASSWORD)
        invitation = subject.invitations.get(source="peer", rater=peer)
        colleague.goto(f"{live_url}/vragenlijsten/{invitation.pk}/")
        peer_given[invitation.pk] = answer_all(
            colleague, lambda i, n=number: None if (n == 0 and i == 0) else (i + n) % 5
        )
        colleague.get_by_role("button", name="Done").click()
        expect(colleague.get_by_text("your answers are complete")).to_be_visible()
    outsider = new_page(locale="en")
    outsider.goto(link.group(0).replace("http://testserver", live_url))
    violations += axe_violations(outsider, "external questionnaire")
    answer_all(outsider, lambda i: 4)
    outsider.get_by_role("button", name="Done").click()
    expect(outsider.get_by_text("your answers are complete")).to_be_visible()

    # Reminders for those who have not answered reach the outbox; HR closes the round.
    before = len(mailoutbox)
    page.goto(f"{live_url}/rondes/{round_.pk}/")
    page.get_by_role("button", name="Remind all non-responders").click()
    reminded = {address for message in mail.outbox[before:] for address in message.to}
    assert {p.user.email for p in peers} <= reminded  # their own self-assessments are open
    assert employee.user.email not in reminded
    page.goto(f"{live_url}/rondes/{round_.pk}/sluiten/")
    page.get_by_role("button", name="Yes, close the round").click()
    round_.refresh_from_db()
    assert round_.status == "closed"

    # The evidence export, linked from the round's page, holds exactly what was answered.
    page.goto(f"{live_url}/rondes/{round_.pk}/")
    href = page.get_by_role("link", name="Download the evidence (CSV)").get_attribute("href")
    assert href == f"/bewijs/{round_.pk}.csv"
    response = page.request.get(f"{live_url}{href}")
    assert response.ok
    rows = list(csv.DictReader(io.StringIO(response.text())))
    mine = [row for row in rows if row["person"] == employee.employee_number]

    def given(source: str) -> set[tuple[str, int]]:
        return {(row["item"], int(row["score"])) for row in mine if row["source"] == source}

    assert given("self") == {(f"i{pk}", value) for pk, value in self_given.items()}
    assert given("manager") == {(f"i{pk}", value) for pk, value in manager_given.items()}
    expected_peers = {
        (f"i{pk}", value)
        for answers in peer_given.values()
        for pk, value in answers.items()
        if value is not None
    }
    assert given("peer") == expected_peers
    assert len([r for r in mine if r["source"] == "peer"]) == sum(
        1 for answers in peer_given.values() for v in answers.values() if v is not None
    )
    assert not [row for row in mine if row["source"] == "external"]  # 1 rater < threshold 3
    sjt_rows = [row for row in mine if row["source"] == "sjt"]
    assert sjt_rows
    assert all(0 <= int(row["score"]) <= 4 and row["categories"] == "5" for row in sjt_rows)
    codes = set(
        Indicator.objects.filter(competency__version=round_.version)
        .filter(competency__code__in=COMPETENCIES)
        .values_list("competency__code", flat=True)
    )
    assert {row["competency"] for row in mine if row["source"] != "sjt"} == codes
    assert violations == [], "\n".join(violations)

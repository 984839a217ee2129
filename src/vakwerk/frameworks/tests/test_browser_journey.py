"""Issue 3 acceptance in a real browser: HR adopts the 3.0 framework plus core values,
publishes it, creates a role profile, imports 300 people from a file with three bad rows,
sees exactly those three errors, fixes them, imports, and finds the people with their teams
and managers. Every page on the way passes axe."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from vakwerk.accounts.services import totp_enrol
from vakwerk.conftest import TOTP_SECRET
from vakwerk.organisations.models import Role
from vakwerk.people.models import Employee
from vakwerk.tests.browser import axe_violations, login
from vakwerk.tests.factories import MembershipFactory, OrganisationFactory

pytest_plugins = ["vakwerk.tests.browser"]
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADER = ";".join(
    [
        "personeelsnummer",
        "voornaam",
        "achternaam",
        "e-mail",
        "functie",
        "afdeling",
        "team",
        "functieprofiel",
        "leidinggevende",
        "datum in dienst",
    ]
)


def people_file(bad: bool) -> str:
    """300 people: 3 departments, 12 teams, each team led by its first member."""
    rows = [HEADER]
    for n in range(1, 301):
        team = (n - 1) // 25
        leader = team * 25 + 1
        manager = "" if n == leader else f"{leader:05d}"
        email = f"persoon{n}@kleindorp.nl"
        start = "01-03-2019"
        if bad and n == 40:
            email = "persoon40-at-kleindorp.nl"
        if bad and n == 120:
            start = "31-02-2020"
        if bad and n == 250:
            manager = "99999"
        profile = "teamleider" if n == leader else "baliemedewerker-burgerzaken"
        rows.append(
            f"{n:05d};Voornaam{n};Achternaam{n};{email};Medewerker;Afdeling {team % 3 + 1};"
            f"Team {team + 1};{profile};{manager};{start}"
        )
    return "\n".join(rows) + "\n"


def test_hr_builds_the_framework_and_imports_people(new_page, live_url: str, tmp_path: Path):
    page: Page = new_page(locale="en")
    organisation = OrganisationFactory(name="Gemeente Kleindorp", slug="kleindorp")
    hr = MembershipFactory(organisation=organisation, roles=[Role.HR]).user
    totp_enrol(user=hr, secret=TOTP_SECRET)
    login(page, live_url, hr.email, "correct-horse-battery", totp_secret=TOTP_SECRET)
    violations: list[str] = []

    # Adopt the 3.0 pack, add the core values, publish.
    page.goto(f"{live_url}/kaders/")
    violations += axe_violations(page, "frameworks")
    page.locator("form[action$='/kaders/pakket/'] button").first.click()
    expect(page.get_by_text("Version 1: Draft")).to_be_visible()
    page.locator("form[action$='/pakket/'] button").first.click()
    expect(page.get_by_text("KW-ONP").first).to_be_visible()
    violations += axe_violations(page, "draft version")
    page.get_by_role("button", name="Publish this version").click()
    expect(page.get_by_text("Version 1: Published")).to_be_visible()

    # Create a role profile.
    page.goto(f"{live_url}/kaders/functieprofielen/nieuw/")
    page.get_by_label("Code", exact=True).fill("wijkregisseur")
    page.get_by_label("Name", exact=True).fill("Wijkregisseur")
    page.locator("#id_AV-NET_minimum").select_option("2")
    page.locator("#id_AV-NET_target").select_option("3")
    violations += axe_violations(page, "role profile form")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("link", name="Wijkregisseur")).to_be_visible()

    # Import a file with three bad rows: exactly those three errors are listed.
    bad = tmp_path / "personeel.csv"
    bad.write_bytes(people_file(bad=True).encode("cp1252"))
    page.goto(f"{live_url}/mensen/medewerkers/import/")
    page.locator("input[type=file]").set_input_files(bad)
    page.get_by_role("button", name="Check file").click()
    problems = page.locator("table:has(caption:has-text('Problems')) tbody tr")
    expect(problems).to_have_count(3)
    rows = sorted(problems.nth(i).locator("td").first.inner_text() for i in range(3))
    # Spreadsheet row numbers: the header is row 1, person n is on row n + 1.
    assert rows == sorted(["41", "121", "251"])
    violations += axe_violations(page, "import errors")
    assert not Employee.objects.filter(organisation=organisation).exists()

    # Fix the file and import it.
    good = tmp_path / "personeel-goed.csv"
    good.write_bytes(people_file(bad=False).encode("cp1252"))
    page.goto(f"{live_url}/mensen/medewerkers/import/")
    page.locator("input[type=file]").set_input_files(good)
    page.get_by_role("button", name="Check file").click()
    violations += axe_violations(page, "import preview")
    page.get_by_role("button", name="Apply the import").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert Employee.objects.filter(organisation=organisation).count() == 300

    # Find a person with their team and manager.
    page.goto(f"{live_url}/mensen/medewerkers/?zoek=Achternaam30")
    page.get_by_role("link", name="Voornaam30 Achternaam30").click()
    details = page.locator("dl.vakwerk-details")
    expect(details).to_contain_text("Team 2")
    expect(details).to_contain_text("Voornaam26 Achternaam26")
    expect(details).to_contain_text("front-desk")
    violations += axe_violations(page, "person page")
    assert violations == [], "\n".join(violations)

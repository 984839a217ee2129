"""A pulse check in a real browser on a phone-sized screen, by keyboard: asking for one, a
situation with a missing rating, the self-check and the result; axe on every page."""

import pytest
from playwright.sync_api import expect

from vakwerk.measurement import pulse_services
from vakwerk.measurement.models import PulseCheck, PulseUpdate
from vakwerk.measurement.tests.pulse_data import key_ratings
from vakwerk.tests.browser import check_axe, login

pytest_plugins = ["vakwerk.tests.browser", "vakwerk.measurement.tests.pulse_data"]
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"
PHONE = {"width": 390, "height": 844}


def test_a_pulse_check_from_start_to_result(new_page, live_url, organisation, person):
    organisation.pulse_self_check = True
    organisation.save()
    _, employee = person
    page = new_page(locale="en", viewport=PHONE)
    login(page, live_url, employee.user.email, PASSWORD)

    page.goto(f"{live_url}/pols/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Pulse checks")
    check_axe(page, "pulse checks, none waiting")
    page.get_by_role("button", name="Do a pulse check now").click()

    pulse = PulseCheck.objects.get(employee=employee)
    items = pulse_services.pulse_items(pulse)
    expect(page.get_by_role("heading", level=2)).to_have_text(f"Situation 1 of {len(items)}")
    expect(page.locator("label[for=pulse-progress]")).to_have_text(
        f"0 of {len(items)} situations answered"
    )
    check_axe(page, "pulse, first situation")

    # Three of four responses rated, by keyboard: the page names the one left out.
    ratings = key_ratings(items[0])
    for position in (1, 2, 3):
        page.locator(f"#option-{position}-{ratings[position]}").focus()
        page.keyboard.press("Space")
    page.get_by_role("button", name="Next situation").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Your answer has not been saved yet.")
    expect(alert.get_by_role("link")).to_have_text(
        "Response 4: Choose a rating from 1 to 5 for this response."
    )
    expect(page.locator("#response-4")).to_have_attribute("aria-describedby", "response-4-error")
    check_axe(page, "pulse, a response left unrated")

    for number, item in enumerate(items, start=1):
        expect(page.get_by_role("heading", level=2)).to_have_text(
            f"Situation {number} of {len(items)}"
        )
        for position, rating in key_ratings(item).items():
            page.locator(f"#option-{position}-{rating}").check()
        last = number == len(items)
        page.get_by_role(
            "button", name="On to the self-check" if last else "Next situation"
        ).click()

    expect(page.get_by_role("heading", level=2)).to_have_text("Self-check")
    check_axe(page, "pulse, self-check")
    first = pulse.indicator_ids[0]
    page.locator(f"#statement-{first}-3").check()
    page.get_by_role("button", name="Hand in").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Result of your pulse check")
    expect(page.locator("main")).to_contain_text(
        "One pulse says little: the interval narrows only a bit."
    )
    expect(page.locator("table")).to_contain_text("likely between")
    expect(page.locator("main")).to_contain_text("Your self-check")
    check_axe(page, "pulse, result")
    assert PulseUpdate.objects.filter(pulse=pulse).count() == len(pulse.competency_codes)

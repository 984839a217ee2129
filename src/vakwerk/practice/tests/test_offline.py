"""Practice as an installable web app: the manifest, the service worker, the offline page,
strict CSP on the practice pages, and (in Chromium) an answer given offline that arrives once
when the connection returns."""

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext, override
from PIL import Image
from playwright.sync_api import Page, expect

from vakwerk.organisations.models import Role
from vakwerk.practice import pwa_views
from vakwerk.practice.models import Attempt, Card
from vakwerk.practice.tests.test_practice import _family
from vakwerk.tests.browser import check_axe, login, set_language
from vakwerk.tests.factories import EmployeeFactory, MembershipFactory

pytest_plugins = ["vakwerk.tests.browser"]

PASSWORD = "correct-horse-battery"
PHONE = {"width": 360, "height": 740}
APP_NAME_EN = "Vakwerk \N{EN DASH} practice"
QUEUED_EN = "Your answer will be sent as soon as there is a connection again."


def _theme_value(variable: str) -> str:
    path = finders.find("css/vakwerk-theme.css")
    assert isinstance(path, str)
    # A declaration on a line of its own (the header comment shows an example override).
    pattern = rf"^\s*{variable}:\s*(#[0-9a-fA-F]{{6}});"
    found = re.search(pattern, Path(path).read_text(), re.MULTILINE)
    assert found, variable
    return found.group(1).lower()


class _Tags(HTMLParser):
    """Every start tag of a page with its attributes, and the text inside each <script>."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.script_text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if self._in_script:
            self.script_text.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.script_text[-1] += data


def _tags(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    return parser


@pytest.fixture
def practiser(member_client, organisation):
    client, user = member_client(organisation, Role.EMPLOYEE)
    employee = EmployeeFactory(organisation=organisation, user=user)
    return client, employee


def _start(client, organisation, employee) -> Attempt:
    family = _family(organisation, "balie")
    client.get(reverse("practice:today"))
    card = Card.objects.get(employee=employee, family=family)
    client.post(reverse("practice:start", args=[card.pk]))
    return Attempt.objects.get(employee=employee)


# --- manifest ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_manifest_describes_an_installable_practice_app(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(reverse("practice:manifest"))  # no login: browsers send no cookies
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["name"] == APP_NAME_EN
    assert manifest["short_name"] == "Vakwerk"
    assert manifest["lang"] == "en"
    assert manifest["start_url"] == manifest["scope"] == manifest["id"] == "/oefenen/"
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"] == _theme_value("--vakwerk-primary")
    assert manifest["background_color"] == _theme_value("--vakwerk-color-bg")
    sizes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes


@pytest.mark.django_db
def test_the_manifest_follows_the_language(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nl"
    manifest = json.loads(client.get(reverse("practice:manifest")).content)
    assert manifest["lang"] == "nl"
    with override("nl"):
        assert manifest["name"] == gettext(APP_NAME_EN)


def test_each_icon_is_a_png_of_the_size_the_manifest_names():
    prefix = settings.STATIC_URL
    for path, size, _purpose in pwa_views.ICONS:
        assert static(path).startswith(prefix)
        found = finders.find(path)
        assert isinstance(found, str), path
        with Image.open(found) as image:
            assert image.format == "PNG"
            assert image.size == (size, size)


# --- service worker ----------------------------------------------------------------------


def _config(script: str) -> dict[str, Any]:
    first, _rest = script.split("\n", 1)
    assert first.startswith("const VAKWERK_SW = ")
    assert first.endswith(";")
    return json.loads(first.removeprefix("const VAKWERK_SW = ").removesuffix(";"))


@pytest.mark.django_db
def test_the_service_worker_is_served_as_javascript_under_the_practice_folder(client):
    url = reverse("practice:service_worker")
    assert url == "/oefenen/sw.js"  # so its scope can be /oefenen/
    response = client.get(url)  # no login
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert "no-cache" in response["Cache-Control"]
    script = response.content.decode()
    source = finders.find(pwa_views.SERVICE_WORKER_SOURCE)
    assert isinstance(source, str)
    assert script.endswith(Path(source).read_text())
    config = _config(script)
    assert config["offline"] == reverse("practice:offline")
    assert config["staticPrefix"] == settings.STATIC_URL
    for path in ("css/vakwerk.css", "vendor/htmx/htmx.min.js", "js/practice.js"):
        assert static(path) in config["shell"]
    for url in config["shell"]:  # every file of the shell exists, or installing would fail
        assert finders.find(url.removeprefix(settings.STATIC_URL)), url


def test_a_changed_shell_file_gives_a_new_service_worker_version(monkeypatch):
    before = _config(pwa_views._service_worker_script())["version"]
    real = pwa_views._static_bytes

    def changed(path: str) -> bytes:
        return real(path) + (b"/* changed */" if path == "css/vakwerk.css" else b"")

    monkeypatch.setattr(pwa_views, "_static_bytes", changed)
    assert _config(pwa_views._service_worker_script())["version"] != before


# --- offline page ------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_offline_page_renders_in_each_language(client, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(reverse("practice:offline"))  # no login: it is cached for anybody
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{language}"' in html
    with override(language):
        assert gettext("No connection") in html
        assert gettext("Back to today's practice") in html
    if language == "en":
        assert '<h1 class="utrecht-heading-1 utrecht-heading-1--distanced">No connection' in html


@pytest.mark.django_db
def test_the_offline_page_holds_nothing_personal(practiser, organisation):
    client, employee = practiser
    html = client.get(reverse("practice:offline")).content.decode()
    assert employee.user.email not in html
    assert organisation.name not in html
    assert "csrfmiddlewaretoken" not in html


# --- the practice pages ------------------------------------------------------------------


@pytest.mark.django_db
def test_practice_pages_have_no_inline_script_or_style(practiser, organisation):
    client, employee = practiser
    attempt = _start(client, organisation, employee)
    pages = [
        reverse("practice:today"),
        reverse("practice:scenario", args=[attempt.pk]),
        reverse("practice:offline"),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy, url
        assert "unsafe-inline" not in policy, url
        parsed = _tags(response.content.decode())
        scripts = [attrs for tag, attrs in parsed.tags if tag == "script"]
        assert static("js/practice.js") in [attrs.get("src") for attrs in scripts], url
        assert all((attrs.get("src") or "").startswith(settings.STATIC_URL) for attrs in scripts), (
            url
        )
        assert all(not text.strip() for text in parsed.script_text), url
        assert all(tag != "style" for tag, _attrs in parsed.tags), url
        for tag, attrs in parsed.tags:
            assert "style" not in attrs, (url, tag)
            assert not [name for name in attrs if name.startswith("on")], (url, tag)


@pytest.mark.django_db
def test_practice_pages_link_the_manifest_and_the_service_worker(practiser, organisation):
    client, employee = practiser
    attempt = _start(client, organisation, employee)
    for url in (reverse("practice:today"), reverse("practice:scenario", args=[attempt.pk])):
        tags = _tags(client.get(url).content.decode()).tags
        links = {attrs.get("rel"): attrs for tag, attrs in tags if tag == "link"}
        assert links["manifest"]["href"] == reverse("practice:manifest")
        metas = {attrs.get("name"): attrs for tag, attrs in tags if tag == "meta"}
        assert metas["theme-color"]["content"] == pwa_views.THEME_COLOR
        (script,) = [attrs for tag, attrs in tags if attrs.get("src") == static("js/practice.js")]
        assert "defer" in script
        assert script["data-service-worker"] == reverse("practice:service_worker")
        assert script["data-scope"] == reverse("practice:today")


@pytest.mark.django_db
def test_the_scenario_page_has_a_live_region_with_the_translated_message(practiser, organisation):
    client, employee = practiser
    attempt = _start(client, organisation, employee)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(reverse("practice:scenario", args=[attempt.pk])).content.decode()
    (region,) = [
        a for _tag, a in _tags(html).tags if "vakwerk-answer-queue" in (a.get("class") or "")
    ]
    assert region["role"] == "status"
    assert region["data-queued-message"] == QUEUED_EN
    (form,) = [a for tag, a in _tags(html).tags if tag == "form" and "data-answer-queue" in a]
    assert form["action"] == reverse("practice:choose", args=[attempt.pk])
    assert form["data-step"] == "1"


# --- in a browser ------------------------------------------------------------------------


def _queued_count(page: Page) -> int:
    return page.evaluate(
        "Object.keys(localStorage).filter(k => k.startsWith('vakwerk.practice.answer:')).length"
    )


def _service_worker_ready(page: Page) -> bool:
    """Whether the practice service worker registers and becomes active within five seconds
    (evaluated as a function: the strict CSP forbids eval)."""
    return page.evaluate(
        """() => Promise.race([
            navigator.serviceWorker.ready.then(() => true),
            new Promise(resolve => setTimeout(() => resolve(false), 5000)),
        ])"""
    )


def _employee_on_a_scenario(new_page, live_url, organisation) -> tuple[Page, Attempt]:
    """A logged-in employee on the first moment of a scenario, on a phone, in English, with the
    page controlled by the practice service worker."""
    _family(organisation, "balie")
    user = MembershipFactory(organisation=organisation, roles=[Role.EMPLOYEE]).user
    employee = EmployeeFactory(organisation=organisation, user=user)
    page = new_page(locale="en", viewport=PHONE, is_mobile=True, has_touch=True)
    set_language(page, live_url, "en")
    login(page, live_url, user.email, PASSWORD)
    page.goto(f"{live_url}/oefenen/")
    page.get_by_role("button", name="Start").first.click()
    expect(page.locator("button.vakwerk-choice").first).to_be_visible()
    assert _service_worker_ready(page)
    # A page loaded while the worker was still installing may stay uncontrolled (it claims
    # the pages open when it activates, but a navigation under way can slip through); the next
    # page load is always controlled.
    page.reload()
    assert page.evaluate("navigator.serviceWorker.controller !== null")
    return page, Attempt.objects.get(employee=employee)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_answer_given_offline_arrives_once_after_reconnecting(new_page, live_url, organisation):
    page, attempt = _employee_on_a_scenario(new_page, live_url, organisation)
    node = attempt.node
    assert attempt.path == []
    check_axe(page, "scenario with practice.js")
    # A second tab on the same moment: the same answer given there too replaces, not adds.
    other = page.context.new_page()
    other.goto(page.url)
    expect(other.locator("button.vakwerk-choice").first).to_be_visible()

    page.context.set_offline(True)
    page.locator("button.vakwerk-choice").first.click()
    status = page.get_by_role("status").filter(has_text=QUEUED_EN)
    expect(status).to_be_visible()
    expect(page.locator("button.vakwerk-choice").first).to_be_disabled()
    other.locator("button.vakwerk-choice").first.click()
    expect(other.get_by_role("status").filter(has_text=QUEUED_EN)).to_be_visible()
    assert _queued_count(page) == 1
    check_axe(page, "scenario with a queued answer")
    attempt.refresh_from_db()
    assert attempt.path == []
    assert attempt.node == node

    page.context.set_offline(False)
    expect(page.locator(".vakwerk-feedback")).to_contain_text("You chose")
    expect(other.locator(".vakwerk-feedback")).to_contain_text("You chose")
    assert _queued_count(page) == 0
    attempt.refresh_from_db()
    assert [entry for entry in attempt.path if entry[0] == node] == [[node, 0]]
    assert len(attempt.path) == 1


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_online_an_answer_is_a_plain_post_and_offline_pages_fall_back(
    new_page, live_url, organisation
):
    page, attempt = _employee_on_a_scenario(new_page, live_url, organisation)
    page.locator("button.vakwerk-choice").first.focus()
    page.keyboard.press("Enter")  # the keyboard alone
    expect(page.locator(".vakwerk-feedback")).to_contain_text("You chose")
    attempt.refresh_from_db()
    assert len(attempt.path) == 1
    assert _queued_count(page) == 0  # kept while posting, dropped when the next step showed
    # A page that cannot be loaded shows the cached offline page, styled by the cached CSS.
    page.context.set_offline(True)
    page.goto(f"{live_url}/oefenen/")
    expect(page.get_by_role("heading", level=1)).to_have_text("No connection")
    theme = "getComputedStyle(document.documentElement).getPropertyValue('--vakwerk-primary')"
    assert page.evaluate(theme).strip() == pwa_views.THEME_COLOR
    check_axe(page, "offline page")
    # It loads the page asked for by itself when the connection returns.
    page.context.set_offline(False)
    expect(page.get_by_role("heading", level=1)).to_have_text("Practise today")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_answer_lost_on_a_bad_connection_is_sent_later(new_page, live_url, organisation):
    page, attempt = _employee_on_a_scenario(new_page, live_url, organisation)
    scenario_url, node = page.url, attempt.node
    # A bad connection: the browser believes it is online, but nothing gets through.
    page.evaluate("Object.defineProperty(Navigator.prototype, 'onLine', {get: () => true})")
    page.context.set_offline(True)
    page.locator("button.vakwerk-choice").first.click()
    # The post failed; the worker went back to the page, and the offline page stands in for it.
    expect(page.get_by_role("heading", level=1)).to_have_text("No connection")
    assert page.url == scenario_url
    assert _queued_count(page) == 1
    attempt.refresh_from_db()
    assert attempt.path == []
    page.context.set_offline(False)
    # The scenario page comes back and sends the answer it kept.
    expect(page.locator(".vakwerk-feedback")).to_contain_text("You chose")
    assert _queued_count(page) == 0
    attempt.refresh_from_db()
    assert attempt.path == [[node, 0]]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_offline_page_shown_while_online_reloads_without_the_online_event(
    new_page, live_url, organisation
):
    """The "online" event comes once, and the network can lag behind it (the worker's fetch of
    the reload may still fail): the offline page then shows while the browser says it is online,
    and has to find out by itself when the page can be loaded."""
    page, _attempt = _employee_on_a_scenario(new_page, live_url, organisation)
    # In every page from now on: the browser says it is online, and a capturing listener on
    # window runs first and keeps the page's own from ever hearing the "online" event.
    page.add_init_script(
        "Object.defineProperty(Navigator.prototype, 'onLine', {get: () => true});"
        "window.addEventListener('online', e => e.stopImmediatePropagation(), true);"
    )
    page.context.set_offline(True)
    page.goto(f"{live_url}/oefenen/")
    expect(page.get_by_role("heading", level=1)).to_have_text("No connection")
    page.context.set_offline(False)
    expect(page.get_by_role("heading", level=1)).to_have_text("Practise today", timeout=10_000)

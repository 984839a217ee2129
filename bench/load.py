"""Load: simulated employees answer questionnaires, practise and open reports at once.

They work against gunicorn with several workers on PostgreSQL, next to a bare Django view on
the same server.

Targets (issue 11, part 4): 300 users for ten minutes, 0 errors, p95 under 300 ms; printed
with the throughput and the memory of each worker.

What runs: a scratch PostgreSQL database ``vakwerk_bench_load`` (created and dropped on the
server of ``BENCH_POSTGRES_URL``, see ``_scratch.py``) with one organisation built as the demo
builds Gemeente Voorbeeld (``vakwerk.people.demo``, its departments and teams, sized to the
number of users: about 330 people for 300 users, managers and an HR adviser among them), the
shipped framework adopted and published with role profiles, and the demo's rounds
(``vakwerk.assessments.demo.seed_rounds``) for everyone: two closed rounds with simulated
answers and estimates computed by the measurement engine (so every personal report and team
view has results) and an open round, in which everyone has a self-assessment and every manager
a questionnaire per direct report. The shipped scenario packs are loaded and every practising
user's cards are due. Each user is logged in by a session created in the set-up whose cookie
the client carries (as ``practice_load.py`` does: 300 password logins would cost minutes of
PBKDF2 and are not what is measured).

Then gunicorn with the production settings as behind a TLS-terminating proxy (DEBUG off, secure
cookies, the proxy's ``X-Forwarded-Proto`` trusted), sync workers (4 by default), as
``docs/operations.md`` runs it, on a bench-only settings module and URLconf written into a
temporary directory on its PYTHONPATH: the app's URLs plus ``/bench/bare``, a view that answers
"ok" and does nothing else (the ceiling).

Each simulated user does what the browser does, with a think time (``--think``, 5-15 s) before
every click, and chooses journey after journey with a fixed mix:

- 40 % answer questionnaire items: my questionnaires (``/vragenlijsten/``), one of the open
  questionnaires listed there, then 3-6 answers, each posted as htmx posts it (one item, the
  CSRF token from the page's ``hx-headers``).
- 40 % practise: today's practice (``/oefenen/``), continue the running scenario or start the
  first card due (a card of their own when none is due any more), and walk it to the ending with
  a random choice at each step (the form's hidden fields posted, as ``practice_load.py``).
- 20 % open a report: the personal report (``/inzicht/``), and for managers then the team view
  (``/inzicht/team/``).

Why 5-15 s: a person reads a page before clicking on it. The set-up measures the words on each
kind of page and the bench prints the time a reader at the mean adult rate (238 words per
minute, ``_server.READING_WPM``) needs for them: a questionnaire item takes a few seconds, a
scenario step or a report far more than 15 s, so the pace is brisk for real people.

Users start spread over ``--ramp-up`` seconds; what happens in the ramp-up is not measured
(errors there are counted). Then ``--seconds`` of measured load; the workers' memory (VmRSS of
each gunicorn worker) is sampled every two seconds. Then a stress phase of ``--stress-seconds``
with the same journeys at 1-3 s before every click (``--stress``), faster than anyone reads:
printed, not a target, because at that pace 300 users offer more requests per second than a
2-core machine can serve of these journeys (the bench prints both: about 210 offered against
about 125 that the CPU per request allows), so its p95 measures the queue. Then two phases
against the bare view with
the same users, each ``--bare-seconds`` long: with the same think time (the latency floor of
this server and machine under the same number of users) and without think time (its throughput
ceiling). Afterwards the database is checked: every answer and every scenario choice the server
accepted must be there exactly once (an answer lost or a choice lost or counted twice is an
error).

    python bench/load.py [--users 300] [--seconds 600] [--workers 4] [--ramp-up 30]
                         [--think 5-15] [--stress 1-3] [--stress-seconds 60]
                         [--bare-seconds 60]

Needs PostgreSQL (trust authentication). Exits non-zero only when it crashes. The gunicorn,
settings-module, session, CPU and memory code is shared with ``practice_load.py`` (``_server.py``).
"""

from __future__ import annotations

import argparse
import html
import json
import math
import os
import random
import re
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import _scratch as scratch
import _server as shared
import requests

BENCH_DB = "vakwerk_bench_load"
PORT = 8768
BASE = f"http://{shared.HOST}:{PORT}"
USERS = 300
SECONDS = 600
WORKERS = 4
RAMP_UP = 30
THINK = "5-15"
STRESS = "1-3"
STRESS_SECONDS = 60
BARE_SECONDS = 60
TIMEOUT = 30.0
SAMPLE_EVERY = 2.0  # seconds between memory samples
TARGET_P95_MS = 300.0
SEED = 2026
# The journeys and their share of all journeys.
MIX = (("questionnaire", 0.4), ("practice", 0.4), ("report", 0.2))
ANSWERS_PER_VISIT = (3, 6)
KINDS = (
    "questionnaires",
    "questionnaire",
    "answer",
    "today",
    "start",
    "scenario",
    "choose",
    "report",
    "team",
    "bare",
)
PHASES = ("load", "stress", "bare", "bare ceiling")
SETTINGS_MODULE = "bench_load_settings"
URLS_MODULE = "bench_load_urls"
# The production settings, as behind a TLS-terminating reverse proxy. The clients send the
# proxy's header themselves and carry their cookies by hand: the cookies are Secure, and a client
# does not send those over plain http.
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}
SERVER_ENV = shared.production_env("bench-load-", SETTINGS_MODULE)
# The pages, as the browser sees them.
QUESTIONNAIRE_LINK = re.compile(r'href="/vragenlijsten/(\d+)/"')
ITEM = re.compile(r'name="item-(\d+)" value="\d"')
HX_CSRF = re.compile(r'"X-CSRFToken": "([^"]+)"')
SAVED = 'id="progress"'
REPORT_WITH_RESULTS = 'href="/inzicht/rapport.pdf'
TEAM_WITH_RESULTS = '<table class="utrecht-table">'
QUIET_CHECK = 3.0  # seconds of watching the machine before the load, for other work


# --- set-up and check, in a child process on the scratch database ---------------------------


def _organisation(users: int) -> Any:
    """Gemeente Voorbeeld's departments and teams, with teams sized so that there are about as
    many people as users (a few more), the shipped framework and the demo's rounds."""
    from vakwerk.assessments.demo import seed_rounds
    from vakwerk.people.demo import VOORBEELD, DemoOrganisation, seed_framework, seed_organisation
    from vakwerk.practice.demo import seed_scenarios

    teams = sum(len(department) for department in VOORBEELD.departments.values())
    heads = len(VOORBEELD.departments)
    spec = DemoOrganisation(
        slug="bench",
        name="Gemeente Bench",
        departments=VOORBEELD.departments,
        team_size=max(4, math.ceil((users - heads) / teams) + 1),
        seed=SEED,
        manager_visibility="yes",
    )
    organisation = seed_organisation(spec).organisation
    shared.progress("organisation and people created; framework ...")
    seed_framework(organisation)
    shared.progress("framework published; rounds (answers simulated, estimates computed) ...")
    # No department of that name: the closed rounds measure everyone, not one department.
    seed_rounds(organisation, department_name="(everyone)")
    seed_scenarios(organisation)
    return organisation


def _sessions(organisation: Any, users: int) -> list[dict[str, Any]]:
    """A logged-in session per simulated user (people in a fixed random order; more users than
    people give some people a second session), and every practising person's cards, due now."""
    from django.conf import settings
    from django.utils import timezone

    from vakwerk.organisations.models import Membership
    from vakwerk.people.models import Employee
    from vakwerk.practice import selectors, services
    from vakwerk.practice.models import Card

    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"
    people = list(
        Employee.objects.filter(organisation=organisation, user__isnull=False)
        .select_related("user")
        .order_by("pk")
    )
    random.Random(SEED).shuffle(people)
    managers = set(
        Membership.objects.filter(organisation=organisation, is_manager=True).values_list(
            "user_id", flat=True
        )
    )
    now = timezone.now()
    cards: dict[int, list[int]] = {}
    found = []
    for index in range(users):
        employee = people[index % len(people)]
        user = employee.user
        assert user is not None
        if employee.pk not in cards:
            services.cards_ensure(
                employee=employee, codes=selectors.practice_codes(organisation, employee), now=now
            )
            Card.objects.filter(employee=employee).update(due=now)
            cards[employee.pk] = list(
                Card.objects.filter(employee=employee).values_list("pk", flat=True)
            )
        found.append(
            {
                "employee": employee.pk,
                "session": shared.login_session(user),
                "cards": cards[employee.pk],
                "manager": user.pk in managers,
            }
        )
    return found


def _profile(employee_id: int) -> dict[str, dict[str, Any]]:
    """The statements each kind of request runs, as one user (a manager) alone, in-process:
    every journey twice (the first warms caches), of each kind the heavier request kept. The
    scenario is walked to its ending, so the load finds no running attempt of this walk."""
    import logging

    from django.test import Client

    from vakwerk.people.models import Employee

    logging.getLogger("django.request").setLevel(logging.CRITICAL)  # the problem is reported
    client = Client(HTTP_HOST=shared.HOST)
    user = Employee.objects.get(pk=employee_id).user
    assert user is not None
    client.force_login(user)
    found: dict[str, dict[str, Any]] = {}

    def keep(kind: str, measured: tuple[Any, dict[str, Any]]) -> str:
        response, figures = measured
        if figures["problem"] or figures["queries"] >= found.get(kind, {}).get("queries", -1):
            found[kind] = figures
        return response.content.decode() if response is not None else ""

    def get(kind: str, url: str) -> str:
        return keep(kind, shared.statements(client, "GET", url, error_status_fails=True))

    for _ in range(2):
        get("bare", "/bench/bare")
        links = QUESTIONNAIRE_LINK.findall(get("questionnaires", "/vragenlijsten/"))
        url = f"/vragenlijsten/{links[0]}/" if links else ""
        items = ITEM.findall(get("questionnaire", url)) if url else []
        if "questionnaire" in found:  # its words are those of all its items
            found["questionnaire"]["items"] = len(set(items))
        if items:
            data = {f"item-{items[0]}": "2"}
            answer = shared.statements(
                client, "POST", url + "antwoord/", data, error_status_fails=True, HX_Request="true"
            )
            keep("answer", answer)
        page = get("today", "/oefenen/")
        running, due = shared.CONTINUE.search(page), shared.START.findall(page)
        attempt = int(running.group(1)) if running else None
        if attempt is None and due:
            start = f"/oefenen/start/{due[0]}/"
            response, figures = shared.statements(client, "POST", start, error_status_fails=True)
            keep("start", (response, figures))
            started = shared.SCENARIO.search(response["Location"]) if response is not None else None
            attempt = int(started.group(1)) if started else None
        for _step in range(50 if attempt else 0):
            url = f"/oefenen/scenario/{attempt}/"
            form = shared.CHOOSE_FORM.search(get("scenario", url))
            if form is None or not shared.CHOICE.search(form.group(1)):
                break
            data = {
                name: html.unescape(value) for name, value in shared.HIDDEN.findall(form.group(1))
            }
            data["choice"] = "0"
            response, figures = shared.statements(
                client, "POST", url + "kies/", data, error_status_fails=True
            )
            keep("choose", (response, figures))
            if response is None:
                break
        get("report", "/inzicht/")
        get("team", "/inzicht/team/")
    return found


def child_setup(users: int) -> None:
    """Runs in a subprocess whose DATABASE_URL points at the empty scratch database."""
    shared.django_setup()
    from django.conf import settings
    from django.db import connection

    from vakwerk.assessments.models import Invitation, Round, RoundStatus
    from vakwerk.measurement.models import Estimate
    from vakwerk.people.models import Employee
    from vakwerk.practice.models import Card, ScenarioFamily

    shared.prepare_database()
    organisation = _organisation(users)
    people = _sessions(organisation, users)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    shared.progress("statements per kind of request, in-process, one manager alone ...")
    profile = _profile(next((p for p in people if p["manager"]), people[0])["employee"])
    scene = {
        "people": people,
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "employees": Employee.objects.filter(organisation=organisation).count(),
        "closed_rounds": Round.objects.filter(status=RoundStatus.CLOSED).count(),
        "estimates": Estimate.objects.count(),
        "open_questionnaires": Invitation.objects.filter(
            subject__round__status=RoundStatus.OPEN
        ).count(),
        "families": ScenarioFamily.objects.filter(organisation=organisation).count(),
        "cards_due": Card.objects.count(),
        "profile": profile,
    }
    shared.progress(
        f"{scene['employees']} people, {len(people)} sessions ("
        f"{sum(p['manager'] for p in people)} managers), {scene['closed_rounds']} closed rounds "
        f"with {scene['estimates']:,} estimates, {scene['open_questionnaires']} open "
        f"questionnaires, {scene['cards_due']} practice cards due"
    )
    print(json.dumps(scene))


def child_check(path: str) -> None:
    """Compares the database with the answers and choices the server accepted."""
    shared.django_setup()
    from vakwerk.assessments.models import Answer
    from vakwerk.practice.models import Attempt

    expected = json.loads(Path(path).read_text())
    result = {"answers": 0, "answers_lost": 0, "attempts": 0, "choices_lost": 0}
    result["choices_doubled"] = 0
    answers: dict[str, Any] = expected["answers"]  # "invitation item" -> value ("" = none)
    stored = {
        f"{invitation} {indicator}": "" if value is None else str(value)
        for invitation, indicator, value in Answer.objects.filter(
            invitation_id__in={int(key.split()[0]) for key in answers}
        ).values_list("invitation_id", "indicator_id", "value")
    }
    for key, value in answers.items():
        result["answers"] += 1
        result["answers_lost"] += stored.get(key) != value
    posts = {int(k): v for k, v in expected["posts"].items()}
    uncertain = set(expected["uncertain_attempts"])
    for pk, steps in Attempt.objects.filter(pk__in=posts).values_list("pk", "path"):
        result["attempts"] += 1
        if pk in uncertain:  # a post whose answer never came: either outcome is right
            continue
        difference = len(steps) - posts[pk]
        result["choices_lost"] += max(-difference, 0)
        result["choices_doubled"] += max(difference, 0)
    print(json.dumps(result))


# --- the simulated users --------------------------------------------------------------------


@dataclass
class Phase:
    """What the clients of one phase measured."""

    name: str
    think: tuple[float, float]  # seconds before a click, (0, 0) for none
    measure_from: float  # time.monotonic(): requests started before it are not timed
    stop_at: float  # time.monotonic() at the end
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    answered: int = 0  # requests answered as expected within the measured window
    clicks: int = 0  # thinks (each before a click) within the measured window
    errors: Counter[str] = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)  # the first errors, in detail
    timeouts: int = 0
    journeys: Counter[str] = field(default_factory=Counter)
    reports: Counter[str] = field(default_factory=Counter)  # pages with and without results
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(
        self, kind: str, started: float, ms: float, problem: str | None, detail: str = ""
    ) -> None:
        with self.lock:
            if started >= self.measure_from:
                self.latencies[kind].append(ms)
            if problem is None and self._in_window():
                self.answered += 1
            if problem:
                self._error(problem, detail)

    def fail(self, problem: str, detail: str = "") -> None:
        """A request answered with the expected status, but not with the expected page."""
        with self.lock:
            self.answered -= self._in_window()
            self._error(problem, detail)

    def _in_window(self) -> bool:
        return self.measure_from <= time.monotonic() <= self.stop_at

    def _error(self, problem: str, detail: str) -> None:
        self.errors[problem] += 1
        if len(self.samples) < 8:
            self.samples.append(f"{problem}: {detail}"[:400])

    def over(self) -> bool:
        return time.monotonic() >= self.stop_at

    def pause(self, rng: random.Random) -> bool:
        """Think before a click; False when the phase is over."""
        with self.lock:
            self.clicks += self._in_window()
        if self.think[1] > 0:
            time.sleep(max(min(rng.uniform(*self.think), self.stop_at - time.monotonic()), 0))
        return not self.over()


@dataclass
class User:
    """One user's browser: the cookies (kept by hand) and what the server accepted."""

    session: str
    cards: list[int]
    manager: bool
    cookie_name: str
    cookies: dict[str, str] = field(default_factory=dict)
    answers: dict[str, str] = field(default_factory=dict)  # "invitation item" -> value
    uncertain_answers: set[str] = field(default_factory=set)
    posts: dict[int, int] = field(default_factory=dict)  # attempt id -> choices accepted
    uncertain_attempts: set[int] = field(default_factory=set)
    http: requests.Session = field(default_factory=requests.Session)

    def __post_init__(self) -> None:
        self.cookies[self.cookie_name] = self.session
        self.http.headers.update(PROXY_HEADERS)

    def request(
        self,
        phase: Phase,
        kind: str,
        method: str,
        path: str,
        expect: int,
        data: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response | None:
        """One request, timed and recorded under ``kind``; None when it failed (recorded as an
        error: an exception, or another status than ``expect``)."""
        extra = {
            "Cookie": shared.cookie_header(self.cookies),
            "Referer": f"https://{shared.HOST}:{PORT}{path}",
            **(headers or {}),
        }
        moment = time.monotonic()
        started = time.perf_counter()
        try:
            response = self.http.request(
                method,
                BASE + path,
                data=data,
                headers=extra,
                allow_redirects=False,
                timeout=TIMEOUT,
            )
        except requests.RequestException as error:
            elapsed = (time.perf_counter() - started) * 1000
            if isinstance(error, requests.Timeout):
                with phase.lock:
                    phase.timeouts += 1
            name = type(error).__name__
            phase.record(kind, moment, elapsed, f"{kind} {name}", f"{method} {path}: {error}")
            return None
        elapsed = (time.perf_counter() - started) * 1000
        shared.keep_cookies(self.http, self.cookies, response)
        if response.status_code == expect:
            phase.record(kind, moment, elapsed, None)
            return response
        detail = f"{method} {path} -> {response.status_code} {response.headers.get('Location', '')}"
        detail += " " + " ".join(response.text[:200].split())
        phase.record(kind, moment, elapsed, f"{kind} {response.status_code}", detail)
        return None

    def token(self, page: str) -> str:
        found = shared.CSRF.search(page)
        return found.group(1) if found else self.cookies.get("csrftoken", "")


def questionnaire(user: User, phase: Phase, rng: random.Random) -> None:
    """My questionnaires, one of them, and a few answers saved as htmx saves them."""
    listing = user.request(phase, "questionnaires", "GET", "/vragenlijsten/", 200)
    if listing is None:
        return
    links = sorted(set(QUESTIONNAIRE_LINK.findall(listing.text)))
    if not links:
        phase.fail("questionnaires: no open questionnaire listed", "GET /vragenlijsten/")
        return
    invitation = rng.choice(links)
    page_url = f"/vragenlijsten/{invitation}/"
    if not phase.pause(rng):
        return
    page = user.request(phase, "questionnaire", "GET", page_url, 200)
    if page is None:
        return
    items = sorted(set(ITEM.findall(page.text)))
    token = HX_CSRF.search(page.text)
    if not items or token is None or "hx-post=" not in page.text:
        phase.fail("questionnaire: no questions to answer", f"GET {page_url}")
        return
    headers = {"HX-Request": "true", "HX-Current-URL": f"https://{shared.HOST}:{PORT}{page_url}"}
    headers["X-CSRFToken"] = html.unescape(token.group(1))
    for _ in range(rng.randint(*ANSWERS_PER_VISIT)):
        if not phase.pause(rng):
            return
        item = rng.choice(items)
        value = "" if rng.random() < 0.05 else str(rng.randint(0, 4))  # "" = cannot judge
        key = f"{invitation} {item}"
        saved = user.request(
            phase, "answer", "POST", page_url + "antwoord/", 200, {f"item-{item}": value}, headers
        )
        if saved is None:  # the answer may or may not have been saved
            user.uncertain_answers.add(key)
            return
        user.answers[key] = value
        if SAVED not in saved.text:
            phase.fail("answer: no progress in the answer", f"POST {page_url}antwoord/")
            return


def _begin(user: User, phase: Phase, rng: random.Random) -> int | None:
    """Today's page, then the running scenario or a new start; the attempt id, or None."""
    response = user.request(phase, "today", "GET", "/oefenen/", 200)
    if response is None:
        return None
    running = shared.CONTINUE.search(response.text)
    if running:
        attempt_id = int(running.group(1))
        user.posts.setdefault(attempt_id, 0)
        return attempt_id
    due = shared.START.findall(response.text)
    if due:
        card = int(due[0])
    elif user.cards:
        card = rng.choice(user.cards)
    else:
        phase.fail("today: no card to practise", "GET /oefenen/")
        return None
    if not phase.pause(rng):
        return None
    response = user.request(
        phase,
        "start",
        "POST",
        f"/oefenen/start/{card}/",
        302,
        {"csrfmiddlewaretoken": user.token(response.text)},
    )
    started = shared.SCENARIO.search(response.headers.get("Location", "")) if response else None
    if response is not None and started is None:
        phase.fail("start: redirected elsewhere than a scenario", response.headers["Location"])
    if started is None:
        return None
    user.posts[int(started.group(1))] = 0
    return int(started.group(1))


def practice(user: User, phase: Phase, rng: random.Random) -> None:
    """Today's practice and one scenario walked to its ending (or the end of the phase)."""
    attempt_id = _begin(user, phase, rng)
    if attempt_id is None:
        return
    page = f"/oefenen/scenario/{attempt_id}/"
    while not phase.over():  # the browser follows the redirect to the page at once
        response = user.request(phase, "scenario", "GET", page, 200)
        if response is None:
            return
        form = shared.CHOOSE_FORM.search(response.text)
        choices = len(shared.CHOICE.findall(form.group(1))) if form else 0
        if choices == 0:
            if "vakwerk-situation" not in response.text:
                phase.fail("scenario: neither choices nor an ending", f"GET {page}")
            return
        assert form is not None
        # What the browser posts: the form's hidden fields (CSRF token, node, step) and the
        # button pressed.
        data = {name: html.unescape(value) for name, value in shared.HIDDEN.findall(form.group(1))}
        if "node" not in data:
            phase.fail("scenario: choices without a node", f"GET {page}")
            return
        if not phase.pause(rng):
            return
        data["choice"] = str(rng.randrange(choices))
        answer = user.request(phase, "choose", "POST", page + "kies/", 302, data)
        if answer is None:  # the choice may or may not have been saved
            user.uncertain_attempts.add(attempt_id)
            return
        user.posts[attempt_id] += 1
        if not answer.headers.get("Location", "").endswith(page):
            phase.fail("choose: redirected elsewhere than the scenario", answer.headers["Location"])
            return


def report(user: User, phase: Phase, rng: random.Random) -> None:
    """My personal report; a manager then opens the team view."""
    response = user.request(phase, "report", "GET", "/inzicht/", 200)
    if response is None:
        return
    with phase.lock:
        phase.reports["report with results" if REPORT_WITH_RESULTS in response.text else
                      "report without results"] += 1  # fmt: skip
    if not user.manager or not phase.pause(rng):
        return
    response = user.request(phase, "team", "GET", "/inzicht/team/", 200)
    if response is not None:
        with phase.lock:
            phase.reports["team view with results" if TEAM_WITH_RESULTS in response.text else
                          "team view without results"] += 1  # fmt: skip


JOURNEYS = {"questionnaire": questionnaire, "practice": practice, "report": report}


def journeys(user: User, phase: Phase, seed: int, start_after: float) -> None:
    """One user until the phase is over: a journey of the mix, a think, the next journey."""
    rng = random.Random(seed)
    time.sleep(start_after)
    names, weights = [name for name, _ in MIX], [share for _, share in MIX]
    while not phase.over():
        journey = rng.choices(names, weights)[0]
        with phase.lock:
            phase.journeys[journey] += 1
        JOURNEYS[journey](user, phase, rng)
        phase.pause(rng)


def bare(user: User, phase: Phase, seed: int) -> None:
    """The same user asking the bare view, with the phase's think time (or none)."""
    rng = random.Random(seed)
    time.sleep(rng.uniform(0, phase.think[1]))  # people do not all click at the same moment
    while not phase.over():
        response = user.request(phase, "bare", "GET", "/bench/bare", 200)
        if response is not None and response.text != "ok":
            phase.fail("bare: unexpected body", response.text[:100])
        phase.pause(rng)


# --- a phase --------------------------------------------------------------------------------


def run_phase(
    phase: Phase, users: list[User], server: int, ramp_up: float, bare_view: bool
) -> dict[str, Any]:
    threads = []
    for index, user in enumerate(users):
        seed = SEED + 7919 * index + PHASES.index(phase.name)
        if bare_view:
            threads.append(threading.Thread(target=bare, args=(user, phase, seed), daemon=True))
        else:
            offset = ramp_up * index / max(len(users), 1)
            target, args = journeys, (user, phase, seed, offset)
            threads.append(threading.Thread(target=target, args=args, daemon=True))
    memory = shared.MemorySampler(server, SAMPLE_EVERY)
    for thread in threads:
        thread.start()
    time.sleep(max(phase.measure_from - time.monotonic(), 0))
    before = shared.cpu(server)
    memory.start()
    time.sleep(max(phase.stop_at - time.monotonic(), 0))
    after = shared.cpu(server)
    workers = memory.stop()
    duration = max(phase.stop_at - phase.measure_from, 1e-9)
    for thread in threads:  # the requests under way finish (their latency is counted)
        thread.join()
    everything = [ms for values in phase.latencies.values() for ms in values]
    return {
        **shared.timings(everything),
        "requests": len(everything),
        "throughput": phase.answered / duration,
        "errors": sum(phase.errors.values()),
        "problems": phase.errors.most_common(),
        "samples": phase.samples,
        "timeouts": phase.timeouts,
        "clicks": phase.clicks,
        "journeys": dict(phase.journeys),
        "reports": dict(phase.reports),
        "cpu": {part: (after[part] - before[part]) / duration for part in after},
        "memory": workers,
        "kinds": {kind: shared.timings(values) for kind, values in phase.latencies.items()},
    }


def load(
    scene: dict[str, Any], env: dict[str, str], options: argparse.Namespace, log: Path
) -> tuple[dict[str, dict[str, Any]], list[User], float]:
    """Gunicorn on the scratch database (its output into ``log``) and the three phases."""
    think = shared.think_seconds(options.think)
    users = [
        User(p["session"], p["cards"], p["manager"], scene["session_cookie"])
        for p in scene["people"]
    ]
    shared.port_free(PORT)
    results: dict[str, dict[str, Any]] = {}
    with shared.gunicorn(options.workers, PORT, env, log) as server:
        shared.wait_until_up(server, BASE + "/bench/bare", PROXY_HEADERS, log)
        busy_before = shared.quiet_check(QUIET_CHECK)
        now = time.monotonic()
        shared.progress(
            f"{len(users)} users: ramp-up {options.ramp_up} s, then {options.seconds} s measured"
            f" (think {options.think} s) ..."
        )
        phase = Phase("load", think, now + options.ramp_up, now + options.ramp_up + options.seconds)
        results["load"] = run_phase(phase, users, server.pid, options.ramp_up, False)
        if options.stress_seconds > 0:
            stress = shared.think_seconds(options.stress)
            shared.progress(
                f"{len(users)} users for {options.stress_seconds} s: stress, think "
                f"{options.stress} s ..."
            )
            now = time.monotonic()
            start = now + stress[1]  # users finish their pause first, then each starts anew
            phase = Phase("stress", stress, start, start + options.stress_seconds)
            results["stress"] = run_phase(phase, users, server.pid, stress[1], False)
        for name, pause, label in (
            ("bare", think, f"think {options.think} s"),
            ("bare ceiling", (0.0, 0.0), "no think time"),
        ):
            shared.progress(
                f"{len(users)} users for {options.bare_seconds} s: the bare view, {label} ..."
            )
            now = time.monotonic()
            phase = Phase(name, pause, now, now + options.bare_seconds)
            results[name] = run_phase(phase, users, server.pid, 0.0, True)
    return results, users, busy_before


# --- the report -----------------------------------------------------------------------------


def show(
    scene: dict[str, Any],
    results: dict[str, dict[str, Any]],
    check: dict[str, int],
    logged: list[tuple[int, str]],
    options: argparse.Namespace,
    busy_before: float,
) -> None:
    users, seconds, workers = len(scene["people"]), options.seconds, options.workers
    main, floor, ceiling = results["load"], results["bare"], results["bare ceiling"]
    cores = os.cpu_count() or 1
    print()
    for name, row in results.items():
        for problem, count in row["problems"][:20]:
            print(f"{name}: {count} x {problem}")
        for sample in row["samples"][:5]:
            print(f"{name}, first errors: {sample}")
    for count, line in logged:
        print(f"gunicorn log: {count} x {line}")
    print(
        f"{users} users ({sum(p['manager'] for p in scene['people'])} managers) of "
        f"{scene['employees']} people; {scene['closed_rounds']} closed rounds, "
        f"{scene['estimates']:,} estimates, {scene['open_questionnaires']} open questionnaires, "
        f"{scene['cards_due']} cards due; gunicorn {workers} sync workers; think "
        f"{options.think} s; {cores} cores shared by everything; before the load, other work "
        f"kept {busy_before:.2f} cores busy"
    )
    titles = {
        "load": f"journeys, {seconds} s",
        "stress": f"stress, think {options.stress} s",
        "bare": f"bare, think {options.think} s",
        "bare ceiling": "bare, no think",
    }
    print(f"{'':30}" + "".join(f"{titles[name]:>22}" for name in results))
    rows: list[tuple[str, Any]] = [
        ("requests", lambda r: f"{r['requests']:,}"),
        ("throughput (req/s)", lambda r: f"{r['throughput']:.1f}"),
        ("p50 (ms)", lambda r: f"{r['p50']:.1f}"),
        ("p95 (ms)", lambda r: f"{r['p95']:.1f}"),
        ("p99 (ms)", lambda r: f"{r['p99']:.1f}"),
        ("errors", lambda r: f"{r['errors']}"),
        ("of which timeouts", lambda r: f"{r['timeouts']}"),
        ("gunicorn CPU (cores)", lambda r: f"{r['cpu']['gunicorn']:.2f}"),
        ("PostgreSQL CPU (cores)", lambda r: f"{r['cpu']['postgres']:.2f}"),
        ("load generator CPU (cores)", lambda r: f"{r['cpu']['client']:.2f}"),
        ("other processes CPU (cores)", lambda r: f"{shared.other(r['cpu']):.2f}"),
        (f"machine busy (of {cores} cores)", lambda r: f"{r['cpu']['machine']:.2f}"),
    ]
    for label, cell in rows:
        print(f"{label:30}" + "".join(f"{cell(results[name]):>22}" for name in results))
    print()
    profile = scene["profile"]
    print("Per kind of request under the load; beside it, measured in-process in the set-up as")
    print("one user alone (the heavier of two): statements, writes, SQL time, whole request:")
    print(
        f"{'kind of request':18}{'requests':>10}{'share':>7}{'p50 ms':>9}{'p95 ms':>9}"
        f"{'p99 ms':>9}{'statements':>11}{'writes':>7}{'SQL ms':>8}{'alone ms':>9}"
    )
    for kind in KINDS:
        timing, alone = main["kinds"].get(kind), profile.get(kind, {})
        if timing is None:
            continue
        share = timing["n"] / max(main["requests"], 1)
        print(
            f"{kind:18}{timing['n']:>10,}{share:>7.0%}{timing['p50']:>9.1f}{timing['p95']:>9.1f}"
            f"{timing['p99']:>9.1f}{alone.get('queries', 0):>11}{alone.get('writes', 0):>7}"
            f"{alone.get('sql_ms', 0):>8.1f}{alone.get('wall_ms', 0):>9.1f}"
        )
    print("Slowest statement of each kind, in-process (ms):")
    for kind in KINDS:
        if kind in profile:
            slowest = profile[kind]
            print(f"  {kind:15}{slowest['slowest_ms']:7.1f}  {slowest['slowest'][:110]}")
    for kind, figures in profile.items():
        if figures["problem"]:
            print(f"in-process {kind}: {figures['problem']}")
    started = main["journeys"]
    total = max(sum(started.values()), 1)
    print(
        "Journeys started (ramp-up included): "
        + ", ".join(
            f"{name} {started.get(name, 0):,} ({started.get(name, 0) / total:.0%})"
            for name, _share in MIX
        )
        + "; pages opened: "
        + ", ".join(f"{name} {count:,}" for name, count in sorted(main["reports"].items()))
    )
    memory = main["memory"]
    print(
        f"Memory per gunicorn worker (VmRSS, every {SAMPLE_EVERY:g} s during the measured load): "
        + "; ".join(
            f"pid {pid} max {m['max']:.0f} MB mean {m['mean']:.0f} MB"
            for pid, m in sorted(memory.items())
        )
        + (
            f" ({len(memory)} worker processes seen: a worker was replaced)"
            if len(memory) > workers
            else ""
        )
    )
    print(
        f"Database afterwards: {check['answers']:,} answers accepted, {check['answers_lost']} "
        f"lost or different; {check['attempts']:,} scenarios, choices lost "
        f"{check['choices_lost']}, counted twice {check['choices_doubled']}."
    )
    items = profile.get("questionnaire", {}).get("items", 0)
    print(
        shared.reading_line(profile, options.think, options.stress)
        + f" The questionnaire page holds all its items, {items} here."
    )

    def cpu_ms(row: dict[str, Any]) -> float:
        used = row["cpu"]["gunicorn"] + row["cpu"]["postgres"]
        return 1000 * used / max(row["throughput"], 1e-9)

    # The load the think time offers against what the machine can serve: each click (a think)
    # brings one request, or two (a post and the page its redirect leads to).
    offered: dict[str, float] = {}
    for name, pace in (("load", options.think), ("stress", options.stress)):
        if name not in results:
            continue
        row = results[name]
        per_click = row["requests"] / max(row["clicks"], 1)
        low, high = shared.think_seconds(pace)
        offered[name] = users * per_click / ((low + high) / 2) if high > 0 else float("inf")
        print(
            f"Offered load, think {pace} s: {users} users x {per_click:.2f} requests per click / "
            f"{(low + high) / 2:g} s mean think = {offered[name]:.0f} req/s. Served: "
            f"{row['throughput']:.1f} req/s. CPU per request (gunicorn + PostgreSQL): "
            f"{cpu_ms(row):.1f} ms for the journeys, {cpu_ms(ceiling):.1f} ms for the bare view; "
            f"{cores} cores to themselves would serve at most about "
            f"{cores * 1000 / max(cpu_ms(row), 1e-9):.0f} req/s of the journeys (bare view "
            f"{cores * 1000 / max(cpu_ms(ceiling), 1e-9):.0f}, measured "
            f"{ceiling['throughput']:.0f} with the load generator beside it). A p95 target needs "
            f"that capacity well above the offered load (queueing grows steeply near it)."
        )
    errors = sum(r["errors"] for r in results.values())
    errors += check["answers_lost"] + check["choices_lost"] + check["choices_doubled"]
    rss_max = max((m["max"] for m in memory.values()), default=0.0)
    rss_mean = sum(m["mean"] for m in memory.values()) / max(len(memory), 1)
    verdict = {
        "0 errors": errors == 0,
        f"p95 < {TARGET_P95_MS:.0f} ms": main["p95"] < TARGET_P95_MS,
    }
    print(
        f"SUMMARY load: {users} users {seconds} s, {workers} workers: {main['requests']:,} "
        f"requests, {errors} errors (all phases, lost writes included), p95 {main['p95']:.0f} ms "
        f"(bare {floor['p95']:.0f} ms), {main['throughput']:.1f} req/s (bare ceiling "
        f"{ceiling['throughput']:.0f}), RSS per worker max {rss_max:.0f} MB mean "
        f"{rss_mean:.0f} MB; other work on the machine {shared.other(main['cpu']):.2f} of {cores} "
        f"cores; "
        + (
            f"stress, think {options.stress} s (not a target): p95 {results['stress']['p95']:.0f} "
            f"ms, {results['stress']['errors']} errors, offered {offered['stress']:.0f} req/s; "
            if "stress" in results
            else ""
        )
        + f"think {options.think} s, offered {offered['load']:.0f} req/s; targets: "
        + ", ".join(f"{name} {'met' if ok else 'not met'}" for name, ok in verdict.items())
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=USERS)
    parser.add_argument("--seconds", type=int, default=SECONDS, help="measured, after ramp-up")
    parser.add_argument("--workers", type=int, default=WORKERS)
    parser.add_argument("--ramp-up", type=int, default=RAMP_UP, help="seconds to start users")
    parser.add_argument("--think", default=THINK, help="seconds before a click, MIN-MAX")
    parser.add_argument("--stress", default=STRESS, help="the stress phase's think time")
    parser.add_argument(
        "--stress-seconds", type=int, default=STRESS_SECONDS, help="0: no stress phase"
    )
    parser.add_argument("--bare-seconds", type=int, default=BARE_SECONDS, help="per bare phase")
    scratch.add_child_arguments(parser)
    options = parser.parse_args()
    if scratch.run_as_child(options, lambda: child_setup(options.users), child_check):
        return 0
    with shared.bench_modules(
        "load.py",
        "load-",
        SERVER_ENV,
        settings=SETTINGS_MODULE,
        urls=URLS_MODULE,
        urls_source=shared.BARE_URLS.format(script="load.py"),
    ) as (folder, env):
        try:
            with scratch.scratch_database(BENCH_DB) as database_url:
                print(f"Setting up {options.users} users in {BENCH_DB} ...", flush=True)
                scene = scratch.run_setup(
                    Path(__file__), ["--users", str(options.users)], database_url, env
                )
                server_env = {**os.environ, **env, "DATABASE_URL": database_url}
                log = folder / "gunicorn.log"
                results, users, busy_before = load(scene, server_env, options, log)
                # An answer or an attempt two clients wrote to (one person, two sessions) has
                # no single expected value: it is left out of the check.
                seen: Counter[str] = Counter(key for u in users for key in u.answers)
                uncertain = {key for u in users for key in u.uncertain_answers}
                walked: Counter[int] = Counter(pk for u in users for pk in u.posts)
                answers = {
                    key: value
                    for u in users
                    for key, value in u.answers.items()
                    if seen[key] == 1 and key not in uncertain
                }
                expected = {
                    "answers": answers,
                    "posts": {k: v for u in users for k, v in u.posts.items()},
                    "uncertain_attempts": sorted(
                        {a for u in users for a in u.uncertain_attempts}
                        | {pk for pk, n in walked.items() if n > 1}
                    ),
                }
                check = scratch.run_check(Path(__file__), expected, folder, database_url, env)
                logged = shared.server_problems(log)
        except scratch.PostgresUnavailableError as error:
            print(error)
            print(f"SUMMARY load: not run ({error})")
            return 0
    show(scene, results, check, logged, options, busy_before)
    return 0


if __name__ == "__main__":
    sys.exit(main())

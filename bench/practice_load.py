"""Practice load: simulated employees practise scenarios concurrently against gunicorn on
PostgreSQL, next to a bare Django view on the same server.

Target (issue): 300 employees practising at once, 0 errors, p95 under 200 ms, and a throughput
of at least 0.5 x the throughput of a bare Django view on the same server (its ceiling).

What runs: a scratch PostgreSQL database ``vakwerk_bench_practice`` (created and dropped on the
server of ``BENCH_POSTGRES_URL``, see ``_scratch.py``) with one organisation, the shipped
framework published, the shipped scenario packs loaded and 300 employees with a user account,
none on a role profile (so each practises every scenario competency: 14 cards each). Each
employee is logged in by a session created in the set-up whose cookie the client carries: 300
password logins would cost minutes of PBKDF2 and are not what is measured. Then gunicorn with
the production settings as behind a TLS-terminating proxy (DEBUG off, secure cookies, the
proxy's ``X-Forwarded-Proto`` trusted), as ``docs/operations.md`` runs it: sync workers (one
request per process at a time, the proxy in front holds the slow and idle client connections;
on 2 cores the CPU is the limit, which more threads per worker would not lift), 4 by default.

The server runs a bench-only settings module and URLconf, written into a temporary directory on
its PYTHONPATH: the app's URLs plus ``/bench/bare``, a view that answers "ok" and does nothing
else. The app's own URLs stay as they are.

Each simulated employee does what the browser does: opens today's practice (``/oefenen/``),
continues a running scenario or starts the first card due (the id from the form's action; when
nothing is due any more, one of their own cards), and walks the scenario: the page, then a
random choice posted with the form's hidden fields (CSRF token, node, step), the redirect back
to the page, until the ending. Then the next card. Four phases on the same server, each
``--seconds`` long:

1. practice as people do it: a think time of 5-15 s (``--think``) before every click. Its p95
   and errors are the targets. Why that pace: a person reads a page before clicking on it. The
   set-up measures the words on each kind of page and the bench prints the time a reader at the
   mean adult rate (238 words per minute, ``_server.READING_WPM``) needs for them; a scenario
   step takes longer to read than 15 s, so the pace is brisk rather than leisurely, and 300
   people practising at it are 300 people practising at once.
2. stress: the same at 1-3 s before every click (``--stress``), faster than anyone reads. Printed,
   not a target: at that pace 300 clients offer more requests per second than a 2-core machine
   can serve of practice (the bench prints both: about 320 offered against about 150 served
   without any think time), so its p95 measures the queue.
3. practice without think time: every employee clicks as soon as the page is there. This is the
   server's ceiling for practice; its p95 is queueing (300 requests waiting for 4 workers).
4. the bare view without think time, with the same clients and their session cookies, so the
   middleware does the same per request (session, user, memberships).

Phases 3 and 4 run side by side: in turns (``--slices``, 3 turns of a third of ``--seconds``
each), so that a slow spell of the machine (other virtual machines on the host take CPU that
nothing here can see) falls on both instead of on one. A person whose turn of phase 3 ended in
the middle of a scenario goes on with it in the next turn, from the scenario's page (as a
browser whose page stayed open reloads it), so the turns together ask what one phase of
``--seconds`` would: the first turn opens today's page for everyone, later turns do not again.

Target throughput: phase 3 at least 0.5 x phase 4. Afterwards the database is checked: every
attempt's path must have exactly as many steps as the client had choices accepted for it (no
answer lost or counted twice). Beside the timings: the CPU each part used (gunicorn, PostgreSQL,
the load generator itself, which shares the machine) and, measured in-process in the set-up,
the SQL statements each kind of request runs, to show what dominates when a target is missed;
and the load phase 1 offers (clients x requests per click / mean think time) against the
capacity phases 3 and 4 measure: when practice without think time cannot serve that load, no
practice page can meet the p95 target on this machine.

    python bench/practice_load.py [--users 300] [--seconds 60] [--workers 4] [--think 5-15]
                                  [--stress 1-3] [--slices 3]

Needs PostgreSQL (trust authentication). Exits non-zero only when it crashes.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import random
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

BENCH_DB = "vakwerk_bench_practice"
PORT = 8766
BASE = f"http://{shared.HOST}:{PORT}"
USERS = 300
SECONDS = 60
WORKERS = 4
THINK = "5-15"
STRESS = "1-3"
SLICES = 3  # turns of phases 3 and 4 side by side
TIMEOUT = 30.0
TARGET_P95_MS = 200.0
TARGET_RATIO = 0.5
KINDS = ("today", "start", "scenario", "choose", "bare")
PHASES = ("practice", "stress", "ceiling", "bare")
SETTINGS_MODULE = "bench_practice_settings"
URLS_MODULE = "bench_practice_urls"
# The production settings, as behind a TLS-terminating reverse proxy. The clients send the
# proxy's header themselves and carry their cookies by hand: the cookies are Secure, and a client
# does not send those over plain http.
PROXY_HEADERS = {"X-Forwarded-Proto": "https", "Referer": f"https://{shared.HOST}:{PORT}/oefenen/"}
SERVER_ENV = shared.production_env("bench-practice-", SETTINGS_MODULE)
QUIET_CHECK = 3.0  # seconds of watching the machine before the load, for other work


# --- set-up and check, in a child process on the scratch database ---------------------------


def _organisation() -> Any:
    """One organisation with the shipped framework adopted and published (scenario pages show
    competency names from it) and the shipped scenario packs loaded."""
    from vakwerk.audit.services import Actor
    from vakwerk.frameworks import services as frameworks
    from vakwerk.frameworks.content import shipped_pack
    from vakwerk.organisations.models import Organisation
    from vakwerk.practice.demo import seed_scenarios

    organisation = Organisation.objects.create(slug="bench", name="Gemeente Bench")
    pack = shipped_pack("ambtelijk-vakmanschap-3.0")
    assert pack is not None
    framework = frameworks.framework_adopt_pack(
        organisation=organisation, actor=Actor(user=None), pack=pack
    )
    frameworks.framework_publish(version=framework.versions.get(), actor=Actor(user=None))
    seed_scenarios(organisation)
    return organisation


def _employees(organisation: Any, count: int) -> list[dict[str, Any]]:
    """Employees with a user, a membership and a logged-in session each, and their cards."""
    from django.conf import settings
    from django.utils import timezone

    from vakwerk.practice import selectors, services
    from vakwerk.practice.models import Card

    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"
    users, employees = shared.employees_create(
        organisation, count, email="oefen", number_from=200_000, first_name="Oefen"
    )
    now = timezone.now()
    people = []
    for user, employee in zip(users, employees, strict=True):
        session = shared.login_session(user)
        services.cards_ensure(
            employee=employee, codes=selectors.practice_codes(organisation, employee), now=now
        )
        cards = list(Card.objects.filter(employee=employee).values_list("pk", flat=True))
        people.append({"employee": employee.pk, "session": session, "cards": cards, "user": user})
    return people


def _profile(user: Any) -> dict[str, dict[str, Any]]:
    """The statements each kind of request runs, walking one scenario in-process as one
    employee outside the load. Two walks (the first warms caches); of each kind the heaviest
    request is kept (a choice that ends the scenario, the ending page)."""
    import logging

    from django.test import Client
    from django.urls import reverse

    from vakwerk.practice.models import Attempt

    logging.getLogger("django.request").setLevel(logging.CRITICAL)  # the problem is reported
    client = Client(HTTP_HOST=shared.HOST)
    client.force_login(user)
    found: dict[str, dict[str, Any]] = {}

    def keep(kind: str, figures: dict[str, Any]) -> None:
        if figures["problem"] or figures["queries"] >= found.get(kind, {}).get("queries", -1):
            found[kind] = figures

    for _ in range(2):  # the first walk warms caches; of equals the later is kept
        keep("bare", shared.statements(client, "GET", "/bench/bare")[1])
        response, figures = shared.statements(client, "GET", reverse("practice:today"))
        keep("today", figures)
        cards = shared.START.findall(response.content.decode()) if response else []
        if not cards:
            continue
        url = reverse("practice:start", args=[int(cards[0])])
        response, figures = shared.statements(client, "POST", url)
        keep("start", figures)
        if response is None or response.status_code != 302:
            continue
        attempt_id = int(response["Location"].rstrip("/").rsplit("/", 1)[1])
        url = reverse("practice:scenario", args=[attempt_id])
        while True:
            keep("scenario", shared.statements(client, "GET", url)[1])
            attempt = Attempt.objects.get(pk=attempt_id)
            if attempt.is_finished:
                break
            choose = reverse("practice:choose", args=[attempt_id])
            response, figures = shared.statements(
                client,
                "POST",
                choose,
                {"node": attempt.node, "step": str(len(attempt.path) + 1), "choice": "0"},
            )
            keep("choose", figures)
            if response is None:
                break
    return found


def child_setup(users: int) -> None:
    """Runs in a subprocess whose DATABASE_URL points at the empty scratch database."""
    shared.django_setup()
    from django.conf import settings
    from django.db import connection

    from vakwerk.practice.models import ScenarioFamily, ScenarioVariant

    shared.prepare_database()
    organisation = _organisation()
    shared.progress(
        f"scenario packs loaded: {ScenarioFamily.objects.count()} families, "
        f"{ScenarioVariant.objects.count()} variants"
    )
    people = _employees(organisation, users + 1)
    profiled = people.pop()  # one employee outside the load, for the statement counts
    shared.progress(
        f"{users} employees with sessions and {sum(len(p['cards']) for p in people)} cards"
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    profile = _profile(profiled["user"])
    print(
        json.dumps(
            {
                "people": [{k: v for k, v in p.items() if k != "user"} for p in people],
                "session_cookie": settings.SESSION_COOKIE_NAME,
                "families": ScenarioFamily.objects.count(),
                "profile": profile,
            }
        )
    )


def child_check(path: str) -> None:
    """Compares the attempts in the database with the choices the clients had accepted."""
    shared.django_setup()
    from vakwerk.practice.models import Attempt

    expected = json.loads(Path(path).read_text())
    posts = {int(k): v for k, v in expected["posts"].items()}
    uncertain = set(expected["uncertain"])
    rows = Attempt.objects.filter(employee_id__in=expected["employees"]).values_list(
        "pk", "path", "finished_at"
    )
    result = {"attempts": 0, "finished": 0, "mismatched": 0, "lost": 0, "doubled": 0}
    result["unknown"] = 0
    for pk, steps, finished_at in rows:
        result["attempts"] += 1
        result["finished"] += finished_at is not None
        if pk not in posts:
            result["unknown"] += 1  # started on the server, but the client never heard of it
            continue
        if pk in uncertain:  # a post whose answer never came: either outcome is right
            continue
        difference = len(steps) - posts[pk]
        result["mismatched"] += difference != 0
        result["lost"] += max(-difference, 0)
        result["doubled"] += max(difference, 0)
    print(json.dumps(result))


# --- the simulated employees ----------------------------------------------------------------


@dataclass
class Phase:
    """What the clients of one phase measured."""

    name: str
    think: tuple[float, float]  # seconds before a click, (0, 0) for none
    stop_at: float  # time.monotonic() at the end
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    answered: int = 0  # requests answered as expected
    errors: list[str] = field(default_factory=list)
    finished: int = 0
    off_schedule: int = 0  # starts of a card that was not due (nothing was due any more)
    clicks: int = 0  # moments a client thought (or would have) before a click
    duration: float = 0.0  # seconds the clients ran (all slices)
    # CPU seconds of shared.cpu's parts (gunicorn, postgres, ...), all slices
    cpu_seconds: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, ms: float, problem: str | None) -> None:
        with self.lock:
            self.latencies[kind].append(ms)
            if problem:
                self.errors.append(problem)
            else:
                self.answered += 1

    def fail(self, problem: str) -> None:
        """A request answered with the expected status, but not with the expected page."""
        with self.lock:
            self.errors.append(problem)
            self.answered -= 1

    def over(self) -> bool:
        return time.monotonic() >= self.stop_at

    def pause(self, rng: random.Random) -> bool:
        """Think before a click; False when the phase is over."""
        with self.lock:
            self.clicks += 1
        if self.think[1] > 0:
            time.sleep(max(min(rng.uniform(*self.think), self.stop_at - time.monotonic()), 0))
        return not self.over()


@dataclass
class Person:
    """One employee's browser: the cookies (kept by hand) and the choices accepted per attempt."""

    session: str
    cards: list[int]
    cookie_name: str
    cookies: dict[str, str] = field(default_factory=dict)
    posts: dict[int, int] = field(default_factory=dict)  # attempt id -> choices accepted
    uncertain: set[int] = field(default_factory=set)  # attempts with a post that got no answer
    # The scenario a turn of phase 3 ended in the middle of: the next turn goes on with it, as
    # a person whose page stayed open does (``run_side_by_side``).
    resume: int | None = None
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
    ) -> requests.Response | None:
        """One request, timed and recorded under ``kind``; None when it failed (recorded as an
        error: an exception, or another status than ``expect``)."""
        started = time.perf_counter()
        try:
            response = self.http.request(
                method,
                BASE + path,
                data=data,
                headers={"Cookie": shared.cookie_header(self.cookies)},
                allow_redirects=False,
                timeout=TIMEOUT,
            )
        except requests.RequestException as error:
            phase.record(
                kind, (time.perf_counter() - started) * 1000, f"{kind} {type(error).__name__}"
            )
            return None
        elapsed = (time.perf_counter() - started) * 1000
        shared.keep_cookies(self.http, self.cookies, response)
        ok = response.status_code == expect
        phase.record(kind, elapsed, None if ok else f"{kind} {response.status_code}")
        return response if ok else None

    def token(self, page: str) -> str:
        found = shared.CSRF.search(page)
        return found.group(1) if found else self.cookies.get("csrftoken", "")


def _begin(person: Person, phase: Phase, rng: random.Random) -> int | None:
    """Today's page, then the running scenario or a new start; the attempt id, or None."""
    response = person.request(phase, "today", "GET", "/oefenen/", 200)
    if response is None:
        return None
    running = shared.CONTINUE.search(response.text)
    if running:
        attempt_id = int(running.group(1))
        person.posts.setdefault(attempt_id, 0)
        return attempt_id
    due = shared.START.findall(response.text)
    if due:
        card = int(due[0])
    else:
        card = rng.choice(person.cards)
        with phase.lock:
            phase.off_schedule += 1
    if not phase.pause(rng):
        return None
    response = person.request(
        phase,
        "start",
        "POST",
        f"/oefenen/start/{card}/",
        302,
        {"csrfmiddlewaretoken": person.token(response.text)},
    )
    started = shared.SCENARIO.search(response.headers.get("Location", "")) if response else None
    if response is not None and started is None:
        phase.fail("start: redirected elsewhere than a scenario")
    if started is None:
        return None
    person.posts[int(started.group(1))] = 0
    return int(started.group(1))


def _walk(person: Person, phase: Phase, rng: random.Random, attempt_id: int) -> None:
    """The scenario page and a random choice, until the ending (or the end of the phase: then
    ``person.resume`` keeps the attempt)."""
    page = f"/oefenen/scenario/{attempt_id}/"
    person.resume = None
    while True:
        response = person.request(phase, "scenario", "GET", page, 200)
        if response is None:
            return
        form = shared.CHOOSE_FORM.search(response.text)
        choices = len(shared.CHOICE.findall(form.group(1))) if form else 0
        if choices == 0:
            if "vakwerk-situation" in response.text:
                with phase.lock:
                    phase.finished += 1
            else:
                phase.fail("scenario: neither choices nor an ending")
            return
        assert form is not None
        # What the browser posts: the form's hidden fields (CSRF token, node, step) and the
        # button pressed.
        data = {name: html.unescape(value) for name, value in shared.HIDDEN.findall(form.group(1))}
        if "node" not in data:
            phase.fail("scenario: choices without a node")
            return
        if not phase.pause(rng):
            person.resume = attempt_id
            return
        data["choice"] = str(rng.randrange(choices))
        answer = person.request(phase, "choose", "POST", page + "kies/", 302, data)
        if answer is None:  # the choice may or may not have been saved
            person.uncertain.add(attempt_id)
            return
        person.posts[attempt_id] += 1
        if not answer.headers.get("Location", "").endswith(page):
            phase.fail("choose: redirected elsewhere than the scenario")
            return


def practise(person: Person, phase: Phase, seed: int) -> None:
    """One employee practising until the phase is over: today's page, a scenario, again."""
    rng = random.Random(seed)
    time.sleep(rng.uniform(0, phase.think[1]))  # people do not all click at the same moment
    while not phase.over():
        attempt_id = person.resume if person.resume is not None else _begin(person, phase, rng)
        if attempt_id is None:
            time.sleep(0.2)  # after an error: not a tight loop of failures
            continue
        _walk(person, phase, rng, attempt_id)


def bare(person: Person, phase: Phase) -> None:
    """The same client asking the bare view, as fast as it answers."""
    while not phase.over():
        response = person.request(phase, "bare", "GET", "/bench/bare", 200)
        if response is not None and response.text != "ok":
            phase.fail("bare: unexpected body")


def client(person: Person, phase: Phase, seed: int) -> None:
    if phase.name == "bare":
        bare(person, phase)
    else:
        practise(person, phase, seed)


# --- a phase --------------------------------------------------------------------------------


def _run_slice(phase: Phase, people: list[Person], seconds: float, seed: int, server: int) -> None:
    """Every client on ``phase`` for ``seconds`` more; adds the time and the CPU it took."""
    phase.stop_at = time.monotonic() + seconds
    threads = [
        threading.Thread(target=client, args=(person, phase, seed + index), daemon=True)
        for index, person in enumerate(people)
    ]
    before = shared.cpu(server)
    phase.duration += shared.run_threads(threads)
    after = shared.cpu(server)
    for part in after:
        phase.cpu_seconds[part] += after[part] - before[part]


def _result(phase: Phase) -> dict[str, Any]:
    everything = [ms for values in phase.latencies.values() for ms in values]
    answered, duration = phase.answered, phase.duration
    return {
        **shared.timings(everything),
        "requests": len(everything),
        "throughput": answered / duration,
        "errors": len(phase.errors),
        "finished": phase.finished,
        "off_schedule": phase.off_schedule,
        "clicks": phase.clicks,
        "cpu": {part: used / duration for part, used in phase.cpu_seconds.items()},
        "server_ms": 1000 * phase.cpu_seconds["gunicorn"] / max(answered, 1),
        "kinds": {kind: shared.timings(values) for kind, values in phase.latencies.items()},
        "problems": Counter(phase.errors).most_common(),
    }


def run_phase(
    name: str, people: list[Person], seconds: int, think: tuple[float, float], server: int
) -> dict[str, Any]:
    phase = Phase(name, think, 0.0)
    for person in people:  # a phase of its own begins at today's page
        person.resume = None
    _run_slice(phase, people, seconds, 1000 * PHASES.index(name), server)
    return _result(phase)


def run_side_by_side(
    names: tuple[str, str], people: list[Person], seconds: int, slices: int, server: int
) -> dict[str, dict[str, Any]]:
    """Two phases without think time in turns, ``slices`` turns each of ``seconds / slices``:
    the machine's speed drifts (other virtual machines on the same host), and in turns a slow
    spell falls on both phases alike instead of on one of them."""
    phases = {name: Phase(name, (0.0, 0.0), 0.0) for name in names}
    for person in people:
        person.resume = None
    for turn in range(slices):
        for name, phase in phases.items():
            seed = 1000 * PHASES.index(name) + 100_000 * turn
            _run_slice(phase, people, seconds / slices, seed, server)
    return {name: _result(phase) for name, phase in phases.items()}


def _warm_up(people: list[Person]) -> None:
    """A few requests of each kind, unrecorded, so that each worker has loaded its templates."""
    phase = Phase("warm-up", (0.0, 0.0), time.monotonic())
    for person in people[:12]:
        person.request(phase, "today", "GET", "/oefenen/", 200)
        person.request(phase, "bare", "GET", "/bench/bare", 200)
    if phase.errors:  # the phases count them
        shared.progress(f"the warm-up had errors: {', '.join(sorted(set(phase.errors)))}")


def load(
    scene: dict[str, Any], env: dict[str, str], options: argparse.Namespace, log: Path
) -> tuple[dict[str, dict[str, Any]], list[Person]]:
    """Gunicorn on the scratch database (its output into ``log``) and the three phases."""
    seconds, think = options.seconds, shared.think_seconds(options.think)
    stress = shared.think_seconds(options.stress)
    people = [Person(p["session"], p["cards"], scene["session_cookie"]) for p in scene["people"]]
    results: dict[str, dict[str, Any]] = {}
    with shared.gunicorn(options.workers, PORT, env, log) as server:
        shared.wait_until_up(server, BASE + "/bench/bare", PROXY_HEADERS)
        scene["busy_before"] = shared.quiet_check(QUIET_CHECK)
        _warm_up(people)
        for name, label, pause in (
            ("practice", f"practice with think time {think[0]:g}-{think[1]:g} s", think),
            ("stress", f"practice with think time {stress[0]:g}-{stress[1]:g} s", stress),
        ):
            shared.progress(f"{len(people)} employees for {seconds} s: {label} ...")
            results[name] = run_phase(name, people, seconds, pause, server.pid)
        shared.progress(
            f"{len(people)} employees for {seconds} s each: practice and the bare view without "
            f"think time, in {options.slices} turns each ..."
        )
        results.update(
            run_side_by_side(("ceiling", "bare"), people, seconds, options.slices, server.pid)
        )
    return results, people


# --- the report -----------------------------------------------------------------------------


def _offered(
    row: dict[str, Any],
    users: int,
    pace: str,
    ceiling: dict[str, Any],
    baseline: dict[str, Any],
) -> float:
    """Prints and returns the load a paced phase offered against the capacity phases 3 and 4
    measured: each click (a think) brings a few requests at once (a choice and its redirect
    back to the scenario page; the ending's today page and start)."""
    per_click = row["requests"] / max(row["clicks"], 1)
    low, high = shared.think_seconds(pace)
    offered = users * per_click / ((low + high) / 2) if high > 0 else float("inf")
    room = (
        "there is room."
        if ceiling["throughput"] > offered
        else f"short by {offered / max(ceiling['throughput'], 1e-9):.1f} x"
        + (", more than even the bare view can serve." if baseline["throughput"] < offered else ".")
    )
    print(
        f"Offered load with think time {pace} s: {users} clients x {per_click:.2f} requests per "
        f"click / {(low + high) / 2:g} s mean think = {offered:.0f} req/s. Capacity on this "
        f"machine: practice {ceiling['throughput']:.0f} req/s (no think), the bare view "
        f"{baseline['throughput']:.0f} req/s. A p95 target needs practice capacity well above "
        f"the offered load (queueing grows steeply near it): {room}"
    )
    return offered


def report(
    scene: dict[str, Any],
    results: dict[str, dict[str, Any]],
    check: dict[str, int],
    logged: list[tuple[int, str]],
    options: argparse.Namespace,
) -> None:
    users, seconds, workers = len(scene["people"]), options.seconds, options.workers
    practice, ceiling, baseline = results["practice"], results["ceiling"], results["bare"]
    print()
    for name, row in results.items():
        for problem, count in row["problems"][:20]:
            print(f"{name}: {count} x {problem}")
    for count, line in logged:
        print(f"gunicorn log: {count} x {line}")
    for kind, figures in scene["profile"].items():
        if figures["problem"]:
            print(f"in-process {kind}: {figures['problem']}")
    titles = {
        "practice": f"practice, think {options.think} s",
        "stress": f"stress, think {options.stress} s",
        "ceiling": "practice, no think",
        "bare": "bare view, no think",
    }
    cores = os.cpu_count() or 1
    print(
        f"{users} employees, {seconds} s per phase, gunicorn {workers} sync workers, "
        f"{scene['families']} scenario families; {cores} cores shared by everything; before "
        f"the load, other work kept {scene['busy_before']:.2f} cores busy"
    )
    print(f"{'':30}" + "".join(f"{titles[name]:>24}" for name in results))
    rows: list[tuple[str, Any]] = [
        ("requests", lambda r: f"{r['requests']:.0f}"),
        ("throughput (req/s)", lambda r: f"{r['throughput']:.1f}"),
        ("p50 (ms)", lambda r: f"{r['p50']:.1f}"),
        ("p95 (ms)", lambda r: f"{r['p95']:.1f}"),
        ("p99 (ms)", lambda r: f"{r['p99']:.1f}"),
        ("errors", lambda r: f"{r['errors']:.0f}"),
        ("scenarios finished", lambda r: f"{r['finished']:.0f}"),
        ("gunicorn CPU (cores)", lambda r: f"{r['cpu']['gunicorn']:.2f}"),
        ("PostgreSQL CPU (cores)", lambda r: f"{r['cpu']['postgres']:.2f}"),
        ("load generator CPU (cores)", lambda r: f"{r['cpu']['client']:.2f}"),
        ("other processes CPU (cores)", lambda r: f"{shared.other(r['cpu']):.2f}"),
        (f"machine busy (of {cores} cores)", lambda r: f"{r['cpu']['machine']:.2f}"),
        ("gunicorn CPU per request (ms)", lambda r: f"{r['server_ms']:.1f}"),
    ]
    for label, cell in rows:
        print(f"{label:30}" + "".join(f"{cell(results[name]):>24}" for name in results))
    profile = scene["profile"]
    print()
    print("Per kind of request. Statements, writes, SQL time and the whole request's time as")
    print("measured in-process in the set-up, one request alone (of two walks the heavier: an")
    print("ending, a finishing choice); the rest of a request's time there is Python:")
    print(
        f"{'phase':24}{'kind':10}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'statements':>11}{'writes':>7}{'SQL ms':>8}{'alone ms':>9}"
    )
    for name, row in results.items():
        for kind in KINDS:
            if kind not in row["kinds"]:
                continue
            timing, figures = row["kinds"][kind], profile.get(kind, {})
            print(
                f"{titles[name]:24}{kind:10}{timing['n']:>9}{timing['p50']:>9.1f}"
                f"{timing['p95']:>9.1f}{timing['p99']:>9.1f}{figures.get('queries', 0):>11.0f}"
                f"{figures.get('writes', 0):>7.0f}{figures.get('sql_ms', 0):>8.1f}"
                f"{figures.get('wall_ms', 0):>9.1f}"
            )
    print("Slowest statement of each kind, in-process (ms):")
    for kind in KINDS:
        if kind in profile:
            print(f"  {kind:9}{profile[kind]['slowest_ms']:7.1f}  {profile[kind]['slowest'][:100]}")
    print()
    print(
        f"Database afterwards: {check['attempts']} attempts, {check['finished']} finished "
        f"(clients saw {sum(r['finished'] for r in results.values())} endings); "
        f"{check['mismatched']} with a path that differs from the choices accepted "
        f"({check['lost']} lost, {check['doubled']} counted twice); "
        f"{check['unknown']} started without the client knowing; "
        f"{check['uncertain']} left out (a post that got no answer). "
        f"Starts of a card not due: {sum(r['off_schedule'] for r in results.values())}."
    )
    ratio = ceiling["throughput"] / baseline["throughput"] if baseline["throughput"] else 0.0
    slowest = max(practice["kinds"], key=lambda k: practice["kinds"][k]["p95"], default="-")
    print(
        f"Throughput: practice {ceiling['throughput']:.1f} req/s against the bare view's "
        f"{baseline['throughput']:.1f} req/s: {ratio:.2f} x. Without think time every client "
        f"waits in line, so that phase's p95 is about {users} clients / throughput (queueing)."
    )
    print(
        f"Where the time goes (practice without think time): the machine was "
        f"{ceiling['cpu']['machine']:.2f} of {cores} cores busy, gunicorn "
        f"{ceiling['cpu']['gunicorn']:.2f}, PostgreSQL {ceiling['cpu']['postgres']:.2f}, the "
        f"load generator {ceiling['cpu']['client']:.2f}, other processes on the machine "
        f"{shared.other(ceiling['cpu']):.2f}; gunicorn spent "
        f"{ceiling['server_ms']:.1f} ms CPU per practice request against "
        f"{baseline['server_ms']:.1f} ms per bare request. Slowest kind with think time: "
        f"{slowest} (p95 {practice['kinds'].get(slowest, {}).get('p95', 0):.0f} ms, "
        f"{profile.get(slowest, {}).get('queries', 0):.0f} statements)."
    )
    # Other work on the machine takes CPU from one phase more than from another, which moves
    # the throughput ratio; the CPU each request cost (all parts together) moves far less.
    cost = {
        name: 1000
        * sum(row["cpu"][part] for part in ("gunicorn", "postgres", "client"))
        / max(row["throughput"], 1e-9)
        for name, row in (("practice", ceiling), ("bare", baseline))
    }
    print(
        f"CPU per request, gunicorn + PostgreSQL + load generator: practice {cost['practice']:.1f}"
        f" ms, bare view {cost['bare']:.1f} ms; on a machine to itself the throughput ratio would "
        f"be about {cost['bare'] / max(cost['practice'], 1e-9):.2f} x (other work moves the "
        f"measured {ratio:.2f} x)."
    )
    print(shared.reading_line(profile, options.think, options.stress))
    offered = {
        name: _offered(results[name], users, pace, ceiling, baseline)
        for name, pace in (("practice", options.think), ("stress", options.stress))
    }
    errors = sum(r["errors"] for r in results.values())
    verdict = {
        "0 errors, no answer lost or doubled": errors == 0
        and check["mismatched"] == 0
        and check["unknown"] == 0,
        f"p95 < {TARGET_P95_MS:.0f} ms": practice["p95"] < TARGET_P95_MS,
        f"throughput >= {TARGET_RATIO} x bare": ratio >= TARGET_RATIO,
    }
    print(
        f"SUMMARY practice_load: {users} employees x {seconds} s, {workers} sync workers; "
        f"with think time {options.think} s: {practice['requests']} requests, "
        f"{practice['throughput']:.1f} req/s, p95 {practice['p95']:.0f} ms (offered "
        f"{offered['practice']:.0f} req/s); stress, think {options.stress} s (not a target): p95 "
        f"{results['stress']['p95']:.0f} ms, offered {offered['stress']:.0f} req/s; "
        f"errors {errors} (all phases), answers lost {check['lost']}, counted twice "
        f"{check['doubled']}; throughput practice {ceiling['throughput']:.1f} req/s vs bare "
        f"{baseline['throughput']:.1f} req/s = {ratio:.2f} x; other work on the machine "
        + "/".join(f"{shared.other(row['cpu']):.2f}" for row in results.values())
        + f" of {cores} cores; "
        + "; ".join(f"{name}: {'met' if ok else 'not met'}" for name, ok in verdict.items())
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=USERS)
    parser.add_argument("--seconds", type=int, default=SECONDS, help="per phase")
    parser.add_argument("--workers", type=int, default=WORKERS)
    parser.add_argument("--think", default=THINK, help="seconds before a click, MIN-MAX")
    parser.add_argument("--stress", default=STRESS, help="the stress phase's think time")
    parser.add_argument(
        "--slices",
        type=int,
        default=SLICES,
        help="turns of practice and the bare view without think time (side by side)",
    )
    scratch.add_child_arguments(parser)
    options = parser.parse_args()
    if scratch.run_as_child(options, lambda: child_setup(options.users), child_check):
        return 0
    with shared.bench_modules(
        "practice_load.py",
        "practice-load-",
        SERVER_ENV,
        settings=SETTINGS_MODULE,
        urls=URLS_MODULE,
        urls_source=shared.BARE_URLS.format(script="practice_load.py"),
    ) as (folder, env):
        try:
            with scratch.scratch_database(BENCH_DB) as database_url:
                print(f"Setting up {options.users} employees in {BENCH_DB} ...", flush=True)
                scene = scratch.run_setup(
                    Path(__file__), ["--users", str(options.users)], database_url, env
                )
                server_env = {**os.environ, **env, "DATABASE_URL": database_url}
                results, people = load(scene, server_env, options, folder / "gunicorn.log")
                posts = {k: v for person in people for k, v in person.posts.items()}
                uncertain = sorted({a for person in people for a in person.uncertain})
                employees = [p["employee"] for p in scene["people"]]
                expected = {"posts": posts, "uncertain": uncertain, "employees": employees}
                check = scratch.run_check(Path(__file__), expected, folder, database_url, env)
                check["uncertain"] = len(uncertain)
                logged = shared.server_problems(folder / "gunicorn.log")
        except scratch.PostgresUnavailableError as error:
            print(error)
            print(f"SUMMARY practice_load: not run ({error})")
            return 0
    report(scene, results, check, logged, options)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Faults: PostgreSQL restarts under the running application, a task worker is killed in the
middle of a task, and a task is delivered twice. Nothing a person gave is lost, an interrupted
task is finished by the next worker, and no work is done twice (issue 11; docs/operations.md,
"Faults: database restart and worker crash").

Everything runs as real processes against a private PostgreSQL cluster of this module
(``private_postgres``), never the machine's own server, in the SQLite and the PostgreSQL run of
the suite alike: gunicorn and ``manage.py task_worker`` with ``DATABASE_URL`` pointing at a
database of that cluster. The data is seeded once (``fault_scene``: migrate, one organisation,
a closed round whose estimates wait in the task queue with the daily ``notifications`` job, an
open round with external raters), and each test works on a copy of it
(``CREATE DATABASE ... TEMPLATE``). The tests read the results with SQL through psycopg, so
they need no database from pytest-django.

To stop a task at a known point, a test holds a lock on the table the task writes last
(``LOCK TABLE ... IN SHARE MODE``: reads go on, writes wait): the worker has then claimed the
task and marked its own run as running, and waits; that is where it is killed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests

from vakwerk.tests.fault_scene import JOB_DETAILS, OUTCOME, outcome_query
from vakwerk.tests.private_postgres import PrivatePostgres, free_port

ROOT = Path(__file__).resolve().parents[3]
SRC = ROOT / "src"
TIMEOUT = 60.0  # seconds for any one wait
POLL = 0.05
RETRY = 0.05  # seconds before a failed answer is sent again, as the browser's queue does
TASKS = "django_tasks_database_dbtaskresult"
ESTIMATES = "vakwerk.measurement.tasks.compute_estimates"
NOTIFICATIONS = "vakwerk.nudges.tasks.notifications"
CSRF = re.compile(r'"X-CSRFToken": "([^"]+)"')


# --- the processes ------------------------------------------------------------------------


def django_env(url: str) -> dict[str, str]:
    """The environment of every child: the app's settings against ``url``, development
    defaults (DEBUG on), quiet logs."""
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "vakwerk.settings",
        "PYTHONPATH": str(SRC),
        "VAKWERK_DEBUG": "true",
        "VAKWERK_LOG_LEVEL": "WARNING",
    }


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log: Path


class Children:
    """The processes a test starts; whatever is still running at its end is killed."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.started: list[Child] = []

    def start(self, name: str, args: list[str], url: str) -> Child:
        log = self.folder / f"{name}-{len(self.started)}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(  # noqa: S603 (our own interpreter and manage.py)
                [sys.executable, *args],
                cwd=ROOT,
                env=django_env(url),
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        child = Child(name, process, log)
        self.started.append(child)
        return child

    def worker(self, url: str, worker_id: str, *, batch: bool = False) -> Child:
        """``manage.py task_worker`` as docs/operations.md runs it, polling every 0.1 s; with
        ``batch`` it stops when the queue is empty."""
        args = ["manage.py", "task_worker", "--worker-id", worker_id, "--no-reload"]
        args += ["--no-startup-delay", "--interval", "0.1", *(["--batch"] if batch else [])]
        return self.start(worker_id, args, url)

    def server(self, url: str, port: int) -> Child:
        """gunicorn with two sync workers, as in production; without the control socket in
        the home directory (another run at the same time would share its path)."""
        args = ["-m", "gunicorn", "vakwerk.wsgi", "--workers", "2", "--preload"]
        args += ["--bind", f"127.0.0.1:{port}", "--timeout", "30", "--graceful-timeout", "5"]
        args += ["--no-control-socket"]
        return self.start("gunicorn", args, url)

    def finish(self, child: Child, timeout: float = TIMEOUT) -> int:
        try:
            return child.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired as error:
            child.process.kill()
            child.process.wait()
            raise AssertionError(
                f"{child.name} did not stop in {timeout} s\n{self.logs()}"
            ) from error

    def logs(self) -> str:
        return "\n".join(
            f"--- {child.log.name}:\n{child.log.read_text(errors='replace')[-3000:]}"
            for child in self.started
        )

    def kill_all(self) -> None:
        for child in self.started:
            if child.process.poll() is None:
                child.process.kill()
                child.process.wait()


def wait_for(check: Callable[[], bool], what: str, children: Children | None = None) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(
                f"waited {TIMEOUT} s for {what}\n{children.logs() if children else ''}"
            )
        time.sleep(POLL)


# --- the database, through SQL --------------------------------------------------------------


class Database:
    """One database of the private cluster, read with psycopg (a connection per question, so
    a restarted server does not matter)."""

    def __init__(self, postgres: PrivatePostgres, name: str) -> None:
        self.name = name
        self.url = postgres.create_database(name, template="scene")
        self.dsn = postgres.dsn(name)

    def rows(self, query: str, params: tuple[Any, ...] | None = None) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.dsn, autocommit=True) as connection:
            return connection.execute(query, params).fetchall()

    def tasks(self, path: str) -> list[tuple[str, Any, list[str]]]:
        """(status, return value, worker ids) of the deliveries of ``path``, oldest first."""
        return [
            (status, value, workers)
            for status, value, workers in self.rows(
                f"SELECT status, return_value, worker_ids FROM {TASKS}"  # noqa: S608
                " WHERE task_path = %s ORDER BY enqueued_at, id",
                (path,),
            )
        ]

    def deliver_again(self, path: str, *, with_the_first: bool = False) -> None:
        """Put one more delivery of the first task ``path`` in the queue, as a second
        scheduler, an operator's start button or a double enqueue would. ``with_the_first``
        gives it the first one's place in the queue (so two workers take both at once)."""
        enqueued = "enqueued_at" if with_the_first else "now()"
        self.rows(
            f"INSERT INTO {TASKS} (id, status, enqueued_at, args_kwargs, priority, task_path,"  # noqa: S608
            " worker_ids, queue_name, backend_name, run_after, return_value,"
            " exception_class_path, traceback)"
            f" SELECT gen_random_uuid(), 'READY', {enqueued}, args_kwargs, priority, task_path,"
            " '[]'::jsonb, queue_name, backend_name, run_after, NULL, '', ''"
            f" FROM {TASKS} WHERE task_path = %s ORDER BY enqueued_at, id LIMIT 1"
            " RETURNING id",
            (path,),
        )

    def waiting_to_write(self) -> list[str]:
        """The tables other sessions wait to lock (a worker stopped at a held lock)."""
        return sorted(
            name
            for (name,) in self.rows(
                "SELECT c.relname FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
                " JOIN pg_database d ON d.oid = l.database"
                " WHERE NOT l.granted AND d.datname = current_database()"
            )
        )

    def hold(self, table: str) -> Lock:
        return Lock(self.dsn, table)

    def outcome(self) -> dict[str, Any]:
        """What the tasks left behind (``fault_scene.OUTCOME``)."""
        return {name: self.json(query) for name, query in OUTCOME.items()}

    def job_details(self) -> Any:
        return self.json(JOB_DETAILS)

    def json(self, query: str) -> Any:
        [(text,)] = self.rows(outcome_query(query))
        return json.loads(text)


class Lock:
    """``LOCK TABLE table IN SHARE MODE`` in an open transaction: others read, writers wait."""

    def __init__(self, dsn: str, table: str) -> None:
        self.connection = psycopg.connect(dsn)
        self.connection.execute(f"LOCK TABLE {table} IN SHARE MODE")

    def release(self) -> None:
        if not self.connection.closed:
            self.connection.rollback()
            self.connection.close()

    def __enter__(self) -> Lock:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def postgres() -> Iterator[PrivatePostgres]:
    with PrivatePostgres() as cluster:
        yield cluster


@pytest.fixture(scope="module")
def scene(postgres: PrivatePostgres) -> dict[str, Any]:
    """The seeded template database ``scene`` (see ``fault_scene``)."""
    url = postgres.create_database("scene")
    result = subprocess.run(
        [sys.executable, "-m", "vakwerk.tests.fault_scene"],
        cwd=ROOT,
        env=django_env(url),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    scene: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return scene


@pytest.fixture
def children(tmp_path: Path) -> Iterator[Children]:
    started = Children(tmp_path)
    yield started
    started.kill_all()


@pytest.fixture(scope="module")
def undisturbed(scene: dict[str, Any]) -> dict[str, Any]:
    """What the two queued tasks leave behind when each runs once without a fault."""
    once: dict[str, Any] = scene["undisturbed"]
    assert len(once["estimates"]) > 0
    assert [row["run"]["status"] for row in once["estimate runs"]] == ["done"]
    assert [(row["job"], row["status"]) for row in once["job runs"]] == [("notifications", "done")]
    campaign = [row for row in once["notifications"] if row["notification"]["kind"] == "campaign"]
    assert len(campaign) == scene["people"]
    assert once["audit"] == [
        {"action": "estimates.request", "lines": 1},
        {"action": "estimates.store", "lines": 1},
    ]
    assert [row["attempts"] for row in once["job details"]] == [1]
    return once


# --- 1. answers while PostgreSQL restarts ---------------------------------------------------


@dataclass
class Load:
    """What the clients sent and what the server acknowledged."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    # (sent at, answered at, HTTP status or 0 for no answer)
    requests: list[tuple[float, float, int]] = field(default_factory=list)
    acknowledged: dict[tuple[int, int], int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def record(self, sent: float, status: int) -> None:
        with self.lock:
            self.requests.append((sent, time.monotonic(), status))

    def failed(self, *, sent_after: float, done_before: float = float("inf")) -> list[str]:
        """The requests sent and answered in this time that failed: when, and their status
        (0: no answer)."""
        with self.lock:
            return [
                f"{status} at {sent - sent_after:+.3f} s, {done - sent:.3f} s"
                for sent, done, status in self.requests
                if sent_after <= sent and done < done_before and status != 200
            ]


def rater_answers(
    base: str, rater: dict[str, Any], answers: list[tuple[int, int]], load: Load, *, retry: bool
) -> None:
    """One external rater: load the questionnaire, then save each answer (item, value) the
    way the page does, one htmx POST per answer. With ``retry`` a POST that fails (no
    connection, or 5xx) is sent again until the server takes it, as the browser's offline
    queue does; without, a failure is a problem."""
    page = f"{base}/vragenlijsten/extern/{rater['token']}/"
    session = requests.Session()
    sent = time.monotonic()
    try:
        response = session.get(page, timeout=10)
    except requests.RequestException as error:
        load.record(sent, 0)
        load.problems.append(f"questionnaire page: {error}")
        return
    load.record(sent, response.status_code)
    token = CSRF.search(response.text) if response.status_code == 200 else None
    if token is None:
        load.problems.append(f"questionnaire page: {response.status_code}")
        return
    headers = {"X-CSRFToken": token.group(1), "HX-Request": "true", "Referer": page}
    deadline = time.monotonic() + TIMEOUT
    for item, value in answers:
        while True:
            sent = time.monotonic()
            try:
                status = session.post(
                    f"{page}antwoord/",
                    data={f"item-{item}": str(value)},
                    headers=headers,
                    timeout=10,
                ).status_code
            except requests.RequestException:
                status = 0
            load.record(sent, status)
            if status == 200:
                with load.lock:
                    load.acknowledged[(rater["invitation"], item)] = value
                break
            if 0 < status < 500 or not retry:
                load.problems.append(f"item {item}: {status}")
                return
            if time.monotonic() > deadline:
                load.problems.append(f"item {item}: not saved in {TIMEOUT} s")
                return
            time.sleep(RETRY)


def in_threads(work: list[tuple[Any, ...]]) -> list[threading.Thread]:
    threads = [
        threading.Thread(target=rater_answers, args=args[:-1], kwargs=args[-1], daemon=True)
        for args in work
    ]
    for thread in threads:
        thread.start()
    return threads


def test_answers_given_while_postgres_restarts_are_saved_once_and_the_app_recovers_by_itself(
    postgres: PrivatePostgres, scene: dict[str, Any], children: Children
) -> None:
    db = Database(postgres, "answers")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = children.server(db.url, port)
    raters = scene["raters"]
    first_page = f"{base}/vragenlijsten/extern/{raters[0]['token']}/"

    def up() -> bool:
        assert server.process.poll() is None, children.logs()
        try:
            return requests.get(first_page, timeout=5).status_code == 200
        except requests.RequestException:
            return False

    wait_for(up, "gunicorn to answer", children)
    total = sum(len(rater["items"]) for rater in raters)
    load = Load()
    clients = in_threads(
        [
            (
                base,
                rater,
                [(item, (rater["invitation"] + n) % 5) for n, item in enumerate(rater["items"])],
                load,
                {"retry": True},
            )
            for rater in raters
        ]
    )
    # A restart as an operator or a package upgrade does it, under load: in-flight
    # transactions are cut off, every connection of the app breaks.
    wait_for(lambda: len(load.acknowledged) >= total // 4, "a quarter of the answers")
    postgres.restart("fast")
    back = time.monotonic()
    # A longer outage: the server stays down until the clients have seen failures.
    wait_for(lambda: len(load.acknowledged) >= total * 3 // 5, "three fifths of the answers")
    down = time.monotonic()
    postgres.stop("fast")
    wait_for(lambda: len(load.failed(sent_after=down)) >= 2 * len(raters), "failed requests")
    postgres.start()
    back_again = time.monotonic()
    for client in clients:
        client.join(TIMEOUT)
    assert not any(client.is_alive() for client in clients)
    assert load.problems == []
    assert len(load.acknowledged) == total  # every answer was saved in the end
    assert len(load.failed(sent_after=down, done_before=back_again)) >= 2 * len(raters)
    # The app recovers by itself: nothing sent once PostgreSQL was back failed, until the
    # next outage cut off what was in flight.
    assert load.failed(sent_after=back, done_before=down) == []
    assert load.failed(sent_after=back_again) == []

    # A restart while the app is idle (at night): each application process still holds the
    # connection it had before. Every rater changes an answer, once, without retrying: the
    # first request of each process after the restart must not fail on that broken
    # connection (it is checked first: CONN_HEALTH_CHECKS).
    postgres.restart("fast")
    idle_restart = time.monotonic()
    changed = [
        (rater["items"][0], 4 - load.acknowledged[(rater["invitation"], rater["items"][0])])
        for rater in raters
    ]
    for client in in_threads(
        [
            (base, rater, [answer], load, {"retry": False})
            for rater, answer in zip(raters, changed, strict=True)
        ]
    ):
        client.join(TIMEOUT)
    assert load.problems == []
    assert load.failed(sent_after=idle_restart) == []
    assert server.process.poll() is None  # the same application processes all along
    assert server.log.read_text().count("Booting worker") == 2

    invitations = [rater["invitation"] for rater in raters]
    stored = db.rows(
        "SELECT invitation_id, indicator_id, value FROM assessments_answer"
        " WHERE invitation_id = ANY(%s)",
        (invitations,),
    )
    per_item = Counter((invitation, item) for invitation, item, _value in stored)
    assert max(per_item.values()) == 1  # each answer once
    assert {(inv, item): value for inv, item, value in stored} == load.acknowledged
    started = db.rows(
        "SELECT count(*) FROM assessments_invitation WHERE id = ANY(%s) AND started_at IS NOT NULL",
        (invitations,),
    )
    assert started == [(len(raters),)]


# --- 2. a worker killed in the middle of a task ---------------------------------------------


def test_a_task_whose_worker_is_killed_is_finished_by_the_restarted_worker_once(
    postgres: PrivatePostgres, undisturbed: dict[str, Any], children: Children
) -> None:
    db = Database(postgres, "killed")
    with db.hold("measurement_estimate"), db.hold("nudges_notification"):
        workers = [children.worker(db.url, f"faults-{n}") for n in (1, 2)]
        # Each worker took one task and waits to write its results.
        wait_for(
            lambda: db.waiting_to_write() == ["measurement_estimate", "nudges_notification"],
            "both workers in the middle of a task",
            children,
        )
        assert [status for status, _v, _w in db.tasks(ESTIMATES)] == ["RUNNING"]
        assert [status for status, _v, _w in db.tasks(NOTIFICATIONS)] == ["RUNNING"]
        assert db.rows("SELECT status FROM measurement_estimaterun") == [("running",)]
        assert db.rows("SELECT status FROM nudges_jobrun") == [("running",)]
        for worker in workers:
            worker.process.kill()  # SIGKILL: no clean-up
            worker.process.wait()
    # The locks are gone; the killed workers' tasks are still RUNNING, held by nobody.
    holders = {path: db.tasks(path)[0][2] for path in (ESTIMATES, NOTIFICATIONS)}
    assert sorted(holders.values()) == [["faults-1"], ["faults-2"]]
    assert [status for status, _v, _w in db.tasks(ESTIMATES)] == ["RUNNING"]

    # The supervisor starts them again under their ids: each puts back what it held.
    again = [children.worker(db.url, f"faults-{n}", batch=True) for n in (1, 2)]
    for worker in again:
        assert children.finish(worker) == 0, children.logs()
    assert children.logs().count("Put 1 interrupted task(s) back in the queue.") == 2
    for path in (ESTIMATES, NOTIFICATIONS):
        # Claimed, killed, put back and claimed again (by whichever worker came first).
        [(status, value, workers)] = db.tasks(path)
        assert (status, value) == ("SUCCESSFUL", "done")
        assert workers[0] == holders[path][0]
        assert len(workers) == 2
    # The same estimates, estimate run, notifications and audit lines as without the crash;
    # the job's run was taken over (a second attempt).
    assert {**db.outcome(), "job details": undisturbed["job details"]} == undisturbed
    assert db.rows("SELECT status, attempts FROM nudges_jobrun") == [("done", 2)]


# --- 3. a task delivered twice --------------------------------------------------------------


def test_a_task_delivered_twice_does_its_work_once_at_the_same_time_and_after(
    postgres: PrivatePostgres, undisturbed: dict[str, Any], children: Children
) -> None:
    db = Database(postgres, "twice")
    db.deliver_again(ESTIMATES, with_the_first=True)
    db.deliver_again(NOTIFICATIONS, with_the_first=True)

    def returned(path: str) -> list[Any]:
        return sorted(value for status, value, _w in db.tasks(path) if status == "SUCCESSFUL")

    # At the same time: two workers, each with a delivery of the same task in hand.
    with db.hold("measurement_estimate") as estimates, db.hold("nudges_notification"):
        workers = [children.worker(db.url, f"faults-{n}") for n in ("a", "b")]
        # One worker computes the estimates (and waits to store them); the other's delivery
        # finds the run taken and does nothing, then it takes the job and waits in it.
        wait_for(
            lambda: (
                db.waiting_to_write() == ["measurement_estimate", "nudges_notification"]
                and returned(ESTIMATES) == [""]
            ),
            "one estimate delivery done while the other runs, and the job running",
            children,
        )
        estimates.release()
        # The first worker stores the estimates, then takes the job's second delivery while
        # the first still runs it: skipped.
        wait_for(
            lambda: returned(NOTIFICATIONS) == ["skipped"],
            "the job's second delivery skipped while the first runs",
            children,
        )
    wait_for(
        lambda: (
            returned(ESTIMATES) == ["", "done"] and returned(NOTIFICATIONS) == ["done", "skipped"]
        ),
        "both deliveries of both tasks done",
        children,
    )
    # What one undisturbed run leaves, its job run included (one attempt did all the work).
    assert {**db.outcome(), "job details": db.job_details()} == undisturbed

    # And after: both delivered once more when all is done.
    db.deliver_again(ESTIMATES)
    db.deliver_again(NOTIFICATIONS)
    wait_for(
        lambda: (
            returned(ESTIMATES) == ["", "", "done"]
            and returned(NOTIFICATIONS) == ["done", "skipped", "skipped"]
        ),
        "the third deliveries done",
        children,
    )
    for worker in workers:
        worker.process.terminate()  # as systemd stops a worker: it finishes what it holds
        assert children.finish(worker) == 0, children.logs()
    assert {**db.outcome(), "job details": db.job_details()} == undisturbed


# --- 4. a worker that loses the database ---------------------------------------------------


def test_a_worker_that_loses_the_database_waits_for_it_and_goes_on(
    postgres: PrivatePostgres, undisturbed: dict[str, Any], children: Children
) -> None:
    """PostgreSQL goes away while a worker waits for work and comes back: the worker does not
    exit (``db_worker`` alone would, with a connection error), it waits for the database and
    takes the next task as if nothing happened.

    The server stays down until the worker has noticed: a restart can be over between two of
    the worker's polls, and its connection health check then reconnects without an error (the
    test waited in vain for the notice when a busy machine made that happen)."""
    db = Database(postgres, "lost")
    worker = children.worker(db.url, "faults-lost")

    def done(path: str) -> list[Any]:
        return [value for status, value, _w in db.tasks(path) if status == "SUCCESSFUL"]

    wait_for(lambda: done(ESTIMATES) == ["done"] and done(NOTIFICATIONS) == ["done"], "work")
    postgres.stop("fast")
    wait_for(lambda: "Lost the database" in worker.log.read_text(), "the worker to notice")
    postgres.start()
    db.deliver_again(NOTIFICATIONS)  # the next delivery of the day's job, after the restart
    wait_for(lambda: done(NOTIFICATIONS) == ["done", "skipped"], "the next task", children)
    assert worker.process.poll() is None, children.logs()  # the same worker all along
    assert {**db.outcome(), "job details": db.job_details()} == undisturbed
    worker.process.terminate()
    assert children.finish(worker) == 0, children.logs()

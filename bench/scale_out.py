"""Scale out: two application processes and two task workers against one PostgreSQL, with a
worker crash and an application restart in the middle; no task may run twice or get lost.

Targets (issue 11, part 7): no task runs twice, nothing is lost, 0 HTTP errors.

What runs: a scratch PostgreSQL database ``vakwerk_bench_scale`` (created and dropped on the
server of ``BENCH_POSTGRES_URL``, see ``_scratch.py``) with one organisation, 300 employees with
a login, a running campaign (so the daily ``notifications`` job has visible work: one campaign
item per employee) and an operator enrolled in TOTP with a logged-in session. Then, as
docs/operations.md runs them, all with the same environment (production settings behind a
TLS-terminating proxy): two gunicorn processes (2 sync workers each, ports 8771 and 8772) and
two ``manage.py task_worker`` processes (``db_worker`` that re-queues what it held when killed).

The processes run a bench-only settings module, URLconf and task module, written into a
temporary directory on their PYTHONPATH: the app's URLs plus ``POST /bench/enqueue``, which
enqueues the bench task ``record(token)``. That task works 20 ms and then inserts one row per
call into ``bench_task_effect``, a table *without* a unique constraint: a task run twice leaves
two rows, so doubles are detected, not prevented.

Load: 16 client threads post N (default 2,000) tokens, even tokens to the first application
process and odd ones to the second. A client whose connection is refused (the process is
restarting; no request was sent) sends the same request to the other process, as the proxy in
front would. Meanwhile, the periodic jobs are started through the app itself, the way two
schedulers would: the operator's *start* button (``POST /taken/<job>/start``) of every job on
both application processes, in three rounds (at the start, half-way, after the crash), so each
job is enqueued six times for the same period. And:

- at 15 % of the tokens accepted, the first gunicorn is restarted as in a rolling deploy:
  taken out of the proxy (the clients send everything to the second process), a second for
  what it has accepted, stopped (SIGTERM, graceful), started again on the same port and put
  back. (Stopped *without* taking it out first, gunicorn resets the connections waiting in its
  listen queue: 16 of 2,000 requests got no answer in a trial run.)
- when half of the tokens have their effect row, the first ``db_worker`` is killed with SIGKILL
  (a crash: no clean-up) and started again two seconds later.

Then the bench waits until the queue is empty and checks the database: effect rows per token
(0 missing, 0 doubled), the task rows' states (a task that was RUNNING in the killed worker:
django-tasks-db does not retry or resume it, it stays RUNNING; the bench reports how many and
whether their work happened), per periodic job the ``JobRun`` rows (one per job and period,
attempts) and the task results (one "done", the rest "skipped"), the campaign items the
notifications job made (one per employee), and the operator's ``job.start`` audit lines.

The scheduler itself (``manage.py crontask``) is not started: every job's cron time is fixed
(03:30 to 07:30) and none would fire within the run; the operator's start buttons on both
application processes enqueue exactly what two schedulers would.

    python bench/scale_out.py [--tasks 2000] [--employees 300]

Needs PostgreSQL (trust authentication). Exits non-zero only when it crashes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import queue
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import _scratch as scratch
import _server as shared
import requests

BENCH_DB = "vakwerk_bench_scale"
PORTS = (8771, 8772)
GUNICORN_WORKERS = 2
TASKS = 2000
EMPLOYEES = 300
CLIENTS = 16
ROUNDS = 3  # job starts per application process and job
TIMEOUT = 30.0
DRAIN_TIMEOUT = 150.0
WORK_SECONDS = 0.02
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105 (a scratch operator)
JOB_NAMES = ("pulses", "notifications", "round_reminders", "reminders", "digests", "retention")
SETTINGS_MODULE = "bench_scale_settings"
URLS_MODULE = "bench_scale_urls"
TASKS_MODULE = "bench_scale_tasks"
TASK_TABLE = "django_tasks_database_dbtaskresult"
SERVER_ENV = shared.production_env("bench-scale-", SETTINGS_MODULE)
BENCH_URLS = '''"""scale_out.py: the app's URLs plus an endpoint that enqueues the bench task."""

import os

from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from {tasks} import record


@csrf_exempt
@require_POST
def enqueue(request: HttpRequest) -> JsonResponse:
    result = record.enqueue(token=request.POST["token"])
    return JsonResponse({{"id": str(result.id), "pid": os.getpid()}})


def ping(request: HttpRequest) -> JsonResponse:
    return JsonResponse({{"pid": os.getpid()}})


urlpatterns = [
    path("bench/enqueue", enqueue),
    path("bench/ping", ping),
    path("", include("vakwerk.urls")),
]
'''
BENCH_TASKS = '''"""scale_out.py: a task that records each call as a row (no unique constraint)."""

import os
import time

from django.db import connection
from django.tasks import task


@task(takes_context=True)
def record(context, token: str) -> int:
    time.sleep({work})  # the work; a crash here loses the call unless it is run again
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_task_effect (token, task_id, worker_pid) VALUES (%s, %s, %s)"
            " RETURNING id",
            [token, str(context.task_result.id), os.getpid()],
        )
        return int(cursor.fetchone()[0])
'''


# --- set-up and check, in a child process on the scratch database ---------------------------


def child_setup(employees: int) -> None:
    """Schema, one organisation with employees and a running campaign, and an operator with a
    session (MFA enrolled, logged in with password and TOTP as allauth records it)."""
    shared.django_setup()
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from vakwerk.accounts.models import User
    from vakwerk.accounts.services import totp_enrol
    from vakwerk.nudges.models import Campaign
    from vakwerk.organisations.models import Organisation

    shared.prepare_database()
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_task_effect (id bigserial PRIMARY KEY, token text NOT NULL,"
            " task_id text NOT NULL, worker_pid integer NOT NULL,"
            " done_at timestamptz NOT NULL DEFAULT clock_timestamp())"
        )
    organisation = Organisation.objects.create(slug="bench", name="Gemeente Bench")
    shared.employees_create(
        organisation, employees, email="schaal", number_from=300_000, first_name="Schaal"
    )
    today = timezone.localdate()
    Campaign.objects.create(
        organisation=organisation,
        title="Maand van de schaal",
        starts_on=today - dt.timedelta(days=1),
        ends_on=today + dt.timedelta(days=30),
    )
    operator = User.objects.create(email="operator@vakwerk.example", is_operator=True)
    authenticator = totp_enrol(user=operator, secret=TOTP_SECRET)
    now = time.time()
    session = shared.login_session(
        operator,
        {
            "account_authentication_methods": [
                {"method": "password", "at": now, "email": operator.email},
                {"method": "mfa", "at": now, "id": authenticator.pk, "type": "totp"},
            ]
        },
    )
    shared.progress(f"{employees} employees, a running campaign and an operator")
    print(
        json.dumps(
            {
                "session": session,
                "session_cookie": settings.SESSION_COOKIE_NAME,
                "csrf_cookie": settings.CSRF_COOKIE_NAME,
            }
        )
    )


def child_check(path: str) -> None:
    """Compares the database with what the clients had accepted."""
    shared.django_setup()
    from django.db import connection
    from django_tasks_db.models import DBTaskResult

    from vakwerk.audit.models import AuditEvent
    from vakwerk.nudges.digest import recipients
    from vakwerk.nudges.models import JobRun, Notification, NotificationKind
    from vakwerk.organisations.models import Organisation

    expected = json.loads(Path(path).read_text())
    accepted: dict[str, str] = expected["accepted"]  # token -> task id from the answer
    uncertain = set(expected["uncertain"])
    killed_worker = expected["killed_worker"]

    with connection.cursor() as cursor:
        cursor.execute("SELECT token, task_id FROM bench_task_effect")
        effects = cursor.fetchall()
    per_token = Counter(token for token, _task in effects)
    bench_tasks = {
        str(row["id"]): row
        for row in DBTaskResult.objects.filter(task_path=f"{TASKS_MODULE}.record").values(
            "id", "status", "worker_ids", "args_kwargs"
        )
    }
    tasks_per_token = Counter(row["args_kwargs"]["kwargs"]["token"] for row in bench_tasks.values())
    statuses = Counter(row["status"] for row in bench_tasks.values())
    running = [row for row in bench_tasks.values() if row["status"] == "RUNNING"]
    done_tokens = {token for token, _task in effects}
    stuck = [
        {
            "id": str(row["id"]),
            "token": row["args_kwargs"]["kwargs"]["token"],
            "workers": row["worker_ids"],
            "in_killed_worker": killed_worker in row["worker_ids"],
            "effect": row["args_kwargs"]["kwargs"]["token"] in done_tokens,
        }
        for row in running
    ]
    tasks = {
        "accepted": len(accepted),
        "uncertain": len(uncertain),
        "task_rows": len(bench_tasks),
        "accepted_without_row": sum(1 for t in accepted.values() if t not in bench_tasks),
        "tokens_with_two_rows": sum(1 for n in tasks_per_token.values() if n > 1),
        "effects": len(effects),
        "missing": sorted(t for t in accepted if per_token[t] == 0),
        "doubled": sorted(t for t, n in per_token.items() if n > 1),
        "unexpected": sorted(t for t in per_token if t not in accepted and t not in uncertain),
        "effect_of_other_task": sum(
            1 for token, task in effects if token in accepted and accepted[token] != task
        ),
        "statuses": dict(statuses),
        "stuck": stuck,
    }
    # Throughput of the workers: the effect rows' times.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT extract(epoch FROM max(done_at) - min(done_at)), count(DISTINCT worker_pid)"
            " FROM bench_task_effect"
        )
        span, pids = cursor.fetchone()
    tasks["span"] = float(span or 0.0)
    tasks["worker_pids"] = int(pids or 0)

    jobs: dict[str, Any] = {}
    for name in JOB_NAMES:
        results = DBTaskResult.objects.filter(task_path=f"vakwerk.nudges.tasks.{name}")
        jobs[name] = {
            "runs": [
                {
                    "period": run.period,
                    "status": run.status,
                    "attempts": run.attempts,
                    "details": run.details,
                    "error": run.error[:200],
                }
                for run in JobRun.objects.filter(job=name).order_by("period")
            ],
            "deliveries": results.count(),
            "results": dict(
                Counter(
                    f"{row['status']}:{row['return_value']}"
                    for row in results.values("status", "return_value")
                )
            ),
            "audit_starts": AuditEvent.objects.filter(
                action="job.start", details__job=name
            ).count(),
        }
    organisation = Organisation.objects.get(slug="bench")
    items = Counter(
        Notification.objects.filter(
            organisation=organisation, kind=NotificationKind.CAMPAIGN
        ).values_list("user_id", flat=True)
    )
    people = set(recipients(organisation).values_list("user_id", flat=True))
    effects_of_jobs = {
        "campaign_people": len(people),
        "campaign_items": sum(items.values()),
        "campaign_missing": len(people - set(items)),
        "campaign_doubled": sum(1 for n in items.values() if n > 1),
    }
    print(json.dumps({"tasks": tasks, "jobs": jobs, "job_effects": effects_of_jobs}))


# --- the processes --------------------------------------------------------------------------


class Cluster:
    """The two gunicorn processes and the two task workers, with their logs."""

    def __init__(self, env: dict[str, str], folder: Path) -> None:
        self.env = env
        self.folder = folder
        self.servers: dict[int, subprocess.Popen[bytes]] = {}
        self.workers: dict[int, subprocess.Popen[bytes]] = {}
        self.worker_ids: dict[int, str] = {}
        self.logs: list[Any] = []
        self.starts = Counter[str]()

    def _spawn(self, name: str, command: list[str]) -> subprocess.Popen[bytes]:
        self.starts[name] += 1
        log = (self.folder / f"{name}.{self.starts[name]}.log").open("w")
        self.logs.append(log)
        return subprocess.Popen(
            command, cwd=shared.ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )

    def start_server(self, index: int) -> None:
        port = PORTS[index]
        command = shared.gunicorn_command(GUNICORN_WORKERS, port, graceful_timeout=30)
        self.servers[index] = self._spawn(f"gunicorn-{index + 1}", command)

    def wait_server(self, index: int) -> None:
        server, port = self.servers[index], PORTS[index]
        for _ in range(300):
            if server.poll() is not None:
                raise RuntimeError(f"gunicorn {index + 1} exited with {server.returncode}")
            try:
                if requests.get(f"http://{shared.HOST}:{port}/bench/ping", timeout=2).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn {index + 1} did not answer within a minute")

    def stop_server(self, index: int) -> None:
        server = self.servers[index]
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=40)

    def start_worker(self, index: int) -> None:
        name = f"db_worker-{index + 1}"
        # A fixed id per worker, as docs/operations.md asks: ``task_worker`` started again
        # under the same id puts back the task its killed predecessor was running.
        worker_id = f"bench-worker-{index + 1}"
        self.worker_ids[index] = worker_id
        command = [sys.executable, "manage.py", "task_worker", "--worker-id", worker_id]
        command += ["--interval", "0.5"]
        self.workers[index] = self._spawn(name, command)

    def kill_worker(self, index: int) -> None:
        worker = self.workers[index]
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)

    def stop_all(self) -> None:
        for process in [*self.workers.values(), *self.servers.values()]:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in [*self.workers.values(), *self.servers.values()]:
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in self.logs:
            log.close()

    def problems(self) -> list[tuple[int, str]]:
        """Exceptions and critical lines in every process's log, most frequent first."""
        found: Counter[str] = Counter()
        for log in sorted(self.folder.glob("*.log")):
            for line in log.read_text(errors="replace").splitlines():
                text = line.strip()
                if re.match(r"^[\w.]+(Error|Exception): ", text) or "[CRITICAL]" in text:
                    found[f"{log.stem}: {text[:160]}"] += 1
                elif "Traceback" in text:
                    found[f"{log.stem}: Traceback"] += 1
        return [(count, line) for line, count in found.most_common(8)]


class Database:
    """The parent's own look at the queue (plain SQL, no Django in this process)."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.connection = psycopg.connect(url.replace("postgres://", "postgresql://", 1))
        self.connection.autocommit = True

    def value(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        row = self.connection.execute(sql, params).fetchone()
        return row[0] if row else None

    def effects(self) -> int:
        return int(self.value("SELECT count(*) FROM bench_task_effect"))

    def queue(self) -> dict[str, int]:
        rows = self.connection.execute(
            f"SELECT status, count(*) FROM {TASK_TABLE} GROUP BY status"  # noqa: S608
        ).fetchall()
        return dict(rows)

    def running_in(self, worker_id: str, *, within: float = 0.0) -> list[str]:
        """The tasks the worker holds; with ``within``, only one it claimed at most that many
        seconds ago (so it is still in the task's work, not finishing it)."""
        fresh = " AND started_at > clock_timestamp() - %s * interval '1 second'" if within else ""
        rows = self.connection.execute(
            f"SELECT id::text, task_path FROM {TASK_TABLE}"  # noqa: S608
            " WHERE status = 'RUNNING' AND worker_ids ? %s" + fresh,
            (worker_id, within) if within else (worker_id,),
        ).fetchall()
        return [f"{task_id} ({path.rsplit('.', 1)[-1]})" for task_id, path in rows]


# --- the load -------------------------------------------------------------------------------


def _refused(error: requests.RequestException) -> bool:
    """Whether the connection was refused, so the request was never sent (safe to resend)."""
    return isinstance(error, requests.ConnectionError) and (
        "NewConnectionError" in repr(error) or "Connection refused" in str(error)
    )


class Load:
    """The clients' state, shared between their threads."""

    def __init__(self, total: int) -> None:
        self.tokens: queue.Queue[str] = queue.Queue()
        for n in range(total):
            self.tokens.put(f"t{n:05d}")
        self.total = total
        self.lock = threading.Lock()
        self.accepted: dict[str, str] = {}
        self.uncertain: list[str] = []
        self.errors: list[str] = []
        self.failovers = 0
        self.latencies: list[float] = []
        self.per_port = Counter[int]()
        self.per_pid = Counter[int]()
        self.started = 0.0
        self.finished = 0.0
        self.draining: set[int] = set()  # taken out of the proxy, to be restarted

    def post(self, port_index: int, path: str, **kwargs: Any) -> tuple[requests.Response, int]:
        """A POST to one application process, or to the other when the first refuses the
        connection (it is restarting; the proxy would do the same). Returns the answer and the
        port that gave it."""
        order = [port_index, 1 - port_index]
        if port_index in self.draining:
            order.reverse()
        deadline = time.monotonic() + 60
        while True:
            for index in order:
                port = PORTS[index]
                try:
                    answer = requests.post(
                        f"http://{shared.HOST}:{port}{path}", timeout=TIMEOUT, **kwargs
                    )
                    return answer, port
                except requests.RequestException as error:
                    if not _refused(error) or time.monotonic() > deadline:
                        raise
                    with self.lock:
                        self.failovers += 1
            time.sleep(0.2)

    def client(self) -> None:
        while True:
            try:
                token = self.tokens.get_nowait()
            except queue.Empty:
                return
            index = int(token[1:]) % 2
            started = time.perf_counter()
            try:
                answer, port = self.post(index, "/bench/enqueue", data={"token": token})
            except requests.RequestException as error:
                with self.lock:
                    self.uncertain.append(token)
                    self.errors.append(f"enqueue: {type(error).__name__}")
                continue
            elapsed = time.perf_counter() - started
            with self.lock:
                self.latencies.append(elapsed)
                if answer.status_code == 200:
                    body = answer.json()
                    self.accepted[token] = body["id"]
                    self.per_port[port] += 1
                    self.per_pid[body["pid"]] += 1
                else:
                    self.errors.append(f"enqueue: HTTP {answer.status_code}")


class Operator:
    """The operator's start buttons on both application processes."""

    def __init__(self, scene: dict[str, Any], load: Load) -> None:
        self.scene = scene
        self.load = load
        self.starts = Counter[str]()
        self.errors: list[str] = []
        self.csrf: tuple[str, str] | None = None  # (cookie, form token) of the last list

    def _cookies(self, extra: dict[str, str] | None = None) -> str:
        cookies = {self.scene["session_cookie"]: self.scene["session"], **(extra or {})}
        return "; ".join(f"{k}={v}" for k, v in cookies.items())

    def start_all(self, index: int) -> None:
        """Every job's start button on application process ``index``: the job list first (for
        the CSRF token, as the browser has it), then one POST per job."""
        if index in self.load.draining:
            index = 1 - index
        port = PORTS[index]
        headers = {"X-Forwarded-Proto": "https", "Cookie": self._cookies()}
        try:
            page = requests.get(
                f"http://{shared.HOST}:{port}/taken/", headers=headers, timeout=TIMEOUT
            )
        except requests.RequestException as error:
            self.errors.append(f"job list /taken/ on {port}: {type(error).__name__}")
        else:
            found = shared.CSRF.search(page.text)
            cookie = page.cookies.get(self.scene["csrf_cookie"])
            if page.status_code == 200 and found is not None and cookie is not None:
                self.csrf = (cookie, found.group(1))
            else:
                # The start buttons still work with the token the browser already has.
                self.errors.append(f"job list /taken/ on {port}: HTTP {page.status_code}")
        if self.csrf is None:
            return
        cookie, token = self.csrf
        for name in JOB_NAMES:
            post_headers = {
                "X-Forwarded-Proto": "https",
                "Referer": f"https://{shared.HOST}:{port}/taken/",
                "Cookie": self._cookies({self.scene["csrf_cookie"]: cookie}),
            }
            try:
                answer, _port = self.load.post(
                    index,
                    f"/taken/{name}/start",
                    data={"csrfmiddlewaretoken": token},
                    headers=post_headers,
                    allow_redirects=False,
                )
            except requests.RequestException as error:
                self.errors.append(f"start {name}: {type(error).__name__}")
                continue
            if answer.status_code == 302:
                self.starts[name] += 1
            else:
                self.errors.append(f"start {name}: HTTP {answer.status_code}")

    def round(self) -> None:
        for index in range(len(PORTS)):
            self.start_all(index)


def run(cluster: Cluster, database: Database, scene: dict[str, Any], total: int) -> dict[str, Any]:
    """The load with its faults; returns what the clients saw and what happened when."""
    load = Load(total)
    operator = Operator(scene, load)
    events: list[str] = []
    helpers: list[threading.Thread] = []

    def background(target: Any) -> threading.Thread:
        thread = threading.Thread(target=target)
        thread.start()
        helpers.append(thread)
        return thread

    def restart_server() -> None:
        # A rolling restart: out of the proxy first (new requests go to the other process),
        # a moment for what it has accepted, then a graceful stop, a start and back in.
        load.draining.add(0)
        events.append(f"{time.perf_counter() - shared.STARTED:6.1f} s gunicorn 1 out of the proxy")
        time.sleep(1.0)
        cluster.stop_server(0)
        events.append(f"{time.perf_counter() - shared.STARTED:6.1f} s gunicorn 1 stopped (SIGTERM)")
        cluster.start_server(0)
        cluster.wait_server(0)
        load.draining.discard(0)
        events.append(
            f"{time.perf_counter() - shared.STARTED:6.1f} s gunicorn 1 answers again, back in"
        )

    killed: dict[str, Any] = {}

    def crash_worker() -> None:
        # Killed while it runs a task (the case that matters): wait until it has just claimed
        # one, so the kill lands in the task's work.
        worker_id = cluster.worker_ids[0]
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if database.running_in(worker_id, within=WORK_SECONDS / 3):
                break
        cluster.kill_worker(0)
        killed.update(worker_id=worker_id, running=database.running_in(worker_id))
        events.append(
            f"{time.perf_counter() - shared.STARTED:6.1f} s db_worker 1 killed (SIGKILL) at "
            f"{database.effects()} effects; running in it: {', '.join(killed['running']) or '-'}"
        )
        time.sleep(2)
        cluster.start_worker(0)
        killed["restarted"] = True
        events.append(f"{time.perf_counter() - shared.STARTED:6.1f} s db_worker 1 started again")

    shared.progress(
        f"{total} tasks through {CLIENTS} clients, jobs started {ROUNDS} x on both apps"
    )
    operator.round()
    events.append(f"{time.perf_counter() - shared.STARTED:6.1f} s job round 1 (both apps)")
    clients = [threading.Thread(target=load.client) for _ in range(CLIENTS)]
    load.started = time.perf_counter()
    for thread in clients:
        thread.start()
    restarted = crashed = second_round = third_round = False
    crash: threading.Thread | None = None
    while True:
        done = len(load.accepted) + len(load.uncertain) + len(load.errors)
        if not restarted and len(load.accepted) >= 0.15 * total:
            restarted = True
            background(restart_server)
        if not second_round and len(load.accepted) >= 0.5 * total:
            second_round = True
            background(operator.round)
            events.append(f"{time.perf_counter() - shared.STARTED:6.1f} s job round 2 (both apps)")
        if not crashed and database.effects() >= total / 2:
            crashed = True
            crash = background(crash_worker)
        if crashed and not third_round and killed.get("restarted"):
            third_round = True
            background(operator.round)
            events.append(f"{time.perf_counter() - shared.STARTED:6.1f} s job round 3 (both apps)")
        if not any(thread.is_alive() for thread in clients) and not load.finished:
            load.finished = time.perf_counter()
            events.append(
                f"{time.perf_counter() - shared.STARTED:6.1f} s all {done} enqueue requests"
                " answered"
            )
        if load.finished and crashed and (third_round or not (crash and crash.is_alive())):
            break
        if load.finished and time.perf_counter() - load.finished > DRAIN_TIMEOUT:
            events.append("the queue did not reach half-way: no worker crash")
            break
        time.sleep(0.05)
    for thread in helpers:
        thread.join()
    shared.progress("waiting until the queue is empty")
    deadline = time.perf_counter() + DRAIN_TIMEOUT
    stuck_ids = set(killed.get("running", []))
    while time.perf_counter() < deadline:
        states = database.queue()
        running = states.get("RUNNING", 0)
        if states.get("READY", 0) == 0 and running <= len(stuck_ids):
            break
        time.sleep(0.5)
    # A little longer: a task left RUNNING by the killed worker would be picked up again now
    # if the backend retried it.
    time.sleep(3)
    states = database.queue()
    events.append(f"{time.perf_counter() - shared.STARTED:6.1f} s queue drained: {states}")
    killed["after"] = {}
    for held in killed.get("running", []):
        task_id = held.split(" ", 1)[0]
        killed["after"][task_id] = database.connection.execute(
            f"SELECT status, worker_ids::text FROM {TASK_TABLE} WHERE id::text = %s",  # noqa: S608
            (task_id,),
        ).fetchone()
    return {
        "load": load,
        "operator": operator,
        "events": events,
        "killed": killed,
        "states": states,
    }


# --- the report -----------------------------------------------------------------------------


def report(outcome: dict[str, Any], check: dict[str, Any], logged: list[tuple[int, str]]) -> None:
    load: Load = outcome["load"]
    operator: Operator = outcome["operator"]
    tasks, jobs, effects = check["tasks"], check["jobs"], check["job_effects"]
    print()
    for line in outcome["events"]:
        print(f"event {line}")
    for count, line in logged:
        print(f"log: {count} x {line}")
    for problem, count in Counter(load.errors + operator.errors).most_common(10):
        print(f"HTTP error: {count} x {problem}")
    seconds = load.finished - load.started
    latencies = sorted(load.latencies)
    p95 = latencies[int(0.95 * (len(latencies) - 1))] * 1000 if latencies else 0.0
    print(
        f"Enqueue over HTTP: {len(load.accepted)} of {load.total} accepted in {seconds:.1f} s "
        f"= {len(load.accepted) / max(seconds, 1e-9):.0f} req/s (p50 "
        f"{statistics.median(latencies) * 1000 if latencies else 0:.0f} ms, p95 {p95:.0f} ms); "
        f"per port {dict(load.per_port)}, by {len(load.per_pid)} gunicorn worker processes; "
        f"{load.failovers} requests refused at connect and sent to the other app process; "
        f"{len(load.uncertain)} without an answer."
    )
    print(
        f"Tasks: {tasks['task_rows']} task rows for {tasks['accepted']} accepted enqueues "
        f"({tasks['accepted_without_row']} accepted without a row, {tasks['tokens_with_two_rows']}"
        f" tokens with two rows); states afterwards {tasks['statuses']}; {tasks['effects']} "
        f"effect rows by {tasks['worker_pids']} worker processes in {tasks['span']:.1f} s = "
        f"{tasks['effects'] / max(tasks['span'], 1e-9):.0f} tasks/s."
    )
    print(
        f"Exactly once: {len(tasks['missing'])} accepted tokens without an effect (lost), "
        f"{len(tasks['doubled'])} with two or more effects (ran twice), "
        f"{len(tasks['unexpected'])} effects of tokens never accepted, "
        f"{tasks['effect_of_other_task']} effects written by another task row than the one "
        f"enqueued."
    )
    if tasks["missing"]:
        print(f"  lost tokens: {', '.join(tasks['missing'][:20])}")
    if tasks["doubled"]:
        print(f"  doubled tokens: {', '.join(tasks['doubled'][:20])}")
    killed = outcome["killed"]
    print(
        f"Worker crash: {killed.get('worker_id', '-')} was running "
        f"{', '.join(killed.get('running', [])) or 'nothing'} when it was killed."
    )
    for row in tasks["stuck"]:
        print(
            f"  task {row['id']} (token {row['token']}) is still RUNNING "
            f"{time.perf_counter() - shared.STARTED:.0f} s into the run, claimed by "
            f"{', '.join(row['workers'])}"
            f"{' (the killed worker)' if row['in_killed_worker'] else ''}; its work "
            + ("had happened before the kill" if row["effect"] else "never happened")
            + ". django-tasks-db neither retries nor resumes it: nothing moves a RUNNING task "
            "of a dead worker back to READY."
        )
    if not tasks["stuck"]:
        for task_id, (status, workers) in killed.get("after", {}).items():
            print(
                f"  task {task_id}, held by the killed worker, was put back by the worker started "
                f"again under the same id (task_worker) and ended {status}; claimed by {workers}."
            )
        if not killed.get("running"):
            print("  no task was left RUNNING (the worker was between tasks when it was killed).")
    print("Periodic jobs (each started on both app processes, as two schedulers would):")
    for name, job in jobs.items():
        runs = "; ".join(
            f"{run['period']} {run['status']} attempts {run['attempts']} {run['details']}"
            + (f" error {run['error']}" if run["error"] else "")
            for run in job["runs"]
        )
        print(
            f"  {name:16} started {operator.starts[name]} x (audit {job['audit_starts']}), "
            f"{job['deliveries']} task rows {job['results']}; JobRun: {runs or 'none'}"
        )
    print(
        f"  notifications' own effect: {effects['campaign_items']} campaign items for "
        f"{effects['campaign_people']} people ({effects['campaign_missing']} without, "
        f"{effects['campaign_doubled']} with two)."
    )

    def job_once(job: dict[str, Any]) -> bool:
        done = sum(n for key, n in job["results"].items() if key == "SUCCESSFUL:done")
        return done == len(job["runs"]) and all(r["attempts"] == 1 for r in job["runs"])

    def job_done(job: dict[str, Any]) -> bool:
        return bool(job["runs"]) and all(r["status"] == "done" for r in job["runs"])

    doubled_jobs = [name for name, job in jobs.items() if not job_once(job)]
    undone_jobs = [name for name, job in jobs.items() if not job_done(job)]
    lost = len(tasks["missing"]) + tasks["accepted_without_row"] + effects["campaign_missing"]
    twice = len(tasks["doubled"]) + tasks["tokens_with_two_rows"] + effects["campaign_doubled"]
    errors = len(load.errors) + len(operator.errors)
    stuck_without = sum(1 for row in tasks["stuck"] if not row["effect"])
    verdict = {
        "no task twice": twice == 0 and not doubled_jobs,
        "nothing lost": lost == 0 and not undone_jobs,
        "0 HTTP errors": errors == 0,
    }
    print(
        f"SUMMARY scale_out: 2 gunicorn x {GUNICORN_WORKERS} workers + 2 db_workers on one "
        f"PostgreSQL, one gunicorn restarted, one db_worker SIGKILLed; {len(load.accepted)} "
        f"tasks enqueued at {len(load.accepted) / max(seconds, 1e-9):.0f} req/s, run at "
        f"{tasks['effects'] / max(tasks['span'], 1e-9):.0f} tasks/s: {len(tasks['missing'])} "
        f"lost, {len(tasks['doubled'])} twice, {len(tasks['stuck'])} left RUNNING by the "
        f"crash ({stuck_without} without their work; not retried); 6 jobs x "
        f"{max(operator.starts.values(), default=0)} starts: "
        f"{len(JOB_NAMES) - len(doubled_jobs)} did their work once per period"
        + (f" (not: {', '.join(doubled_jobs)})" if doubled_jobs else "")
        + (f", not done: {', '.join(undone_jobs)}" if undone_jobs else "")
        + f"; HTTP errors {errors}, failovers {load.failovers}; "
        + "; ".join(f"{name}: {'met' if ok else 'not met'}" for name, ok in verdict.items())
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=TASKS)
    parser.add_argument("--employees", type=int, default=EMPLOYEES)
    scratch.add_child_arguments(parser)
    options = parser.parse_args()
    if scratch.run_as_child(options, lambda: child_setup(options.employees), child_check):
        return 0
    with shared.bench_modules(
        "scale_out.py",
        "scale-out-",
        SERVER_ENV,
        settings=SETTINGS_MODULE,
        urls=URLS_MODULE,
        urls_source=BENCH_URLS.format(tasks=TASKS_MODULE),
        more={TASKS_MODULE: BENCH_TASKS.format(work=WORK_SECONDS)},
    ) as (folder, env):
        try:
            with scratch.scratch_database(BENCH_DB) as database_url:
                print(f"Setting up {options.employees} employees in {BENCH_DB} ...", flush=True)
                scene = scratch.run_setup(
                    Path(__file__), ["--employees", str(options.employees)], database_url, env
                )
                cluster = Cluster({**os.environ, **env, "DATABASE_URL": database_url}, folder)
                database = Database(database_url)
                try:
                    for index in range(len(PORTS)):
                        cluster.start_server(index)
                        cluster.start_worker(index)
                    for index in range(len(PORTS)):
                        cluster.wait_server(index)
                    shared.progress("2 gunicorn processes and 2 db_workers are up")
                    outcome = run(cluster, database, scene, options.tasks)
                finally:
                    cluster.stop_all()
                    database.connection.close()
                load: Load = outcome["load"]
                expected = {
                    "accepted": load.accepted,
                    "uncertain": load.uncertain,
                    "killed_worker": outcome["killed"].get("worker_id", ""),
                }
                check = scratch.run_check(Path(__file__), expected, folder, database_url, env)
                logged = cluster.problems()
        except scratch.PostgresUnavailableError as error:
            print(error)
            print(f"SUMMARY scale_out: not run ({error})")
            return 0
    report(outcome, check, logged)
    return 0


if __name__ == "__main__":
    sys.exit(main())

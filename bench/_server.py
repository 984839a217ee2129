"""Shared by the load benchmarks: the application server as they run it, the set-up in the child
process, the simulated browsers' cookies, and the figures (CPU, memory, percentiles).

The server is gunicorn with the production settings as behind a TLS-terminating proxy (DEBUG off,
secure cookies, the proxy's ``X-Forwarded-Proto`` trusted), as ``docs/operations.md`` runs it,
on a bench-only settings module and URLconf written into a temporary directory on its
PYTHONPATH. Clients carry their cookies by hand: the cookies are Secure, and a client does not
send those over plain http.
"""

from __future__ import annotations

import html
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
from _scratch import badge_key

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
TRANSACTION_CONTROL = frozenset({"BEGIN", "COMMIT", "ROLLBACK"})
EXCEPTION = re.compile(r"^[\w.]+(Error|Exception): ")  # a line of a traceback in a log
STARTED = time.perf_counter()
# The practice pages, as the browser sees them: today's page (a running scenario to continue,
# the start buttons of the cards due), the redirect to a started scenario, the scenario's form
# of choices with its hidden fields, and a form's CSRF token.
CONTINUE = re.compile(r'href="/oefenen/scenario/(\d+)/"')
START = re.compile(r'action="/oefenen/start/(\d+)/"')
SCENARIO = re.compile(r"/oefenen/scenario/(\d+)/$")
CHOOSE_FORM = re.compile(r'<form[^>]*action="/oefenen/scenario/\d+/kies/"[^>]*>(.*?)</form>', re.S)
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')
CHOICE = re.compile(r'class="[^"]*\bvakwerk-choice\b[^"]*"')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

# The settings module the server runs: the production settings with the bench's URLconf.
BENCH_SETTINGS = '''"""{script}: the production settings with the bench URLconf."""

from vakwerk.settings import *  # noqa: F403

ROOT_URLCONF = "{urls}"
STATIC_ROOT = {static!r}
'''
# A URLconf: the app's URLs plus a bare view that answers "ok" and does nothing else (the
# ceiling of the server and the machine).
BARE_URLS = '''"""{script}: the app's URLs plus a bare view (the ceiling)."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/bare", bare), path("", include("vakwerk.urls"))]
'''


def progress(message: str) -> None:
    """Progress on standard error (a child's standard output carries its result)."""
    print(f"  [{time.perf_counter() - STARTED:6.1f} s] {message}", file=sys.stderr, flush=True)


def production_env(secret: str, settings_module: str) -> dict[str, str]:
    """The production settings as behind a TLS-terminating reverse proxy, with a throwaway
    secret key (``secret`` + 60 x "x") and badge signing key (required with DEBUG off)."""
    return {
        "VAKWERK_DEBUG": "false",
        "VAKWERK_SECRET_KEY": secret + "x" * 60,
        "VAKWERK_ALLOWED_HOSTS": HOST,
        "VAKWERK_BEHIND_PROXY": "true",
        "VAKWERK_LOG_LEVEL": "WARNING",
        "VAKWERK_BADGE_SIGNING_KEY": badge_key(),
        "DJANGO_SETTINGS_MODULE": settings_module,
    }


@contextmanager
def bench_modules(
    script: str,
    prefix: str,
    env: Mapping[str, str],
    *,
    settings: str,
    urls: str,
    urls_source: str,
    more: Mapping[str, str] | None = None,
) -> Iterator[tuple[Path, dict[str, str]]]:
    """A temporary directory (its name starting with ``prefix``) holding the bench settings
    module ``settings`` of ``script`` (static files in the directory's ``static``), the URLconf
    ``urls`` and the ``more`` modules (name -> source). Yields the directory and ``env`` with
    the directory and ``src`` on PYTHONPATH; removes the directory afterwards."""
    with tempfile.TemporaryDirectory(prefix=prefix) as scratch:
        folder = Path(scratch)
        (folder / f"{settings}.py").write_text(
            BENCH_SETTINGS.format(script=script, urls=urls, static=str(folder / "static"))
        )
        (folder / f"{urls}.py").write_text(urls_source)
        for name, source in (more or {}).items():
            (folder / f"{name}.py").write_text(source)
        yield folder, {**env, "PYTHONPATH": os.pathsep.join([scratch, str(ROOT / "src")])}


# --- set-up, in a child process on the scratch database -------------------------------------


def django_setup() -> None:
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def prepare_database() -> None:
    """On the empty scratch database, with the production settings: the schema, the cache
    table and the static files."""
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    assert connection.vendor == "postgresql", connection.vendor
    assert not settings.DEBUG
    progress("migrate, cache table and static files")
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)


def employees_create(
    organisation: Any, count: int, *, email: str, number_from: int, first_name: str
) -> tuple[list[Any], list[Any]]:
    """``count`` employees of ``organisation``, each with a user (``{email}{n:04d}@...``, no
    usable password) and an employee membership. Returns the users and the employees."""
    from vakwerk.accounts.models import User
    from vakwerk.organisations.models import Membership
    from vakwerk.people.models import Employee

    users = User.objects.bulk_create(
        User(email=f"{email}{n:04d}@gemeente.example", password="!bench")  # noqa: S106
        for n in range(count)
    )
    Membership.objects.bulk_create(
        Membership(user=user, organisation=organisation, is_employee=True) for user in users
    )
    employees = Employee.objects.bulk_create(
        Employee(
            organisation=organisation,
            user=user,
            employee_number=str(number_from + n),
            first_name=first_name,
            last_name=f"Medewerker {n:04d}",
            email=user.email,
            job_title="Medewerker",
        )
        for n, user in enumerate(users)
    )
    return users, employees


def login_session(user: Any, extra: Mapping[str, Any] | None = None) -> str:
    """A database session in which ``user`` is logged in (plus ``extra`` keys); its key, the
    value of the session cookie. Cheaper than a password login (PBKDF2), which is not what a
    benchmark measures."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    for key, value in (extra or {}).items():
        session[key] = value
    session.create()
    assert session.session_key is not None
    return session.session_key


def statements(
    client: Any,
    method: str,
    url: str,
    data: dict[str, str] | None = None,
    *,
    error_status_fails: bool = False,
    **headers: str,
) -> tuple[Any, dict[str, Any]]:
    """One request through Django's test client: its response (None when the view raised, and
    with ``error_status_fails`` also when it answered 400 or more) and the statements it ran,
    with their SQL time."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response, problem = None, ""
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as captured:
        try:
            if method == "GET":
                response = client.get(url, secure=True, headers=headers)
            else:
                response = client.post(url, data or {}, secure=True, headers=headers)
        except Exception as error:  # reported with the figures; the bench goes on
            problem = f"{type(error).__name__}: {error}".splitlines()[0]
    wall_ms = (time.perf_counter() - started) * 1000
    if error_status_fails and response is not None and response.status_code >= 400:
        problem, response = f"{method} {url} answered {response.status_code}", None
    timed = [
        (float(q["time"]) * 1000, " ".join(q["sql"].split()))
        for q in captured.captured_queries
        if q["sql"] not in TRANSACTION_CONTROL
    ]
    slowest = max(timed, default=(0.0, ""))
    page = response.content.decode() if response is not None and response.status_code == 200 else ""
    return response, {
        "words": words_shown(page),
        "queries": len(timed),
        "writes": sum(1 for _, s in timed if s.split(None, 1)[0] in {"INSERT", "UPDATE", "DELETE"}),
        "sql_ms": sum(ms for ms, _ in timed),
        "wall_ms": wall_ms,
        "slowest_ms": slowest[0],
        "slowest": slowest[1][:160],
        "problem": problem,
    }


# --- how fast simulated people click ---------------------------------------------------------

# Adults' mean silent reading rate for non-fiction (Brysbaert 2019, "How many words do we read
# per minute?", a review of 190 studies): 238 words per minute.
READING_WPM = 238
MAIN = re.compile(r"<main\b.*?</main>", re.S)
HIDDEN_TEXT = re.compile(r"<(script|style|template|svg)\b.*?</\1>", re.S)
TAG = re.compile(r"<[^>]+>")


def words_shown(page: str) -> int:
    """The words a person reads on an HTML page: the text of its ``<main>`` element (the
    header and navigation are known by the second page), without scripts, styles and charts."""
    found = MAIN.search(page)
    if found is None:
        return 0
    text = TAG.sub(" ", HIDDEN_TEXT.sub(" ", found.group(0)))
    return len(html.unescape(text).split())


def reading_seconds(words: float) -> float:
    """The time a reader at ``READING_WPM`` needs for ``words``."""
    return 60 * words / READING_WPM


def reading_line(profile: Mapping[str, Mapping[str, Any]], think: str, stress: str) -> str:
    """The words on each kind of page (``statements`` counts them) and their reading time,
    beside the think times a bench used."""
    return (
        f"Words on each page (its <main>) and the time a reader at {READING_WPM} words per "
        "minute needs for them: "
        + ", ".join(
            f"{kind} {figures['words']} ({reading_seconds(figures['words']):.0f} s)"
            for kind, figures in profile.items()
            if figures.get("words")
        )
        + f"; think time before a click: {think} s, stress {stress} s."
    )


# --- the simulated browsers' cookies --------------------------------------------------------


def cookie_header(cookies: Mapping[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def keep_cookies(
    http: requests.Session, cookies: dict[str, str], response: requests.Response
) -> None:
    """The cookies a response set, kept by hand in ``cookies`` (the session's jar would not
    send Secure ones over http)."""
    http.cookies.clear()
    for name, value in response.cookies.get_dict().items():
        if value:
            cookies[name] = value
        else:  # a deleted cookie (the messages cookie once read)
            cookies.pop(name, None)


# --- gunicorn -------------------------------------------------------------------------------


def gunicorn_command(workers: int, port: int, *, graceful_timeout: int | None = None) -> list[str]:
    """gunicorn with sync workers (one request per process at a time; the proxy in front holds
    the slow and idle client connections), as docs/operations.md runs it."""
    command = [sys.executable, "-m", "gunicorn", "vakwerk.wsgi", "--worker-class", "sync"]
    command += ["--workers", str(workers), "--bind", f"{HOST}:{port}", "--timeout", "60"]
    if graceful_timeout is not None:
        command += ["--graceful-timeout", str(graceful_timeout)]
    return [*command, "--log-level", "warning"]


@contextmanager
def gunicorn(
    workers: int, port: int, env: Mapping[str, str], log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """gunicorn running (its output into ``log``) until the block ends, then stopped with
    SIGTERM (graceful)."""
    output = log.open("w")
    server = subprocess.Popen(
        gunicorn_command(workers, port), cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
    )
    try:
        yield server
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        output.close()


def wait_until_up(
    server: subprocess.Popen[bytes], url: str, headers: Mapping[str, str], log: Path | None = None
) -> None:
    """Until ``url`` answers; with ``log``, the end of the log is the error of a crash."""
    for _ in range(200):
        if server.poll() is not None:
            if log is None:
                raise RuntimeError(f"gunicorn exited with {server.returncode}")
            tail = log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"gunicorn exited with {server.returncode}:\n{tail}")
        try:
            if requests.get(url, headers=headers, timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise RuntimeError("gunicorn did not answer within a minute")


def port_free(port: int) -> None:
    with socket.socket() as probe:
        if probe.connect_ex((HOST, port)) == 0:
            raise RuntimeError(f"port {port} is in use: another server would answer the clients")


def server_problems(log: Path) -> list[tuple[int, str]]:
    """The exceptions and critical lines of the server's log, most frequent first (the log
    itself stays out of the report: a broken page under load writes thousands of tracebacks)."""
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    found = Counter(
        line.strip()[:200] for line in lines if EXCEPTION.match(line) or "[CRITICAL]" in line
    )
    return [(count, line) for line, count in found.most_common(5)]


# --- CPU and memory of the parts ------------------------------------------------------------


TICK = os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return [int(child) for child in found.stdout.split()]


def rss_mb(pid: int) -> float | None:
    """The resident memory (VmRSS) of a process in MB; None when it is gone."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


def _ticks(pid: int, with_children: bool) -> int:
    """User and system CPU of a process in clock ticks (with its reaped children's)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return sum(int(f) for f in fields[11 : 15 if with_children else 13])


def _tree_seconds(root: int | None) -> float:
    """CPU seconds of a process, its reaped children and its live children."""
    if root is None:
        return 0.0
    ticks = _ticks(root, True) + sum(_ticks(child, False) for child in children(root))
    return ticks / TICK


def _postmaster() -> int | None:
    found = subprocess.run(["pgrep", "-o", "-x", "postgres"], capture_output=True, text=True)
    return int(found.stdout.split()[0]) if found.stdout.split() else None


def machine_busy() -> float:
    """CPU seconds the whole machine was busy (all but idle and iowait)."""
    fields = [int(f) for f in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / TICK


def quiet_check(seconds: float) -> float:
    """Cores other work kept busy while the bench watched the machine for ``seconds`` (before
    the load: other work takes CPU from the server)."""
    busy = machine_busy()
    time.sleep(seconds)
    return (machine_busy() - busy) / seconds


def cpu(server: int) -> dict[str, float]:
    """CPU seconds so far of gunicorn (master and workers), PostgreSQL, this process (the load
    generator) and the whole machine."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "gunicorn": _tree_seconds(server),
        "postgres": _tree_seconds(_postmaster()),
        "client": own.ru_utime + own.ru_stime,
        "machine": machine_busy(),
    }


def other(cpu: dict[str, float]) -> float:
    """Cores busy with processes outside the bench (another program on the same machine takes
    CPU from the server and makes every figure worse)."""
    return max(cpu["machine"] - cpu["gunicorn"] - cpu["postgres"] - cpu["client"], 0.0)


class MemorySampler(threading.Thread):
    """VmRSS of each gunicorn worker (the master's children) every ``every`` seconds."""

    def __init__(self, master: int, every: float) -> None:
        super().__init__(daemon=True)
        self.master = master
        self.every = every
        self.samples: dict[int, list[float]] = defaultdict(list)
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            for pid in children(self.master):
                rss = rss_mb(pid)
                if rss is not None:
                    self.samples[pid].append(rss)
            self.stopped.wait(self.every)

    def stop(self) -> dict[int, dict[str, float]]:
        self.stopped.set()
        self.join()
        return {
            pid: {"max": max(values), "mean": sum(values) / len(values), "n": len(values)}
            for pid, values in self.samples.items()
        }


# --- figures --------------------------------------------------------------------------------


def run_threads(threads: list[threading.Thread]) -> float:
    """Start every thread, wait for all; the seconds that took."""
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.monotonic() - started


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[int(share * (len(ordered) - 1))] if ordered else float("nan")


def timings(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50": percentile(values, 0.50),
        "p95": percentile(values, 0.95),
        "p99": percentile(values, 0.99),
    }


def think_seconds(text: str) -> tuple[float, float]:
    """``--think`` ("MIN-MAX" or one number) as seconds (low, high)."""
    low, _, high = text.partition("-")
    return float(low), float(high or low)


if __name__ == "__main__":  # `make bench` runs every bench/*.py, this one too
    print("Shared helpers of the load benchmarks: nothing to measure here.")

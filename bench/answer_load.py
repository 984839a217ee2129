"""Answer load: simulated raters save answers concurrently against gunicorn on PostgreSQL.

Target (issue 4): 200 raters for two minutes, 0 errors, 0 lost answers, p95 under 200 ms.

What runs: a scratch PostgreSQL database with the demo data and 200 external raters invited
in the open demo round; gunicorn with several workers and the production settings as
behind a TLS-terminating proxy (DEBUG off, secure cookies); 200 rater threads that each open their
questionnaire (the real page, for the CSRF cookie and the items) and then save one answer at a
time through the same htmx endpoint the browser uses, with a think time of 1-3 s between
answers as a person reading the next question has. At the end every rater's last answer per
item is compared with the database: an answer that is missing or different is lost.

    python bench/answer_load.py [--raters 200] [--seconds 120] [--workers 4]

The baseline beside it is the same load with one gunicorn worker, so the table shows what the
workers buy. Needs PostgreSQL on 127.0.0.1:5432 (trust authentication).
"""

import argparse
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

import psycopg
import requests
from _server import ROOT, children, production_env, rss_mb, run_threads

PYTHON = sys.executable
DB_NAME = "vakwerk_answer_load"
DB_URL = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"
PORT = 8765
ITEM = re.compile(r'name="(item-\d+)" value="(\d)"')
TARGET_P95_MS = 200.0

SETUP = """
from vakwerk.assessments import services
from vakwerk.assessments.models import Round, RoundStatus
from vakwerk.audit.services import Actor
round_ = Round.objects.get(organisation__slug="voorbeeld", status=RoundStatus.OPEN)
subjects = list(round_.subjects.order_by("pk")[:{raters}])
tokens = []
for index in range({raters}):
    subject = subjects[index % len(subjects)]
    _, token = services.external_invite(
        subject=subject, actor=Actor(user=None), name=f"Bench {{index}}",
        email=f"bench{{index}}@example.nl", relation="load test")
    tokens.append(token)
print("TOKENS", " ".join(tokens))
"""

CHECK = """
import json, sys
from vakwerk.assessments.models import Answer
from vakwerk.assessments.services import invitation_by_token
expected = json.load(open("{path}"))
lost = 0
for token, answers in expected.items():
    invitation = invitation_by_token(token)
    stored = dict(Answer.objects.filter(invitation=invitation).values_list("indicator_id", "value"))
    for item, value in answers.items():
        if stored.get(int(item)) != value:
            lost += 1
print("LOST", lost)
"""


# The production settings, as they run behind a TLS-terminating reverse proxy: DEBUG off,
# secure cookies, and the proxy's X-Forwarded-Proto header trusted. The raters send that header
# themselves and carry their cookies by hand (a client does not send Secure cookies over http).
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}
SERVER_ENV = production_env("bench-", "vakwerk.settings")


def env() -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": DB_URL,
        **SERVER_ENV,
        "PYTHONPATH": str(ROOT / "src"),
    }


def manage(*args: str) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env(),
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def recreate_database() -> None:
    with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as db:
        db.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        db.execute(f"CREATE DATABASE {DB_NAME}")


def drop_database() -> None:
    with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as db:
        db.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    expected: dict[str, dict[str, int]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def rater(token: str, stop_at: float, result: Result, seed: int) -> None:
    rng = random.Random(seed)
    session = requests.Session()
    session.headers.update(PROXY_HEADERS)
    base = f"http://127.0.0.1:{PORT}/vragenlijsten/extern/{token}/"
    try:
        page = session.get(base, timeout=30)
    except requests.RequestException as error:
        with result.lock:
            result.errors.append(f"page {type(error).__name__}")
        return
    if page.status_code != 200:
        with result.lock:
            result.errors.append(f"page {page.status_code}")
        return
    items = sorted({name for name, _ in ITEM.findall(page.text)})
    if not items:
        with result.lock:
            result.errors.append(f"no questions on the page ({page.status_code} {page.url})")
        return
    csrf = page.cookies.get("csrftoken", "")
    mine: dict[str, int] = {}
    while time.monotonic() < stop_at and items:
        time.sleep(rng.uniform(1.0, 3.0))
        name = rng.choice(items)
        value = rng.randint(0, 4)
        started = time.perf_counter()
        try:
            response = session.post(
                base + "antwoord/",
                data={name: str(value)},
                headers={
                    "HX-Request": "true",
                    "X-CSRFToken": csrf,
                    "Cookie": f"csrftoken={csrf}",
                    "Referer": base.replace("http://", "https://"),
                },
                timeout=30,
            )
            ok = response.status_code == 200
            problem = f"save {response.status_code}"
        except requests.RequestException as error:
            ok, problem = False, type(error).__name__
        elapsed = (time.perf_counter() - started) * 1000
        with result.lock:
            result.latencies.append(elapsed)
            if ok:
                mine[name.removeprefix("item-")] = value
            else:
                result.errors.append(problem)
    with result.lock:
        result.expected[token] = mine


def worker_memory_mb(master: int) -> list[float]:
    return [rss for pid in children(master) if (rss := rss_mb(pid)) is not None]


def run(tokens: list[str], workers: int, seconds: int) -> dict[str, float]:
    server = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "gunicorn",
            "vakwerk.wsgi",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{PORT}",
            "--timeout",
            "60",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env(),
    )
    try:
        for _ in range(100):
            try:
                requests.get(f"http://127.0.0.1:{PORT}/privacy", timeout=2)
                break
            except requests.RequestException:
                time.sleep(0.3)
        result = Result()
        stop_at = time.monotonic() + seconds
        threads = [
            threading.Thread(target=rater, args=(token, stop_at, result, index), daemon=True)
            for index, token in enumerate(tokens)
        ]
        duration = run_threads(threads)
        memory = worker_memory_mb(server.pid)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    expected_path = ROOT / "var" / "answer_load_expected.json"
    expected_path.parent.mkdir(exist_ok=True)
    import json

    expected_path.write_text(json.dumps(result.expected))
    lost = int(manage("shell", "-c", CHECK.format(path=expected_path)).split("LOST")[1])
    expected_path.unlink()
    latencies = sorted(result.latencies)
    return {
        "requests": len(latencies),
        "throughput": len(latencies) / duration,
        "p50": statistics.median(latencies) if latencies else 0.0,
        "p95": latencies[int(0.95 * (len(latencies) - 1))] if latencies else float("inf"),
        "p99": latencies[int(0.99 * (len(latencies) - 1))] if latencies else 0.0,
        "errors": len(result.errors),
        "lost": lost,
        "memory": max(memory) if memory else 0.0,
        "problems": result.errors[:20],  # type: ignore[dict-item]
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raters", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    print(f"Setting up {DB_NAME} with the demo data and {args.raters} external raters ...")
    recreate_database()
    try:
        manage("migrate", "--no-input", "-v", "0")
        manage("createcachetable")
        manage("seed_demo")
        manage("collectstatic", "--no-input", "-v", "0")
        tokens = manage("shell", "-c", SETUP.format(raters=args.raters)).split("TOKENS")[1].split()
        rows = {}
        for label, workers in (
            ("1 worker (baseline)", 1),
            (f"{args.workers} workers", args.workers),
        ):
            print(f"Running {args.raters} raters for {args.seconds} s against {label} ...")
            rows[label] = run(tokens, workers, args.seconds)
    finally:
        drop_database()
    print()
    for label, row in rows.items():
        for problem in sorted(set(row.pop("problems", []))):  # type: ignore[arg-type]
            print(f"{label}: {problem}")
    print(f"{'':26}" + "".join(f"{label:>24}" for label in rows))
    for key, unit in (
        ("requests", ""),
        ("throughput", " req/s"),
        ("p50", " ms"),
        ("p95", " ms"),
        ("p99", " ms"),
        ("errors", ""),
        ("lost", ""),
        ("memory", " MB/worker"),
    ):
        cells = "".join(f"{rows[label][key]:>24.1f}" for label in rows)
        print(f"{key + unit:26}{cells}")
    main_row = rows[f"{args.workers} workers"]
    verdict = {
        "0 errors": main_row["errors"] == 0,
        "0 lost answers": main_row["lost"] == 0,
        f"p95 < {TARGET_P95_MS:.0f} ms": main_row["p95"] < TARGET_P95_MS,
    }
    print(
        f"SUMMARY answer_load {args.raters} raters x {args.seconds} s, {args.workers} workers: "
        f"{main_row['requests']:.0f} saves, {main_row['throughput']:.1f} req/s, "
        f"p95 {main_row['p95']:.0f} ms, errors {main_row['errors']:.0f}, "
        f"lost {main_row['lost']:.0f}, {main_row['memory']:.0f} MB per worker; "
        + "; ".join(f"{name}: {'met' if ok else 'not met'}" for name, ok in verdict.items())
    )


if __name__ == "__main__":
    main()

"""Benchmark of the insight pages on PostgreSQL: the team view, the organisation view and a
personal report, over an organisation of 20,000 employees with three measured rounds.

Run ``python bench/insights.py`` (``make bench`` runs it too); ``--employees 2000`` for a quick
look, ``--explain`` to also print EXPLAIN ANALYZE of each page's slowest statement. It needs
PostgreSQL: a scratch database ``vakwerk_bench_insights`` is created and dropped on the server
of ``BENCH_POSTGRES_URL`` (default ``postgres://postgres@127.0.0.1:5432/postgres``), and the
set-up and the measuring run in a subprocess with ``DATABASE_URL`` pointing at it, with the
production settings (DEBUG off, compressed static files with a manifest).

The organisation: 20 departments of teams of 15-25 people, each team led by one of its members
(the manager of the others; the leaders of a department report to its first team's leader),
everyone on one of the eight shipped role profiles. Three closed rounds (12, 6 and 1 months
ago) on the seven competencies of the shipped framework, each with a finished estimate run,
one subject per person, a self, a manager and four colleague invitations per subject (90 % of
colleagues completed), and one estimate per person, competency and round. Only the person whose
report is measured has answers and comments (the pages read them for one person at a time).

What is measured, in-process with Django's test client after two warm-up requests: the median
server time of 15 requests of the team view (as the leader of a typical team), the organisation
view (as HR, grouped by department) and a personal report (the same leader opening one of their
team). Next to it, the SQL floor: the statements one request of the page runs, captured with
their parameters and replayed through a raw cursor (in a transaction that is rolled back, so
the page's audit lines are not written twice), median of 15 replays of the whole set. As a
reference without targets, a static page (the accessibility statement) for the same leader is
measured the same way: what any page of this stack costs before it reads or shows a result.

Targets (issue): median under 300 ms per page, and at most 2 x its SQL floor. An unmet target is
reported as "not met"; the script exits non-zero only when it crashes.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from _scratch import PostgresUnavailableError, run_child, scratch_database

if TYPE_CHECKING:
    from django.test import Client

    from vakwerk.accounts.models import User
    from vakwerk.assessments.models import Round
    from vakwerk.frameworks.models import FrameworkVersion
    from vakwerk.measurement.models import EstimateRun
    from vakwerk.organisations.models import Organisation

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "vakwerk_bench_insights"
EMPLOYEES = 20_000
DEPARTMENTS = 20
TEAM_SIZES = (15, 25)
MONTHS_AGO = (12, 6, 1)
PEERS = 4
REQUESTS = 15
WARM_UP = 2
TARGET_MS = 300.0
TARGET_RATIO = 2.0
HOST = "127.0.0.1"
PAGES = ("team view", "organisation view", "personal report")
REFERENCE = "a static page"
"""Measured like the pages, without targets: the accessibility statement, as the same logged-in
leader, is what any page costs in this stack (middleware, session, login, organisation, the
base template) before it reads or shows a result."""
TRANSACTION_CONTROL = frozenset({"BEGIN", "COMMIT", "ROLLBACK"})
CHILD_ENV = {
    "VAKWERK_DEBUG": "false",
    "VAKWERK_SECRET_KEY": "bench-insights-" + "x" * 60,
    "VAKWERK_ALLOWED_HOSTS": HOST,
    "VAKWERK_LOG_LEVEL": "WARNING",
}
FIRST = ["Anna", "Bram", "Chloë", "Daan", "Emma", "Fatima", "Gijs", "Hanna", "Ilse", "Joris",
         "Kees", "Lotte", "Mohamed", "Noor", "Özlem", "Pieter", "Roos", "Sem", "Tess",
         "Yusuf"]  # fmt: skip
LAST = ["Jansen", "de Vries", "van den Berg", "Bakker", "Visser", "Smit", "Meijer", "de Boer",
        "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen", "Dekker",
        "Brouwer", "de Wit", "Dijkstra", "Çelik"]  # fmt: skip
STARTED = time.perf_counter()


def progress(message: str) -> None:
    """Set-up progress, on standard error (standard output carries the child's result)."""
    print(f"  [{time.perf_counter() - STARTED:6.1f} s] {message}", file=sys.stderr, flush=True)


# --- the organisation -----------------------------------------------------------------------


@dataclass
class Scene:
    """What the measuring part needs from the set-up."""

    leader: User
    hr: User
    person_id: int
    team_size: int
    teams: int
    estimates: int


def _framework(organisation: Organisation) -> FrameworkVersion:
    """The shipped framework plus core values, adopted and published, with its eight role
    profiles (as the ``framework_version`` test fixture does)."""
    from vakwerk.audit.services import Actor
    from vakwerk.frameworks import services
    from vakwerk.frameworks.content import shipped_pack

    actor = Actor(user=None)
    framework_pack = shipped_pack("ambtelijk-vakmanschap-3.0")
    values_pack = shipped_pack("kernwaarden-modelgedragscode")
    assert framework_pack is not None
    assert values_pack is not None
    framework = services.framework_adopt_pack(
        organisation=organisation, actor=actor, pack=framework_pack
    )
    version = framework.versions.get()
    services.framework_add_pack(version=version, actor=actor, pack=values_pack)
    services.framework_publish(version=version, actor=actor)
    version.refresh_from_db()
    return version


def _people(organisation: Organisation, employees: int, seed: int) -> tuple[list[int], int]:
    """Departments, teams and employees with their managers. Returns the typical team as
    [leader id, member ids...], and the number of teams."""
    import numpy as np

    from vakwerk.frameworks.models import RoleProfile
    from vakwerk.people.models import Department, Employee, Team

    rng = np.random.default_rng(seed)
    profiles = {p.code: p for p in RoleProfile.objects.filter(organisation=organisation)}
    leader_profile = profiles.pop("teamleider")
    member_profiles = list(profiles.values())
    departments = Department.objects.bulk_create(
        Department(organisation=organisation, name=f"Afdeling {n + 1:02d}")
        for n in range(DEPARTMENTS)
    )
    sizes: list[int] = []
    while sum(sizes) < employees:
        sizes.append(
            min(int(rng.integers(TEAM_SIZES[0], TEAM_SIZES[1] + 1)), employees - sum(sizes))
        )
    teams = Team.objects.bulk_create(
        (
            Team(
                organisation=organisation,
                department=departments[n % DEPARTMENTS],
                name=f"Team {n + 1:04d}",
            )
            for n in range(len(sizes))
        ),
        batch_size=1000,
    )
    number = 0

    def person(team: Team, manager: Employee | None, leads: bool) -> Employee:
        nonlocal number
        number += 1
        return Employee(
            organisation=organisation,
            employee_number=str(100_000 + number),
            first_name=FIRST[number % len(FIRST)],
            last_name=LAST[(number * 7) % len(LAST)],
            email=f"m{100_000 + number}@gemeente.example",
            job_title="Teamleider" if leads else "Medewerker",
            team=team,
            manager=manager,
            role_profile=(
                leader_profile
                if leads
                else member_profiles[int(rng.integers(len(member_profiles)))]
            ),
        )

    # Heads of department first (each leads its department's first team), then the other
    # leaders reporting to them, then everyone else reporting to their team's leader.
    heads = Employee.objects.bulk_create(
        person(teams[n], None, True) for n in range(min(DEPARTMENTS, len(teams)))
    )
    others = Employee.objects.bulk_create(
        (person(teams[n], heads[n % DEPARTMENTS], True) for n in range(len(heads), len(teams))),
        batch_size=2000,
    )
    leaders = heads + others
    for team, leader in zip(teams, leaders, strict=True):
        team.leader = leader
    Team.objects.bulk_update(teams, ["leader"], batch_size=1000)
    for department, head in zip(departments, heads, strict=False):
        department.head = head
    Department.objects.bulk_update(departments, ["head"])
    members: dict[int, list[int]] = {}
    batch: list[Employee] = []
    for team, leader, size in zip(teams, leaders, sizes, strict=True):
        batch.extend(person(team, leader, False) for _ in range(size - 1))
        if len(batch) >= 4000 or team is teams[-1]:
            for employee in Employee.objects.bulk_create(batch):
                members.setdefault(employee.team_id or 0, []).append(employee.pk)
            batch = []
    # The typical team: not led by a head of department, of the median size.
    median = sorted(sizes)[len(sizes) // 2]
    typical = next((n for n in range(len(heads), len(teams)) if sizes[n] == median), 0)
    return [leaders[typical].pk, *members.get(teams[typical].pk, [])], len(teams)


def _rounds(
    organisation: Organisation, version: FrameworkVersion, codes: list[str]
) -> list[tuple[Round, EstimateRun]]:
    """Three closed rounds (12, 6 and 1 months ago), each with a finished estimate run."""
    from django.utils import timezone

    from vakwerk.assessments.models import Round, RoundStatus
    from vakwerk.measurement.models import EstimateRun, RunStatus

    now = timezone.now()
    found = []
    for months in MONTHS_AGO:
        closed_at = now - timedelta(days=round(months * 30.44))
        round_ = Round.objects.create(
            organisation=organisation,
            name=f"Meting {closed_at:%m-%Y}",
            version=version,
            competency_codes=codes,
            opens_on=(closed_at - timedelta(days=21)).date(),
            closes_on=closed_at.date(),
            anonymity_threshold=organisation.anonymity_threshold,
            use_external=False,
            status=RoundStatus.CLOSED,
            opened_at=closed_at - timedelta(days=21),
            closed_at=closed_at,
        )
        run = EstimateRun.objects.create(
            organisation=organisation,
            round=round_,
            status=RunStatus.DONE,
            progress=100,
            started_at=closed_at,
            finished_at=closed_at + timedelta(minutes=3),
            engine_version="bench",
            calibration=_calibration(codes, version.levels.count()),
        )
        found.append((round_, run))
    return found


def _calibration(codes: list[str], top: int) -> dict[str, Any]:
    """What a finished run keeps per competency (``measurement.calibration``), shaped like
    the engine's: twelve calibrated SJT items and the level scale. The thresholds put level k
    at z = (k - 2.4) / 0.8, the map ``_estimates`` uses (level = 2.4 + 0.8 z)."""
    items = {
        f"SJT-{n:02d}": {"a": 1.1, "c": [-1.2, -0.1, 0.9], "scores": [0, 1, 2, 3]}
        for n in range(1, 13)
    }
    thresholds = [(k - 2.4) / 0.8 for k in range(1, top + 1)]
    return {
        code: {"items": items, "specific_var": 0.12, "level_thresholds": thresholds}
        for code in codes
    }


def _closed_at(round_: Round) -> datetime:
    assert round_.closed_at is not None
    return round_.closed_at


def _subjects_and_invitations(
    organisation: Organisation, rounds: list[tuple[Round, EstimateRun]]
) -> int:
    """One subject per person and round; a self, a manager and four colleague invitations per
    subject (colleagues from the same team, never the manager), set-based in SQL."""
    from django.db import connection

    from vakwerk.assessments.models import Invitation, Subject
    from vakwerk.people.models import Employee

    subject, invitation, employee = (
        Subject._meta.db_table,
        Invitation._meta.db_table,
        Employee._meta.db_table,
    )
    columns = (
        "subject_id, source, rater_id, external_name, external_email, external_role, "
        "token_hash, status, started_at, completed_at, created_at"
    )
    with connection.cursor() as cursor:
        for round_, _run in rounds:
            when = _closed_at(round_) - timedelta(days=7)
            cursor.execute(
                f"INSERT INTO {subject} (round_id, employee_id, competency_codes) "  # noqa: S608
                f"SELECT %s, id, %s::jsonb FROM {employee} WHERE organisation_id = %s "
                "ORDER BY id",
                [round_.pk, json.dumps(round_.competency_codes), organisation.pk],
            )
            cursor.execute(
                f"INSERT INTO {invitation} ({columns}) "  # noqa: S608
                f"SELECT s.id, 'self', s.employee_id, '', '', '', '', 'completed', %s, %s, %s "
                f"FROM {subject} s WHERE s.round_id = %s",
                [when, when, when, round_.pk],
            )
            cursor.execute(
                f"INSERT INTO {invitation} ({columns}) "  # noqa: S608
                f"SELECT s.id, 'manager', e.manager_id, '', '', '', '', 'completed', %s, %s, %s "
                f"FROM {subject} s JOIN {employee} e ON e.id = s.employee_id "
                "WHERE s.round_id = %s AND e.manager_id IS NOT NULL",
                [when, when, when, round_.pk],
            )
            cursor.execute(
                f"INSERT INTO {invitation} ({columns}) "  # noqa: S608
                "SELECT subject_id, 'peer', rater_id, '', '', '', '', "
                "CASE WHEN done THEN 'completed' ELSE 'open' END, %s, "
                "CASE WHEN done THEN %s::timestamptz END, %s FROM ("
                "  SELECT s.id AS subject_id, p.id AS rater_id, random() < 0.9 AS done,"
                "  row_number() OVER ("
                "    PARTITION BY s.id ORDER BY md5(s.id::text || '-' || p.id::text)) AS n"
                f"  FROM {subject} s JOIN {employee} e ON e.id = s.employee_id"
                f"  JOIN {employee} p ON p.team_id = e.team_id AND p.id <> e.id"
                "   AND p.id IS DISTINCT FROM e.manager_id"
                "  WHERE s.round_id = %s"
                ") AS chosen WHERE n <= %s",
                [when, when, when, round_.pk, PEERS],
            )
        cursor.execute(f"SELECT count(*) FROM {invitation}")  # noqa: S608
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def _estimates(
    organisation: Organisation,
    version: FrameworkVersion,
    rounds: list[tuple[Round, EstimateRun]],
    codes: list[str],
    seed: int,
) -> int:
    """One estimate per person, competency and round, written with COPY. A level is a person's
    general level, a competency effect, growth of 0.1 per round and noise (about N(2.3, 0.8)
    in all), on the 0-4 scale with a 90 % interval of about +-0.5; the self view rates a little
    higher than the others, from which the agreement class follows."""
    import numpy as np
    from django.db import connection

    from vakwerk.measurement.models import AgreementClass, Estimate
    from vakwerk.people.models import Employee

    rng = np.random.default_rng(seed + 1)
    ids = np.array(
        Employee.objects.filter(organisation=organisation)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    person = rng.normal(0.0, 0.6, size=len(ids))
    effect = rng.normal(0.0, 0.15, size=len(codes))
    columns = (
        "run_id, round_id, organisation_id, employee_id, version_id, competency_code, estimate, "
        "sd, lower90, upper90, level, level_lower, level_upper, agreement, views, n_self, "
        "n_manager, n_peer, n_external, n_sjt, n_practice, computed_at, engine_version"
    )
    written = 0
    for index, (round_, run) in enumerate(rounds):
        shape = (len(ids), len(codes))
        level = np.clip(
            2.3 + 0.1 * index + person[:, None] + effect[None, :] + rng.normal(0, 0.5, shape),
            0,
            4,
        )
        half = 0.5 * rng.uniform(0.8, 1.2, shape)
        own = np.clip(level + rng.normal(0.15, 0.5, shape), 0, 4)
        others = np.clip(level + rng.normal(0.0, 0.1, shape), 0, 4)
        stamp = (_closed_at(round_) + timedelta(minutes=3)).isoformat()
        fixed = f"{run.pk}\t{round_.pk}\t{organisation.pk}"
        lines: list[str] = []
        for i, employee_id in enumerate(ids.tolist()):
            for j, code in enumerate(codes):
                value = float(level[i, j])
                z = (value - 2.4) / 0.8
                sd = float(half[i, j]) / 0.8 / 1.645
                self_level, others_level = float(own[i, j]), float(others[i, j])
                if self_level - others_level > 0.5:
                    agreement = AgreementClass.OVERESTIMATES
                elif others_level - self_level > 0.5:
                    agreement = AgreementClass.UNDERESTIMATES
                elif value >= 2.5:
                    agreement = AgreementClass.AGREES_HIGH
                else:
                    agreement = AgreementClass.AGREES_LOW
                views = json.dumps(
                    {
                        "self": {
                            "estimate": round((self_level - 2.4) / 0.8, 3),
                            "sd": 0.6,
                            "level": round(self_level, 3),
                            "raters": 1,
                        },
                        "others": {
                            "estimate": round((others_level - 2.4) / 0.8, 3),
                            "sd": round(sd * 1.2, 3),
                            "level": round(others_level, 3),
                            "raters": PEERS,
                        },
                    }
                )
                lines.append(
                    f"{fixed}\t{employee_id}\t{version.pk}\t{code}\t{z:.4f}\t{sd:.4f}\t"
                    f"{z - 1.645 * sd:.4f}\t{z + 1.645 * sd:.4f}\t{value:.4f}\t"
                    f"{max(value - half[i, j], 0):.4f}\t{min(value + half[i, j], 4):.4f}\t"
                    f"{agreement.value}\t{views}\t5\t5\t15\t0\t3\t0\t{stamp}\tbench\n"
                )
        with (
            connection.cursor() as cursor,
            cursor.copy(f"COPY {Estimate._meta.db_table} ({columns}) FROM STDIN") as copy,
        ):
            for start in range(0, len(lines), 10_000):
                copy.write("".join(lines[start : start + 10_000]))
        written += len(lines)
        progress(f"round {index + 1} of {len(rounds)}: {len(lines):,} estimates")
    return written


def _answers_for(person_id: int, round_: Round, codes: list[str], seed: int) -> None:
    """Answers of every completed rater, and comments, about the measured person in the newest
    round (their report shows the distributions and the comments of visible groups)."""
    import numpy as np

    from vakwerk.assessments.models import (
        Answer,
        Comment,
        Invitation,
        InvitationStatus,
        Source,
        Subject,
    )
    from vakwerk.frameworks.models import Indicator

    rng = np.random.default_rng(seed + 2)
    subject = Subject.objects.get(round=round_, employee_id=person_id)
    subject.invitations.filter(source=Source.PEER).update(
        status=InvitationStatus.COMPLETED, completed_at=round_.closed_at
    )
    indicators = list(
        Indicator.objects.filter(competency__version=round_.version, competency__code__in=codes)
    )
    invitations = list(Invitation.objects.filter(subject=subject))
    Answer.objects.bulk_create(
        Answer(
            invitation=invitation,
            indicator=indicator,
            value=None if rng.random() < 0.05 else int(rng.integers(1, 5)),
        )
        for invitation in invitations
        for indicator in indicators
    )
    Comment.objects.bulk_create(
        Comment(
            invitation=invitation,
            competency_code=code,
            text=f"Over {code}: een concreet voorbeeld uit het werk van de afgelopen maanden.",
        )
        for invitation in invitations
        if invitation.source in (Source.PEER, Source.MANAGER)
        for code in codes[:3]
    )


def _viewers(organisation: Organisation, leader_id: int) -> tuple[User, User]:
    """The typical team's leader (employee and manager) and an HR adviser enrolled in TOTP
    (HR must have an authenticator before any page opens: ``RequireMfaMiddleware``)."""
    from vakwerk.accounts.models import User
    from vakwerk.accounts.services import totp_enrol
    from vakwerk.organisations.models import Membership
    from vakwerk.people.models import Employee

    leader = User.objects.create_user("leider@gemeente.example")
    Membership.objects.create(
        user=leader, organisation=organisation, is_employee=True, is_manager=True
    )
    Employee.objects.filter(pk=leader_id).update(user=leader)
    hr = User.objects.create_user("hr@gemeente.example")
    Membership.objects.create(user=hr, organisation=organisation, is_employee=False, is_hr=True)
    totp_enrol(user=hr, secret=base64.b32encode(os.urandom(20)).decode())
    return leader, hr


def populate(employees: int, seed: int = 2026) -> Scene:
    from django.db import connection

    from vakwerk.frameworks.models import RoleTarget
    from vakwerk.organisations.models import ManagerVisibility, Organisation

    organisation = Organisation.objects.create(
        slug="bench",
        name="Gemeente Bench",
        anonymity_threshold=3,
        manager_visibility=ManagerVisibility.YES,
    )
    version = _framework(organisation)
    targeted = set(
        RoleTarget.objects.filter(profile__organisation=organisation).values_list(
            "competency_code", flat=True
        )
    )
    codes = [
        c.code for c in version.competencies.order_by("position", "code") if c.code in targeted
    ][:7]
    progress(f"framework published: {len(codes)} competencies measured ({', '.join(codes)})")
    team, teams = _people(organisation, employees, seed)
    progress(f"{employees:,} employees in {teams:,} teams and {DEPARTMENTS} departments")
    rounds = _rounds(organisation, version, codes)
    invitations = _subjects_and_invitations(organisation, rounds)
    progress(f"{len(rounds)} closed rounds: {employees * len(rounds):,} subjects, "
             f"{invitations:,} invitations")  # fmt: skip
    estimates = _estimates(organisation, version, rounds, codes, seed)
    _answers_for(team[1], rounds[-1][0], codes, seed)
    leader, hr = _viewers(organisation, team[0])
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    progress("VACUUM ANALYZE done")
    return Scene(leader, hr, team[1], len(team) - 1, teams, estimates)


# --- measuring ------------------------------------------------------------------------------

Statement = tuple[str, Any, bool]  # sql, params, executemany


def _get(client: Client, url: str) -> float:
    """One request; its server time in ms. Anything but a 200 is a broken benchmark."""
    start = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - start) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}")
    return elapsed


def _capture(client: Client, url: str) -> tuple[list[Statement], list[str], int]:
    """The statements one request runs, with their parameters (to replay them) and as sent
    (to show them), and the number of transactions it committed. Django logs BEGIN, COMMIT
    and ROLLBACK among the queries too; they are not statements of the page's own."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    statements: list[Statement] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append((sql, params, many))
        return execute(sql, params, many, context)

    with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(record):
        _get(client, url)
    logged = [query["sql"] for query in captured.captured_queries]
    shown = [sql for sql in logged if sql not in TRANSACTION_CONTROL]
    assert len(shown) == len(statements), (len(shown), len(statements))
    return statements, shown, logged.count("COMMIT")


def _replay(statements: list[Statement]) -> tuple[float, list[float]]:
    """Run the statements once through a raw cursor, fetching every row, inside a transaction
    that is rolled back; the time of the whole set and of each statement, in ms."""
    from django.db import connection, transaction

    each: list[float] = []
    with transaction.atomic():
        raw = connection.connection
        assert raw is not None
        with raw.cursor() as cursor:
            start = time.perf_counter()
            for sql, params, many in statements:
                begin = time.perf_counter()
                if many:
                    cursor.executemany(sql, params)
                else:
                    cursor.execute(sql, params)
                if cursor.description is not None:
                    cursor.fetchall()
                each.append((time.perf_counter() - begin) * 1000)
            total = (time.perf_counter() - start) * 1000
        transaction.set_rollback(True)
    return total, each


def _explain(statement: Statement) -> str:
    from django.db import connection, transaction

    sql, params, _many = statement
    with transaction.atomic():
        raw = connection.connection
        assert raw is not None
        with raw.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
            plan = "\n".join(str(row[0]) for row in cursor.fetchall())
        transaction.set_rollback(True)
    return plan


def measure(client: Client, url: str, requests: int, explain: bool) -> dict[str, Any]:
    for _ in range(WARM_UP):
        _get(client, url)
    page = [_get(client, url) for _ in range(requests)]
    statements, shown, commits = _capture(client, url)
    _replay(statements)  # warm, like the page
    replays = [_replay(statements) for _ in range(requests)]
    per_statement = [statistics.median(run[1][i] for run in replays) for i in range(len(shown))]
    order = sorted(range(len(shown)), key=lambda i: -per_statement[i])
    slowest = order[0] if order else None
    return {
        "url": url,
        "queries": len(statements),
        "commits": commits,
        "page_ms": statistics.median(page),
        "page_ms_min": min(page),
        "page_ms_max": max(page),
        "floor_ms": statistics.median(run[0] for run in replays),
        "top": [{"ms": per_statement[i], "sql": shown[i]} for i in order[:5]],
        "explain": _explain(statements[slowest]) if explain and slowest is not None else "",
    }


def child(employees: int, requests: int, explain: bool) -> None:
    """Runs inside a subprocess whose DATABASE_URL points at an empty scratch database."""
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vakwerk.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings
    from django.urls import reverse

    assert connection.vendor == "postgresql", connection.vendor
    assert not settings.DEBUG
    # Static files collected into a folder of our own, not the working tree's var/static.
    with tempfile.TemporaryDirectory() as static, override_settings(STATIC_ROOT=static):
        progress("migrate, cache table and static files")
        call_command("migrate", verbosity=0)
        call_command("createcachetable", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        scene = populate(employees)
        leader = Client(HTTP_HOST=HOST)
        leader.force_login(scene.leader)
        hr = Client(HTTP_HOST=HOST)
        hr.force_login(scene.hr)
        pages = {
            "team view": (leader, reverse("insights:team")),
            "organisation view": (hr, reverse("insights:organisation")),
            "personal report": (
                leader,
                reverse("insights:person", kwargs={"employee_id": scene.person_id}),
            ),
            REFERENCE: (leader, reverse("shell:accessibility")),
        }
        results = {}
        for name, (client, url) in pages.items():
            progress(f"measuring the {name} ({url}): {WARM_UP} + {requests} requests")
            results[name] = measure(client, url, requests, explain)
    print(
        json.dumps(
            {
                "employees": employees,
                "teams": scene.teams,
                "team_size": scene.team_size,
                "estimates": scene.estimates,
                "requests": requests,
                "pages": results,
            }
        )
    )


# --- the report -----------------------------------------------------------------------------


def _short(sql: str, width: int = 220) -> str:
    flat = " ".join(sql.split())
    return flat if len(flat) <= width else flat[: width - 3] + "..."


def report(result: dict[str, Any]) -> None:
    pages = result["pages"]
    print()
    print(
        f"{result['employees']:,} employees, {result['teams']:,} teams, "
        f"{result['estimates']:,} estimates in {len(MONTHS_AGO)} rounds; team view over "
        f"{result['team_size']} "
        f"people; median of {result['requests']} requests after {WARM_UP} warm-up"
    )
    header = (
        f"{'page':<19}{'queries':>8}{'page ms':>10}{'SQL floor ms':>14}{'ratio':>7}"
        f"{'<300 ms':>10}{'<=2x floor':>12}"
    )
    print(header)
    print("-" * len(header))
    for name in (*PAGES, REFERENCE):
        page = pages[name]
        ratio = page["page_ms"] / page["floor_ms"] if page["floor_ms"] else float("inf")
        fast = "met" if page["page_ms"] < TARGET_MS else "not met"
        lean = "met" if ratio <= TARGET_RATIO else "not met"
        if name == REFERENCE:
            fast = lean = "-"
        print(
            f"{name:<19}{page['queries']:>8}{page['page_ms']:>10.1f}{page['floor_ms']:>14.1f}"
            f"{ratio:>7.1f}{fast:>10}{lean:>12}"
        )
    reference = pages[REFERENCE]
    print(
        f"({REFERENCE}: the accessibility statement for the same leader, no targets; what any "
        "page costs in this stack before it reads or shows a result)"
    )
    for name in PAGES:
        page = pages[name]
        print()
        print(
            f"{name} ({page['url']}): page {page['page_ms_min']:.1f}-{page['page_ms_max']:.1f} "
            f"ms, {page['queries']} statements and {page['commits']} commits; "
            "slowest statements (median ms):"
        )
        for row in page["top"]:
            print(f"  {row['ms']:8.2f}  {_short(row['sql'])}")
        if page["explain"]:
            print("  EXPLAIN ANALYZE of the slowest:")
            for line in page["explain"].splitlines():
                print(f"    {line}")
    figures = []
    slow, heavy = [], []
    for name in PAGES:
        page = pages[name]
        ratio = page["page_ms"] / page["floor_ms"] if page["floor_ms"] else float("inf")
        figures.append(
            f"{name} {page['page_ms']:.0f} ms (SQL floor {page['floor_ms']:.0f} ms, "
            f"{ratio:.1f}x, {page['queries']} queries)"
        )
        if page["page_ms"] >= TARGET_MS:
            slow.append(name)
        if ratio > TARGET_RATIO:
            heavy.append(name)

    def verdict(failed: list[str]) -> str:
        return "met" if not failed else f"not met ({', '.join(failed)})"

    figures.append(
        f"{REFERENCE} {reference['page_ms']:.0f} ms (SQL floor {reference['floor_ms']:.1f} ms, "
        f"{reference['queries']} queries)"
    )
    print()
    print(
        f"SUMMARY insights: {result['employees']} employees, median of {result['requests']}: "
        f"{'; '.join(figures)}; target <{TARGET_MS:.0f} ms: {verdict(slow)}; "
        f"target <={TARGET_RATIO:.0f}x SQL floor: {verdict(heavy)}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=EMPLOYEES)
    parser.add_argument("--requests", type=int, default=REQUESTS)
    parser.add_argument(
        "--explain", action="store_true", help="print EXPLAIN ANALYZE of each slowest statement"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        child(options.employees, options.requests, options.explain)
        return 0
    arguments = ["--child", "--employees", str(options.employees)]
    arguments += ["--requests", str(options.requests)] + (["--explain"] if options.explain else [])
    try:
        with scratch_database(BENCH_DB) as database_url:
            print(f"Setting up {options.employees:,} employees in {BENCH_DB} ...", flush=True)
            result = run_child(
                Path(__file__), arguments, database_url, env=CHILD_ENV, show_progress=True
            )
    except PostgresUnavailableError as error:
        print(error)
        print(f"SUMMARY insights: not run ({error})")
        return 0
    report(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())

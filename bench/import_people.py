"""Benchmark of the people import: 20,000 rows, dry run and apply, on SQLite and PostgreSQL.

Run ``python bench/import_people.py`` (``make bench`` runs it too). It writes a realistic
20,000-row CSV (``;``, cp1252, Dutch headers, departments, teams and a manager hierarchy),
then, for each database in its own subprocess (Django reads DATABASE_URL once, at start):

* SQLite: a fresh file database in a temporary folder;
* PostgreSQL: a scratch database ``vakwerk_bench`` created and dropped here, on the server of
  ``BENCH_POSTGRES_URL`` (default ``postgres://postgres@127.0.0.1:5432/postgres``).

and times the dry run (read + check + plan), the apply (which reads and checks again inside
its transaction, then writes), and a re-import of the same file (dry run and apply, which must
change nothing). The target is under 10 s for each figure.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

from _scratch import PostgresUnavailableError, scratch_database
from _scratch import run_child as run_script

ROOT = Path(__file__).resolve().parent.parent
ROWS = 20_000
TARGET_SECONDS = 10.0
PHASES = ("dry run", "apply", "re-import dry run", "re-import apply")
BENCH_DB = "vakwerk_bench"

FIRST = ["Anna", "Bram", "Chloë", "Daan", "Emma", "Fatima", "Gijs", "Hanna", "Ilse", "Joris",
         "Kees", "Lotte", "Mohamed", "Noor", "Özlem", "Pieter", "Roos", "Sem", "Tess",
         "Yusuf"]  # fmt: skip
LAST = ["Jansen", "de Vries", "van den Berg", "Bakker", "Visser", "Smit", "Meijer", "de Boer",
        "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen", "Dekker",
        "Brouwer", "de Wit", "Dijkstra", "Çelik"]  # fmt: skip
PROFILES = ["baliemedewerker", "kcc", "beleidsadviseur", "vergunningverlener", "handhaver",
            "teamleider", "projectleider", "jurist"]  # fmt: skip


def write_csv(path: Path, rows: int = ROWS, seed: int = 7) -> None:
    """Departments of teams of 20-30; each team leader reports to a department head."""
    rng = random.Random(seed)
    header = ["Personeelsnummer", "Voornaam", "Achternaam", "E-mail", "Functie", "Afdeling",
              "Team", "Functieprofiel", "Leidinggevende", "Datum in dienst", "Datum uit dienst",
              "Kostenplaats"]  # fmt: skip
    lines = [";".join(header)]
    number = 0
    department = 0
    while number < rows:
        department += 1
        head = None
        for team in range(rng.randint(8, 14)):
            leader = None
            for _member in range(rng.randint(20, 30)):
                if number >= rows:
                    break
                number += 1
                own = f"{100000 + number}"
                manager = leader or head or ""
                if head is None:
                    head = own
                elif leader is None:
                    leader = own
                start = f"{rng.randint(1, 28)}-{rng.randint(1, 12)}-{rng.randint(1990, 2022)}"
                end = "31-12-2024" if rng.random() < 0.02 else ""
                lines.append(
                    ";".join(
                        [
                            own,
                            rng.choice(FIRST),
                            rng.choice(LAST),
                            f"m{own}@gemeente.example",
                            "Medewerker",
                            f"Afdeling {department}",
                            f"Team {department}.{team + 1}",
                            rng.choice(PROFILES),
                            manager,
                            start,
                            end,
                            f"KP{rng.randint(100, 999)}",
                        ]
                    )
                )
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))


def child(csv_path: Path) -> None:
    """Runs inside a subprocess whose DATABASE_URL points at an empty database."""
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vakwerk.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from vakwerk.audit.services import Actor
    from vakwerk.frameworks.models import RoleProfile
    from vakwerk.organisations.models import Organisation
    from vakwerk.people import importing
    from vakwerk.people.models import Employee

    organisation = Organisation.objects.create(slug="bench", name="Gemeente Bench")
    RoleProfile.objects.bulk_create(
        RoleProfile(organisation=organisation, code=code, name=code.title()) for code in PROFILES
    )
    data = csv_path.read_bytes()
    actor = Actor(user=None)
    times: dict[str, float] = {}
    counts: dict[str, dict[str, int]] = {}

    def timed(phase: str, dry_run: bool) -> None:
        start = time.perf_counter()
        if dry_run:
            plan = importing.people_import_dry_run(organisation=organisation, data=data)
        else:
            plan = importing.people_import_apply(organisation=organisation, actor=actor, data=data)
        times[phase] = time.perf_counter() - start
        assert plan.is_valid, plan.errors[:5]
        counts[phase] = plan.summary()

    timed("dry run", True)
    timed("apply", False)
    timed("re-import dry run", True)
    timed("re-import apply", False)
    assert Employee.objects.filter(organisation=organisation).count() == ROWS
    assert counts["re-import apply"]["unchanged"] == ROWS, counts["re-import apply"]
    print(json.dumps({"vendor": connection.vendor, "times": times, "counts": counts}))


def run_child(csv_path: Path, database_url: str) -> dict:
    return run_script(
        Path(__file__),
        ["--child", str(csv_path)],
        database_url,
        env={"VAKWERK_LOG_LEVEL": "WARNING"},
    )


def postgres(csv_path: Path) -> dict | str:
    try:
        with scratch_database(BENCH_DB) as database_url:
            return run_child(csv_path, database_url)
    except PostgresUnavailableError as error:
        return str(error)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        child(options.child)
        return 0
    with tempfile.TemporaryDirectory() as folder:
        csv_path = Path(folder) / "mensen.csv"
        write_csv(csv_path)
        size = csv_path.stat().st_size / 1024 / 1024
        print(f"{ROWS} rows, {size:.1f} MB CSV (cp1252, ';', Dutch headers)")
        results: dict[str, dict | str] = {
            "SQLite": run_child(csv_path, f"sqlite:///{Path(folder) / 'bench.sqlite3'}"),
            "PostgreSQL": postgres(csv_path),
        }
    print()
    print(f"{'phase':<20} {'SQLite':>10} {'PostgreSQL':>12}")
    for phase in PHASES:
        cells = []
        for name in ("SQLite", "PostgreSQL"):
            result = results[name]
            cells.append(f"{result['times'][phase]:.2f} s" if isinstance(result, dict) else "n/a")
        print(f"{phase:<20} {cells[0]:>10} {cells[1]:>12}")
    for name, result in results.items():
        if isinstance(result, str):
            print(f"{name}: {result}")
    first = next(r for r in results.values() if isinstance(r, dict))
    apply_counts = first["counts"]["apply"]
    print(
        f"apply: {apply_counts['creates']} created, {apply_counts['leavers']} leavers; "
        f"re-import: {first['counts']['re-import apply']['unchanged']} unchanged, "
        f"{first['counts']['re-import apply']['updates']} updated"
    )
    figures = []
    met = True
    for name, result in results.items():
        for phase in PHASES:
            if isinstance(result, dict):
                seconds = result["times"][phase]
                met = met and seconds < TARGET_SECONDS
                figures.append(f"{name} {phase} {seconds:.2f}s")
            else:
                met = False
                figures.append(f"{name} {phase} n/a")
    verdict = "met" if met else "not met"
    target = f"target <{TARGET_SECONDS:.0f}s: {verdict}"
    print(f"SUMMARY import_people {ROWS} rows: {'; '.join(figures)}; {target}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())

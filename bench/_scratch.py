"""Shared by the benchmarks: a scratch PostgreSQL database, and the measuring part of a
benchmark run in a subprocess against a given database.

Django reads ``DATABASE_URL`` once, at start, so each database a benchmark measures gets its
own Python process: the benchmark script runs itself again with its own child arguments, and
the child prints its result as JSON on the last line of its standard output.

The scratch database is created and dropped on the server of ``BENCH_POSTGRES_URL`` (default
``postgres://postgres@127.0.0.1:5432/postgres``); it is dropped again however the run ends.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"


class PostgresUnavailableError(Exception):
    """The PostgreSQL server of ``BENCH_POSTGRES_URL`` cannot be reached."""


def server_url() -> str:
    return os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES)


@contextmanager
def scratch_database(name: str) -> Iterator[str]:
    """Create the empty database ``name`` (dropping a leftover first), yield its URL, and drop
    it afterwards, also when the body fails. Raises ``PostgresUnavailableError`` when the server
    cannot be reached."""
    import psycopg

    base = server_url()
    try:
        admin = psycopg.connect(base.replace("postgres://", "postgresql://", 1), autocommit=True)
    except psycopg.OperationalError as error:
        raise PostgresUnavailableError(
            f"PostgreSQL not reachable: {error}".splitlines()[0]
        ) from error
    with admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {name}")
        try:
            yield base.rsplit("/", 1)[0] + f"/{name}"
        finally:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def run_child(
    script: Path,
    args: Sequence[str],
    database_url: str,
    *,
    env: Mapping[str, str] | None = None,
    show_progress: bool = False,
) -> Any:
    """Run ``script args`` with the same Python and ``DATABASE_URL`` set; return the JSON on
    the last line of its standard output.

    With ``show_progress`` the child's standard error goes straight to the terminal (where a
    child prints its progress); otherwise it is kept, and its end is the error of a failure.
    """
    result = subprocess.run(
        [sys.executable, str(script), *args],
        env={**os.environ, **(env or {}), "DATABASE_URL": database_url},
        stdout=subprocess.PIPE,
        stderr=None if show_progress else subprocess.PIPE,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        if show_progress:  # its traceback is already on the terminal
            raise RuntimeError(f"{script.name}: the child exited with {result.returncode}")
        raise RuntimeError(result.stderr[-3000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


def add_child_arguments(parser: argparse.ArgumentParser) -> None:
    """The hidden options by which a benchmark runs itself again as its child."""
    parser.add_argument("--child", choices=("setup", "check"), help=argparse.SUPPRESS)
    parser.add_argument("--expected", help=argparse.SUPPRESS)


def run_as_child(
    options: argparse.Namespace, setup: Callable[[], None], check: Callable[[str], None]
) -> bool:
    """In a child: run its part (``setup()``, or ``check(expected path)``) and return True; in
    the parent, False."""
    if options.child == "setup":
        setup()
        return True
    if options.child == "check":
        check(options.expected)
        return True
    return False


def run_setup(script: Path, args: Sequence[str], database_url: str, env: Mapping[str, str]) -> Any:
    """The child ``setup`` of ``script`` (its progress on the terminal); its JSON result."""
    return run_child(script, ["--child", "setup", *args], database_url, env=env, show_progress=True)


def run_check(
    script: Path, expected: Any, folder: Path, database_url: str, env: Mapping[str, str]
) -> Any:
    """The child ``check`` of ``script``, given ``expected`` (as JSON in ``folder``); its JSON
    result."""
    path = folder / "expected.json"
    path.write_text(json.dumps(expected))
    return run_child(script, ["--child", "check", "--expected", str(path)], database_url, env=env)


def badge_key() -> str:
    """A throwaway Ed25519 private key (PEM) for ``VAKWERK_BADGE_SIGNING_KEY``: with DEBUG off
    the system checks (run by gunicorn's entry point and by management commands) refuse to
    start without one (``badges.E001``). The benchmarks sign no badges."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return (
        Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )


if __name__ == "__main__":  # `make bench` runs every bench/*.py, this one too
    print("Shared helpers of the benchmarks: nothing to measure here.")

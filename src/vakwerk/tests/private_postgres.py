"""A private PostgreSQL cluster for tests that stop, restart or break the database.

The fault tests (``test_faults.py``) restart PostgreSQL under a running application. They must
never touch the machine's own server (another test run uses it at the same time), so they start
a cluster of their own: Debian's server binaries, a data directory in a temporary directory (in
memory, under /dev/shm, where there is one), a free TCP port on 127.0.0.1, trust
authentication, and no fsync (nothing here must survive a power cut). PostgreSQL refuses to run
as root; when the tests run as root, the server runs as the ``postgres`` system user.

``PrivatePostgres`` is a context manager: the cluster is stopped and its directory removed when
the block ends, also when it fails.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType

BINARIES = "/usr/lib/postgresql/*/bin"
SERVER_USER = "postgres"
SETTINGS = """
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = '{sockets}'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 60
shared_buffers = 32MB
log_min_messages = warning
"""


class PrivatePostgresError(RuntimeError):
    """The private cluster could not be set up, started or stopped."""


def binaries() -> Path:
    """The newest installed PostgreSQL server's bin directory (``initdb``, ``pg_ctl``)."""
    found = [Path(p) for p in glob.glob(BINARIES) if (Path(p) / "pg_ctl").exists()]
    if not found:
        raise PrivatePostgresError(
            f"The fault tests need PostgreSQL's server binaries (initdb, pg_ctl) in {BINARIES}: "
            "install Debian's postgresql package."
        )
    return max(found, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)


def scratch_parent() -> str | None:
    """Where the data directory goes: memory when the machine has /dev/shm (writing and
    removing some 100 MB of databases on a busy disk costs seconds), else the default."""
    shm = "/dev/shm"  # noqa: S108 (a private directory is made in it with mkdtemp)
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PrivatePostgres:
    """One throw-away cluster: ``url(name)`` for a database in it, ``restart()``, ``stop()``
    and ``start()`` for the faults."""

    def __init__(self) -> None:
        self.bin = binaries()
        self.root = Path(tempfile.mkdtemp(prefix="vakwerk-pg-", dir=scratch_parent()))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = free_port()
        self._as_root = os.geteuid() == 0

    # --- running the server's commands ---------------------------------------------------

    def _run(self, *command: str, timeout: float = 60) -> None:
        args = [str(self.bin / command[0]), *command[1:]]
        if self._as_root:
            args = ["runuser", "-u", SERVER_USER, "--", *args]
        result = subprocess.run(  # noqa: S603 (PostgreSQL's own tools, paths we built)
            args, cwd=self.root, capture_output=True, text=True, timeout=timeout, check=False
        )
        if result.returncode != 0:
            raise PrivatePostgresError(
                f"{' '.join(command[:2])} failed ({result.returncode}):\n{result.stdout}"
                f"{result.stderr}\n{self.server_log()}"
            )

    def server_log(self) -> str:
        try:
            return "server log:\n" + self.log.read_text()[-3000:]
        except OSError:
            return ""

    def _pg_ctl(self, action: str, *extra: str) -> None:
        self._run("pg_ctl", action, "-D", str(self.data), "-l", str(self.log), "-w", *extra)

    # --- the life cycle ---------------------------------------------------------------------

    def setup(self) -> None:
        """initdb and start."""
        if self._as_root:
            try:
                server_user = pwd.getpwnam(SERVER_USER)
            except KeyError as error:
                raise PrivatePostgresError(
                    f"Running as root, the fault tests start PostgreSQL as the {SERVER_USER!r} "
                    "system user, which does not exist."
                ) from error
            os.chown(self.root, server_user.pw_uid, server_user.pw_gid)
        self.root.chmod(0o700)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        conf = self.data / "postgresql.conf"
        with conf.open("a") as out:
            out.write(SETTINGS.format(port=self.port, sockets=self.root))
        for attempt in range(3):
            try:
                self.start()
                return
            except PrivatePostgresError:
                if attempt == 2:
                    raise
                # Another process took the free port in the meantime: another one.
                self.port = free_port()
                with conf.open("a") as out:
                    out.write(f"port = {self.port}\n")

    def start(self) -> None:
        self._pg_ctl("start", "-t", "60")

    def stop(self, mode: str = "fast") -> None:
        self._pg_ctl("stop", "-m", mode, "-t", "60")

    def restart(self, mode: str = "fast") -> None:
        self._pg_ctl("restart", "-m", mode, "-t", "60")

    def teardown(self) -> None:
        """Stop the server (immediately: nothing in it matters) and remove the directory."""
        try:
            if (self.data / "postmaster.pid").exists():
                self._pg_ctl("stop", "-m", "immediate", "-t", "30")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PrivatePostgres:
        try:
            self.setup()
        except BaseException:
            self.teardown()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.teardown()

    # --- databases ---------------------------------------------------------------------------

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def dsn(self, database: str = "postgres") -> str:
        """For psycopg in the test process."""
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={database}"

    def create_database(self, name: str, *, template: str = "template1") -> str:
        """Create ``name`` (a copy of ``template``, file by file: quicker for small databases
        than through the WAL) and return its ``DATABASE_URL``."""
        import psycopg

        with psycopg.connect(self.dsn(), autocommit=True) as admin:
            strategy = " STRATEGY FILE_COPY" if admin.info.server_version >= 150000 else ""
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"{strategy}')
        return self.url(name)

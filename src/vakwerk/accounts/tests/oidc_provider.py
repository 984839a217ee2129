"""Starts the loopback OpenID Connect provider in ``tests/oidc_provider`` for the SSO tests.

The provider is a real ``oidc-provider`` (Node.js) process on 127.0.0.1; nothing is mocked.
Any login name signs in with the password :data:`PASSWORD`; :func:`default_claims` gives the
claims it hands out for a login. Usage::

    with start_oidc_provider(
        client_id="vakwerk", client_secret="s3cret", redirect_uris=[callback_url]
    ) as provider:
        ...  # point a SocialApp's settings["server_url"] at provider.issuer
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

PASSWORD = "secret"
"""The password the test provider accepts for every login name."""

EMAIL_DOMAIN = "sso.example"
START_TIMEOUT = 30.0
NPM_CI_TIMEOUT = 300.0


@dataclass(frozen=True)
class OIDCProvider:
    """A running test provider."""

    issuer: str
    client_id: str
    client_secret: str
    stderr_path: Path
    password: str = PASSWORD

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def log(self) -> str:
        """The provider's stderr so far: one line per HTTP request, plus warnings and errors."""
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")


def repo_root() -> Path:
    """The nearest directory above this file that holds ``pyproject.toml``."""
    for directory in Path(__file__).resolve().parents:
        if (directory / "pyproject.toml").is_file():
            return directory
    raise RuntimeError(f"no pyproject.toml above {__file__}")


def provider_dir() -> Path:
    return repo_root() / "tests" / "oidc_provider"


def default_claims(login: str) -> dict[str, object]:
    """The claims the provider gives ``login`` (mirrors ``claimsFor`` in server.mjs)."""
    local = login.split("@")[0]
    parts = [part[:1].upper() + part[1:] for part in _split_name(local)]
    given_name = parts[0] if parts else "Test"
    family_name = " ".join(parts[1:]) if len(parts) > 1 else "Tester"
    digits = int(hashlib.sha256(login.encode()).hexdigest()[:8], 16)
    return {
        "sub": login,
        "email": login if "@" in login else f"{login}@{EMAIL_DOMAIN}",
        "email_verified": True,
        "name": f"{given_name} {family_name}",
        "given_name": given_name,
        "family_name": family_name,
        "employee_number": f"E{digits % 1_000_000:06d}",
    }


def _split_name(local: str) -> list[str]:
    for separator in "._-":
        local = local.replace(separator, " ")
    return local.split()


def _installed(directory: Path) -> bool:
    modules = directory / "node_modules"
    # npm writes node_modules/.package-lock.json last, so it marks a finished install.
    return (modules / ".package-lock.json").is_file() and (
        modules / "oidc-provider" / "package.json"
    ).is_file()


def ensure_node_modules(directory: Path | None = None) -> None:
    """Run ``npm ci`` in the provider directory unless its node_modules is already installed.

    A file lock keeps parallel test processes (pytest-xdist, two terminals) from racing.
    """
    directory = directory or provider_dir()
    if _installed(directory):
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is not on PATH; the SSO tests need Node.js and npm")
    key = hashlib.sha256(str(directory).encode()).hexdigest()[:16]
    lock_path = Path(tempfile.gettempdir()) / f"vakwerk-oidc-provider-{key}.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if _installed(directory):
                return
            result = subprocess.run(  # noqa: S603  (fixed argv, no shell)
                [npm, "ci", "--no-audit", "--no-fund"],
                cwd=directory,
                capture_output=True,
                text=True,
                timeout=NPM_CI_TIMEOUT,
                check=False,
            )
            if result.returncode != 0:
                raise RuntimeError(
                    f"npm ci in {directory} failed ({result.returncode}):\n"
                    f"{result.stdout}\n{result.stderr}"
                )
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _pump(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    """Forward the provider's stdout lines; None marks its end. Keeps the pipe drained."""
    for line in stream:
        lines.put(line)
    lines.put(None)


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@contextlib.contextmanager
def start_oidc_provider(
    *,
    client_id: str,
    client_secret: str,
    redirect_uris: list[str],
    post_logout_redirect_uris: Iterable[str] = (),
    accounts: Mapping[str, Mapping[str, object]] | None = None,
) -> Iterator[OIDCProvider]:
    """Start the provider on a free loopback port; stop it when the block ends.

    ``redirect_uris`` are matched exactly (scheme, host, port, path, trailing slash).
    ``accounts`` maps a login to claims that replace its :func:`default_claims` (not ``sub``).
    """
    if not redirect_uris:
        raise ValueError("at least one redirect URI is needed")
    directory = provider_dir()
    ensure_node_modules(directory)
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is not on PATH; the SSO tests need Node.js")
    env = {
        **os.environ,
        "OIDC_PORT": "0",  # the server binds a free port and reports it in its ready line
        "OIDC_CLIENT_ID": client_id,
        "OIDC_CLIENT_SECRET": client_secret,
        "OIDC_REDIRECT_URIS": ",".join(redirect_uris),
        "OIDC_POST_LOGOUT_REDIRECT_URIS": ",".join(post_logout_redirect_uris),
        "OIDC_ACCOUNTS": json.dumps(dict(accounts or {})),
    }
    with tempfile.NamedTemporaryFile(
        mode="w+b", prefix="vakwerk-oidc-provider-", suffix=".log", delete=False
    ) as stderr_file:
        stderr_path = Path(stderr_file.name)
        process = subprocess.Popen(  # noqa: S603  (fixed argv, no shell)
            [node, "server.mjs"],
            cwd=directory,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr_file,
            text=True,
        )
    try:
        assert process.stdout is not None
        lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=_pump, args=(process.stdout, lines), daemon=True).start()
        issuer = _wait_until_ready(process, lines, stderr_path)
        yield OIDCProvider(
            issuer=issuer,
            client_id=client_id,
            client_secret=client_secret,
            stderr_path=stderr_path,
        )
    finally:
        _stop(process)
        stderr_path.unlink(missing_ok=True)


def _wait_until_ready(
    process: subprocess.Popen[str], lines: queue.Queue[str | None], stderr_path: Path
) -> str:
    deadline = time.monotonic() + START_TIMEOUT
    seen: list[str] = []
    while True:
        try:
            line = lines.get(timeout=max(deadline - time.monotonic(), 0.0))
        except queue.Empty:
            reason = f"was not ready within {START_TIMEOUT:.0f} s"
            break
        if line is None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)
            reason = f"exited with code {process.returncode} before it was ready"
            break
        if line.startswith("ready "):
            return line.removeprefix("ready ").strip()
        seen.append(line)
    _stop(process)
    stderr = stderr_path.read_text(encoding="utf-8", errors="replace")
    raise RuntimeError(
        f"the test OpenID Connect provider {reason}.\nstdout:\n{''.join(seen)}\nstderr:\n{stderr}"
    )

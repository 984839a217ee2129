"""Typed helpers that read settings from the environment.

Every setting may also come from a file: ``NAME_FILE=/run/secrets/name`` reads the value from that
file (Docker and Kubernetes secrets), so secrets need not sit in the environment itself.
"""

import os
from pathlib import Path


def get_str(name: str, default: str = "") -> str:
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        return Path(file_path).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


def get_bool(name: str, default: bool) -> bool:
    value = get_str(name, "")
    if not value:
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"{name} must be true or false, not {value!r}")


def get_int(name: str, default: int) -> int:
    value = get_str(name, "")
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {value!r}") from None


def get_list(name: str, default: list[str]) -> list[str]:
    value = get_str(name, "")
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]

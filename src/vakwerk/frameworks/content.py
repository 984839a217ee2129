"""Content packs: YAML files under ``content/packs`` validated against ``content/schema``.

A framework pack holds a level scale, competencies with behavioural indicators and starter
role profiles; a core-values pack holds competencies of kind ``kernwaarde`` only. An SJT pack
holds situational judgement items; a catalogue pack holds learning activities for the
competencies of one framework pack, which it names in ``framework``.
"""

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from jsonschema import Draft202012Validator

# libyaml's loader reads the shipped packs about ten times faster than the pure-Python one (the
# wheels include it); the pure-Python loader is the fallback where it is missing.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _yaml(text: str) -> Any:
    return yaml.load(text, Loader=_Loader)  # noqa: S506 (a safe loader)


CONTENT_DIR = Path(settings.BASE_DIR) / "content"
PACKS_DIR = CONTENT_DIR / "packs"
SCHEMA_DIR = CONTENT_DIR / "schema"
# Which schema validates a pack, by its ``kind``.
SCHEMA_FILES = {
    "framework": "pack.schema.json",
    "core_values": "pack.schema.json",
    "sjt": "sjt.schema.json",
    "catalogue": "catalogue.schema.json",
    "scenarios": "scenarios.schema.json",
    "exercises": "exercises.schema.json",
}
# Kinds of pack whose competencies a catalogue pack may refer to.
FRAMEWORK_KINDS = ("framework", "core_values")


class PackError(Exception):
    """A pack that cannot be loaded; ``problems`` names each one with its place in the file."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Pack:
    path: Path
    data: dict[str, Any]

    @property
    def slug(self) -> str:
        return str(self.data["pack"])

    @property
    def kind(self) -> str:
        return str(self.data["kind"])

    def title(self, language: str = "nl") -> str:
        return str(self.data["title"][language])

    def description(self, language: str = "nl") -> str:
        return str(self.data["description"][language])


@cache
def _validator(schema_file: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads((SCHEMA_DIR / schema_file).read_text("utf-8")))


def validate_pack(data: Any) -> list[str]:
    """Every problem in ``data``: schema errors with their path, then consistency checks."""
    kind = data.get("kind") if isinstance(data, dict) else None
    if kind not in SCHEMA_FILES:
        return [f"kind: must be one of {', '.join(SCHEMA_FILES)}"]
    validator = _validator(SCHEMA_FILES[kind])
    problems = [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(top)'}: {error.message}"
        for error in sorted(validator.iter_errors(data), key=lambda e: list(e.path))
    ]
    if problems:
        return problems
    if kind == "sjt":
        return _sjt_problems(data)
    if kind == "catalogue":
        return _catalogue_problems(data)
    if kind == "scenarios":
        return _scenario_problems(data)
    if kind == "exercises":
        return _exercise_problems(data)
    codes = [c["code"] for c in data["competencies"]]
    duplicates = sorted({code for code in codes if codes.count(code) > 1})
    problems += [f"competencies: code {code} occurs more than once" for code in duplicates]
    levels = {level["number"] for level in data.get("levels", [])}
    if data["kind"] == "framework" and not levels:
        problems.append("levels: a framework pack needs a level scale")
    if data["kind"] == "core_values" and (levels or data.get("role_profiles")):
        problems.append("a core-values pack has no levels and no role profiles")
    for index, competency in enumerate(data["competencies"]):
        for place, indicator in enumerate(competency["indicators"]):
            if levels and indicator["level"] not in levels:
                problems.append(
                    f"competencies/{index}/indicators/{place}: level {indicator['level']} "
                    "is not on the pack's level scale"
                )
    for index, profile in enumerate(data.get("role_profiles", [])):
        for place, target in enumerate(profile["targets"]):
            where = f"role_profiles/{index}/targets/{place}"
            if target["competency"] not in codes:
                problems.append(f"{where}: unknown competency {target['competency']}")
            if target["minimum"] > target["target"]:
                problems.append(f"{where}: minimum is above target")
    return problems


def _sjt_problems(data: dict[str, Any]) -> list[str]:
    codes = [item["code"] for item in data["items"]]
    return [
        f"items: code {code} occurs more than once"
        for code in sorted({c for c in codes if codes.count(c) > 1})
    ]


def _catalogue_problems(data: dict[str, Any]) -> list[str]:
    """What the schema cannot say: codes unique in the pack, ``levels`` not backwards, and
    competencies and levels that exist in the framework pack the catalogue names."""
    problems: list[str] = []
    framework = _framework_scale(data["framework"])
    if framework is None:
        problems.append(f"framework: no shipped framework pack {data['framework']}")
    first_place: dict[str, int] = {}
    for index, activity in enumerate(data["activities"]):
        where = f"activities/{index}"
        code = activity["code"]
        if code in first_place:
            problems.append(
                f"{where}/code: {code} is already used by activities/{first_place[code]}"
            )
        first_place.setdefault(code, index)
        low, high = activity["levels"]
        if low > high:
            problems.append(f"{where}/levels: from level {low} is above up to level {high}")
        if framework is None:
            continue
        codes, levels = framework
        for place, competency in enumerate(activity["competencies"]):
            if competency not in codes:
                problems.append(
                    f"{where}/competencies/{place}: unknown competency {competency} "
                    f"in {data['framework']}"
                )
        problems += [
            f"{where}/levels: level {level} is not on the level scale of {data['framework']}"
            for level in sorted({low, high})
            if levels and level not in levels
        ]
    return problems


def _exercise_problems(data: dict[str, Any]) -> list[str]:
    """Codes unique in the pack, competencies of the framework, exactly one best option per
    judgement exercise and one correct answer per check question."""
    framework = _framework_scale(data["framework"])
    if framework is None:
        return [f"framework: no shipped framework pack {data['framework']}"]
    problems: list[str] = []
    seen: dict[str, str] = {}
    for part in ("judgements", "cards", "reflections"):
        for index, item in enumerate(data.get(part, [])):
            where = f"{part}/{index}"
            if item["code"] in seen:
                problems.append(
                    f"{where}/code: {item['code']} is already used by {seen[item['code']]}"
                )
            seen.setdefault(item["code"], where)
            if item["competency"] not in framework[0]:
                problems.append(f"{where}/competency: unknown competency {item['competency']}")
            if part == "judgements" and sum(o["best"] for o in item["options"]) != 1:
                problems.append(f"{where}/options: exactly one option must be best")
            if part == "cards" and sum(o["correct"] for o in item["check"]["options"]) != 1:
                problems.append(f"{where}/check/options: exactly one answer must be correct")
    return problems


def _scenario_problems(data: dict[str, Any]) -> list[str]:
    """The graph rules of every variant (vakwerk.practice.graph), against the framework the
    pack names: its competencies and behavioural indicators."""
    from vakwerk.practice.graph import pack_problems

    path = PACKS_DIR / f"{data['framework']}.yaml"
    framework = _framework_scale(data["framework"])
    if framework is None:
        return [f"framework: no shipped framework pack {data['framework']}"]
    indicators = _read_indicators(path, path.stat().st_mtime)
    return pack_problems(data, competencies=framework[0], indicators=indicators)


@cache
def _read_indicators(path: Path, modified: float) -> dict[tuple[str, int], int]:
    """(competency, level) -> how many behavioural indicators the framework pack has."""
    data = _yaml(path.read_text(encoding="utf-8"))
    counts: dict[tuple[str, int], int] = {}
    for competency in data["competencies"]:
        for indicator in competency.get("indicators", []):
            key = (competency["code"], int(indicator["level"]))
            counts[key] = counts.get(key, 0) + 1
    return counts


def _framework_scale(slug: str) -> tuple[frozenset[str], frozenset[int]] | None:
    """Competency codes and level numbers of the shipped framework pack ``slug``, or None
    when there is no valid framework or core-values pack of that name."""
    path = PACKS_DIR / f"{slug}.yaml"
    if not path.is_file():
        return None
    return _read_framework_scale(path, path.stat().st_mtime)


@cache
def _read_framework_scale(
    path: Path, modified: float
) -> tuple[frozenset[str], frozenset[int]] | None:
    # Not through shipped_packs(): that reads every pack, this catalogue pack among them, and
    # would validate it again while it is being validated. Checking the kind before validating
    # means a catalogue pack that names another catalogue pack cannot recurse either.
    try:
        data = _yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    if not isinstance(data, dict) or data.get("kind") not in FRAMEWORK_KINDS:
        return None
    if data.get("pack") != path.stem or validate_pack(data):
        return None
    return (
        frozenset(c["code"] for c in data["competencies"]),
        frozenset(level["number"] for level in data.get("levels", [])),
    )


def read_pack(path: Path) -> Pack:
    try:
        data = _yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise PackError([f"{path.name}: cannot read YAML: {error}"]) from error
    problems = validate_pack(data)
    if problems:
        raise PackError([f"{path.name}: {problem}" for problem in problems])
    return Pack(path=path, data=data)


@cache
def _read_shipped(path: Path, modified: float) -> Pack:
    # Keyed on the modification time too, so an edited pack is read again.
    return read_pack(path)


def shipped_packs(kind: str | None = None) -> list[Pack]:
    packs = [_read_shipped(p, p.stat().st_mtime) for p in sorted(PACKS_DIR.glob("*.yaml"))]
    return [pack for pack in packs if kind is None or pack.kind == kind]


def shipped_pack(slug: str) -> Pack | None:
    return next((pack for pack in shipped_packs() if pack.slug == slug), None)

"""HR's scenario editor: a variant as YAML text, checked and previewed before it is saved.

The text is the variant exactly as in a pack (``code``, ``title``, ``setting``, ``start``,
``nodes``). Checking it runs the pack schema's variant definition and the graph rules of
``practice.graph`` against the organisation's own framework (its competencies and behavioural
indicators), so the editor rejects what a pack would reject, with the same places. Saving a
variant that people already practised keeps the old one for their attempts and adds the edit
as a new variant of the family.
"""

import json
from collections import deque
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as SchemaError

from vakwerk.audit.services import Actor, audit_log
from vakwerk.frameworks.content import SCHEMA_DIR
from vakwerk.frameworks.models import Indicator
from vakwerk.frameworks.selectors import current_competencies
from vakwerk.organisations.models import Organisation
from vakwerk.practice.graph import variant_problems
from vakwerk.practice.models import Attempt, ScenarioFamily, ScenarioVariant

MAX_CHARS = 200_000  # a variant of 8 decision points in two languages is about 20,000


@cache
def _variant_validator() -> Draft202012Validator:
    schema = json.loads((SCHEMA_DIR / "scenarios.schema.json").read_text(encoding="utf-8"))
    return Draft202012Validator({"$defs": schema["$defs"], "$ref": "#/$defs/variant"})


def variant_yaml(variant: ScenarioVariant) -> str:
    data = {
        "code": variant.code,
        "title": {"nl": variant.title, "en": variant.title_en},
        "setting": {"nl": variant.setting, "en": variant.setting_en},
        "start": variant.graph["start"],
        "nodes": variant.graph["nodes"],
    }
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


@dataclass
class Checked:
    data: dict[str, Any] | None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.data is not None and not self.problems


def _indicators(organisation: Organisation, codes: set[str]) -> dict[tuple[str, int], int]:
    """(competency, level) -> number of indicators, in the organisation's current frameworks."""
    competencies = current_competencies(organisation)
    counts: dict[tuple[str, int], int] = {}
    for code, level in Indicator.objects.filter(
        competency__in=[c for k, c in competencies.items() if k in codes]
    ).values_list("competency__code", "level"):
        counts[(code, level)] = counts.get((code, level), 0) + 1
    return counts


def check(organisation: Organisation, family: ScenarioFamily, text: str) -> Checked:
    """Parse and check a variant's YAML; every problem names its place."""
    if len(text) > MAX_CHARS:
        return Checked(
            None, [_("The text is too long: at most %(max)s characters.") % {"max": MAX_CHARS}]
        )
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = (
            _("line %(line)s, column %(column)s")
            % {"line": mark.line + 1, "column": mark.column + 1}
            if mark is not None
            else _("somewhere in the text")
        )
        return Checked(None, [_("This is not valid YAML (%(where)s).") % {"where": where}])
    if not isinstance(data, dict):
        return Checked(
            None, [_("The text must describe one variant: code, title, setting, start and nodes.")]
        )
    problems = [
        _schema_message(error)
        for error in sorted(
            _variant_validator().iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path]
        )
    ]
    if problems:
        return Checked(data, problems)
    codes = set(current_competencies(organisation))
    problems = variant_problems(
        data,
        "",
        competencies=codes,
        indicators=_indicators(organisation, codes),
        family_competencies=family.competency_codes,
    )
    return Checked(data, [problem.removeprefix("/") for problem in problems])


def _schema_message(error: SchemaError) -> str:
    """A schema error in the reader's language, with its place (``nodes/n3/choices/0``)."""
    place = "/".join(str(p) for p in error.absolute_path) or _("(the variant)")
    value = error.validator_value
    messages = {
        "required": _("%(place)s: %(field)s is missing"),
        "additionalProperties": _("%(place)s: unknown field(s) %(field)s"),
        "type": _("%(place)s: must be of type %(expected)s"),
        "minLength": _("%(place)s: may not be empty"),
        "pattern": _("%(place)s: lower-case letters, digits and hyphens only (%(expected)s)"),
        "enum": _("%(place)s: must be one of %(expected)s"),
        "minimum": _("%(place)s: must be at least %(expected)s"),
        "maximum": _("%(place)s: must be at most %(expected)s"),
        "minProperties": _("%(place)s: must have at least %(expected)s entries"),
    }
    template = messages.get(str(error.validator))
    if template is None:
        return f"{place}: {error.message}"
    field_name = ""
    if error.validator == "required":
        missing = [name for name in value if name not in (error.instance or {})]
        field_name = ", ".join(missing)
    elif error.validator == "additionalProperties":
        allowed = set((error.schema.get("properties") or {}).keys())
        field_name = ", ".join(sorted(k for k in error.instance if k not in allowed))
    expected = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    return template % {"place": place, "field": field_name, "expected": expected}


@dataclass
class PreviewNode:
    id: str
    node: dict[str, Any]
    depth: int


def preview(data: dict[str, Any]) -> list[PreviewNode]:
    """The nodes in the order a person meets them (breadth first from the start)."""
    nodes = data["nodes"]
    order: list[PreviewNode] = []
    seen = {data["start"]}
    queue = deque([(data["start"], 0)])
    while queue:
        name, depth = queue.popleft()
        order.append(PreviewNode(name, nodes[name], depth))
        for choice in nodes[name].get("choices") or []:
            if choice["next"] in nodes and choice["next"] not in seen:
                seen.add(choice["next"])
                queue.append((choice["next"], depth + 1))
    return order


@transaction.atomic
def variant_save(
    *, family: ScenarioFamily, variant: ScenarioVariant | None, text: str, actor: Actor
) -> ScenarioVariant:
    """Save a checked variant: in place when nobody practised it yet, else as a new variant
    that replaces it (the old one stays for its attempts)."""
    checked = check(family.organisation, family, text)
    if not checked.ok or checked.data is None:
        raise ValidationError(checked.problems)
    data = checked.data
    fields = {
        "title": data["title"]["nl"],
        "title_en": data["title"]["en"],
        "setting": data["setting"]["nl"],
        "setting_en": data["setting"]["en"],
        "graph": {"start": data["start"], "nodes": data["nodes"]},
    }
    clash = family.variants.filter(code=data["code"])
    practised = variant is not None and Attempt.objects.filter(variant=variant).exists()
    if variant is not None and not practised:
        if clash.exclude(pk=variant.pk).exists():
            raise ValidationError(_("code: another variant of this family already has this code"))
        for name, value in {**fields, "code": data["code"]}.items():
            setattr(variant, name, value)
        variant.full_clean()
        variant.save()
        saved, action = variant, "scenario.update"
    else:
        code = data["code"]
        if clash.exists():
            code = _free_code(family, code)
        position = variant.position if variant is not None else family.variants.count()
        saved = ScenarioVariant(family=family, code=code, position=position, **fields)
        saved.full_clean()
        saved.save()
        if variant is not None:
            variant.is_active = False
            variant.save(update_fields=["is_active"])
        action = "scenario.replace" if variant is not None else "scenario.create"
    audit_log(
        organisation=family.organisation,
        actor=actor,
        action=action,
        target=saved,
        details={"family": family.code, "variant": saved.code},
    )
    return saved


def _free_code(family: ScenarioFamily, code: str) -> str:
    number = 2
    while family.variants.filter(code=f"{code}-{number}").exists():
        number += 1
    return f"{code}-{number}"

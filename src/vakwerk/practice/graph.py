"""The rules a branching scenario must keep that a JSON Schema cannot say.

A variant is a graph: ``nodes`` by id, each either a *decision point* (what the other person
says or does, with two or more choices that lead on) or an *ending* (with a debrief). The
checks, each reported with its place in the pack (``families/0/variants/1/nodes/n3: ...``):

- the start node and every choice's ``next`` exist;
- every node can be reached from the start (no unreachable nodes);
- every node leads to an ending (no dead ends, no loops without a way out); a node without
  choices must be an ending, and an ending has no choices and has a debrief;
- a decision point offers at least two choices, and each choice has feedback (the schema
  requires the field; here: not only whitespace);
- a variant has at least ``MIN_DECISIONS`` decision points;
- effects only name competencies of the framework, and an ``indicator`` reference names a
  behavioural indicator that exists (competency, level, position);
- codes of families and variants are unique in the pack, and a family has variants of its
  own competencies' effects (every family competency is trained somewhere in each variant).

Plain data in, a list of problem strings out (in the current language: HR reads them in the
editor), so the HR editor, the pack loader and the tests share one implementation.
"""

from collections import deque
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from django.utils.translation import gettext as _

MIN_DECISIONS = 6

Indicators = Mapping[tuple[str, int], int]  # (competency, level) -> number of indicators


def _choices(node: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return list(node.get("choices") or [])


def _reachable(start: str, nodes: Mapping[str, Any]) -> set[str]:
    seen = {start}
    queue = deque([start])
    while queue:
        for choice in _choices(nodes[queue.popleft()]):
            target = str(choice.get("next"))
            if target in nodes and target not in seen:
                seen.add(target)
                queue.append(target)
    return seen


def _leads_to_ending(nodes: Mapping[str, Any]) -> set[str]:
    """Nodes from which some path reaches an ending (walking the edges backwards)."""
    incoming: dict[str, set[str]] = {name: set() for name in nodes}
    for name, node in nodes.items():
        for choice in _choices(node):
            if choice.get("next") in incoming:
                incoming[choice["next"]].add(name)
    good = {name for name, node in nodes.items() if node.get("ending")}
    queue = deque(good)
    while queue:
        for source in incoming[queue.popleft()]:
            if source not in good:
                good.add(source)
                queue.append(source)
    return good


def variant_problems(
    variant: Mapping[str, Any],
    where: str,
    *,
    competencies: Collection[str] | None = None,
    indicators: Indicators | None = None,
    family_competencies: Iterable[str] = (),
) -> list[str]:
    """Problems of one variant; ``where`` is its place, e.g. ``families/0/variants/1``."""
    problems: list[str] = []
    nodes: Mapping[str, Any] = variant.get("nodes") or {}
    start = str(variant.get("start"))
    if start not in nodes:
        return [
            _("%(place)s: node %(node)s does not exist")
            % {"place": f"{where}/start", "node": start}
        ]
    decisions = 0
    trained: set[str] = set()
    for name, node in nodes.items():
        place = f"{where}/nodes/{name}"
        choices = _choices(node)
        if node.get("ending"):
            if choices:
                problems.append(_("%(place)s: an ending has no choices") % {"place": place})
            if not str((node.get("debrief") or {}).get("nl", "")).strip():
                problems.append(_("%(place)s: an ending needs a debrief") % {"place": place})
            continue
        if not choices:
            problems.append(
                _("%(place)s: a dead end: no choices and not an ending") % {"place": place}
            )
            continue
        if len(choices) < 2:
            problems.append(
                _("%(place)s: a decision point needs at least two choices") % {"place": place}
            )
        decisions += 1
        for index, choice in enumerate(choices):
            spot = f"{place}/choices/{index}"
            if choice.get("next") not in nodes:
                problems.append(
                    _("%(place)s: node %(node)s does not exist")
                    % {"place": f"{spot}/next", "node": choice.get("next")}
                )
            feedback = choice.get("feedback") or {}
            if not all(str(feedback.get(lang, "")).strip() for lang in ("nl", "en")):
                problems.append(
                    _("%(place)s: every choice needs feedback in Dutch and English")
                    % {"place": f"{spot}/feedback"}
                )
            for code in choice.get("effects") or {}:
                trained.add(code)
                if competencies is not None and code not in competencies:
                    problems.append(
                        _("%(place)s: %(code)s is not a competency of the framework")
                        % {"place": f"{spot}/effects", "code": code}
                    )
            reference = choice.get("indicator")
            if reference and indicators is not None:
                code, level, position = str(reference).split("/")
                if int(position) > indicators.get((code, int(level)), 0):
                    problems.append(
                        _("%(place)s: %(reference)s is not a behavioural indicator")
                        % {"place": f"{spot}/indicator", "reference": reference}
                    )
    reachable = _reachable(start, nodes)
    problems += [
        _("%(place)s: cannot be reached from the start") % {"place": f"{where}/nodes/{name}"}
        for name in nodes
        if name not in reachable
    ]
    finishing = _leads_to_ending(nodes)
    problems += [
        _("%(place)s: no path from here leads to an ending") % {"place": f"{where}/nodes/{name}"}
        for name in nodes
        if name in reachable and name not in finishing and _choices(nodes[name])
    ]
    if not any(node.get("ending") for node in nodes.values()):
        problems.append(_("%(place)s: the variant has no ending") % {"place": f"{where}/nodes"})
    if decisions < MIN_DECISIONS:
        problems.append(
            _("%(place)s: %(count)s decision points; at least %(minimum)s are needed")
            % {"place": f"{where}/nodes", "count": decisions, "minimum": MIN_DECISIONS}
        )
    problems += [
        _("%(place)s: no choice has an effect on %(code)s, a competency of its family")
        % {"place": where, "code": code}
        for code in family_competencies
        if code not in trained
    ]
    return problems


def pack_problems(
    data: Mapping[str, Any],
    *,
    competencies: Collection[str] | None = None,
    indicators: Indicators | None = None,
) -> list[str]:
    """Problems of a whole scenarios pack that passed its schema."""
    problems: list[str] = []
    seen: dict[str, str] = {}
    for f, family in enumerate(data.get("families") or []):
        place = f"families/{f}"
        codes = [(f"{place}/code", family["code"])] + [
            (f"{place}/variants/{v}/code", variant["code"])
            for v, variant in enumerate(family.get("variants") or [])
        ]
        for spot, code in codes:
            if code in seen:
                problems.append(
                    _("%(place)s: %(code)s is already used at %(other)s")
                    % {"place": spot, "code": code, "other": seen[code]}
                )
            seen.setdefault(code, spot)
        for c, code in enumerate(family.get("competencies") or []):
            if competencies is not None and code not in competencies:
                problems.append(
                    f"{place}/competencies/{c}: {code} is not a competency of the framework"
                )
        for v, variant in enumerate(family.get("variants") or []):
            problems += variant_problems(
                variant,
                f"{place}/variants/{v}",
                competencies=competencies,
                indicators=indicators,
                family_competencies=family.get("competencies") or [],
            )
    return problems

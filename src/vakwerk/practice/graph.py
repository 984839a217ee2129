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

Pure: plain data in, a list of problem strings out, so the HR editor, the pack loader and the
tests share one implementation.
"""

from collections import deque
from collections.abc import Collection, Iterable, Mapping
from typing import Any

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
        return [f"{where}/start: node {start} does not exist"]
    decisions = 0
    trained: set[str] = set()
    for name, node in nodes.items():
        place = f"{where}/nodes/{name}"
        choices = _choices(node)
        if node.get("ending"):
            if choices:
                problems.append(f"{place}: an ending has no choices")
            if not str((node.get("debrief") or {}).get("nl", "")).strip():
                problems.append(f"{place}: an ending needs a debrief")
            continue
        if not choices:
            problems.append(f"{place}: a dead end: no choices and not an ending")
            continue
        if len(choices) < 2:
            problems.append(f"{place}: a decision point needs at least two choices")
        decisions += 1
        for index, choice in enumerate(choices):
            spot = f"{place}/choices/{index}"
            if choice.get("next") not in nodes:
                problems.append(f"{spot}/next: node {choice.get('next')} does not exist")
            feedback = choice.get("feedback") or {}
            if not all(str(feedback.get(lang, "")).strip() for lang in ("nl", "en")):
                problems.append(f"{spot}/feedback: every choice needs feedback in nl and en")
            for code in choice.get("effects") or {}:
                trained.add(code)
                if competencies is not None and code not in competencies:
                    problems.append(f"{spot}/effects: {code} is not a competency of the framework")
            reference = choice.get("indicator")
            if reference and indicators is not None:
                code, level, position = str(reference).split("/")
                if int(position) > indicators.get((code, int(level)), 0):
                    problems.append(
                        f"{spot}/indicator: {reference} is not a behavioural indicator of the "
                        "framework"
                    )
    reachable = _reachable(start, nodes)
    problems += [
        f"{where}/nodes/{name}: cannot be reached from the start"
        for name in nodes
        if name not in reachable
    ]
    finishing = _leads_to_ending(nodes)
    problems += [
        f"{where}/nodes/{name}: no path from here leads to an ending"
        for name in nodes
        if name in reachable and name not in finishing and _choices(nodes[name])
    ]
    if not any(node.get("ending") for node in nodes.values()):
        problems.append(f"{where}/nodes: the variant has no ending")
    if decisions < MIN_DECISIONS:
        problems.append(
            f"{where}/nodes: {decisions} decision points; at least {MIN_DECISIONS} are needed"
        )
    problems += [
        f"{where}: no choice has an effect on {code}, a competency of its family"
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
                problems.append(f"{spot}: {code} is already used at {seen[code]}")
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

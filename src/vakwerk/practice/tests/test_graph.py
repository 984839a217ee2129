"""The rules of a branching scenario: each broken variant is rejected with a message naming
the place, and every shipped scenarios pack keeps them."""

import copy
from typing import Any

import pytest

from vakwerk.frameworks.content import shipped_packs, validate_pack
from vakwerk.practice.graph import MIN_DECISIONS, pack_problems, variant_problems

pytestmark = pytest.mark.usefixtures("english")

QUALITIES = ("AV-RES", "AV-GEL", "AV-EMP", "AV-INV", "AV-TRA", "AV-NET", "AV-DIA")


def _text(value: str) -> dict[str, str]:
    return {"nl": value, "en": value}


def _choice(target: str, effect: int = 1) -> dict[str, Any]:
    return {
        "text": _text(f"naar {target}"),
        "next": target,
        "effects": {"AV-EMP": effect},
        "feedback": _text("Omdat."),
    }


def _variant(decisions: int = MIN_DECISIONS) -> dict[str, Any]:
    """A chain of decision points whose choices converge on the next one, then two endings."""
    nodes: dict[str, Any] = {}
    for i in range(decisions):
        following = f"n{i + 1}" if i + 1 < decisions else "goed"
        other = following if i + 1 < decisions else "matig"
        nodes[f"n{i}"] = {
            "text": _text(f"stap {i}"),
            "choices": [_choice(following), _choice(other, -1)],
        }
    nodes["goed"] = {"ending": "good", "text": _text("Klaar."), "debrief": _text("Goed gedaan.")}
    nodes["matig"] = {"ending": "mixed", "text": _text("Klaar."), "debrief": _text("Kan beter.")}
    return {"code": "v", "title": _text("V"), "setting": _text("S"), "start": "n0", "nodes": nodes}


def _problems(variant: dict[str, Any]) -> list[str]:
    return variant_problems(
        variant,
        "families/0/variants/0",
        competencies={"AV-EMP", "AV-RES"},
        indicators={("AV-EMP", 1): 3},
        family_competencies=["AV-EMP"],
    )


def test_a_sound_variant_has_no_problems():
    assert _problems(_variant()) == []


def test_a_missing_start_node_is_named():
    variant = _variant()
    variant["start"] = "begin"
    assert _problems(variant) == ["families/0/variants/0/start: node begin does not exist"]


def test_an_unreachable_node_is_named():
    variant = _variant()
    variant["nodes"]["los"] = copy.deepcopy(variant["nodes"]["n5"])
    assert "families/0/variants/0/nodes/los: cannot be reached from the start" in _problems(variant)


def test_a_dead_end_is_named():
    variant = _variant()
    variant["nodes"]["n5"]["choices"][1]["next"] = "stil"
    variant["nodes"]["stil"] = {"text": _text("...")}
    assert "families/0/variants/0/nodes/stil: a dead end: no choices and not an ending" in (
        _problems(variant)
    )


def test_a_loop_without_a_way_out_is_named():
    variant = _variant()
    variant["nodes"]["n5"]["choices"] = [_choice("n4"), _choice("n4", -1)]
    variant["nodes"]["n4"]["choices"] = [_choice("n5"), _choice("n5", -1)]
    problems = _problems(variant)
    assert "families/0/variants/0/nodes/n4: no path from here leads to an ending" in problems
    assert "families/0/variants/0/nodes/n5: no path from here leads to an ending" in problems


def test_a_choice_without_feedback_is_named():
    variant = _variant()
    variant["nodes"]["n2"]["choices"][0]["feedback"] = {"nl": "  ", "en": "Why."}
    assert (
        "families/0/variants/0/nodes/n2/choices/0/feedback: every choice needs feedback in "
        "Dutch and English" in _problems(variant)
    )


def test_an_effect_outside_the_framework_is_named():
    variant = _variant()
    variant["nodes"]["n3"]["choices"][1]["effects"] = {"AV-EMP": 1, "XX-ONB": 2}
    assert (
        "families/0/variants/0/nodes/n3/choices/1/effects: XX-ONB is not a competency of the "
        "framework" in _problems(variant)
    )


def test_an_unknown_indicator_is_named():
    variant = _variant()
    variant["nodes"]["n1"]["choices"][0]["indicator"] = "AV-EMP/1/4"
    variant["nodes"]["n1"]["choices"][1]["indicator"] = "AV-EMP/1/3"
    assert _problems(variant) == [
        "families/0/variants/0/nodes/n1/choices/0/indicator: AV-EMP/1/4 is not a behavioural "
        "indicator"
    ]


def test_too_few_decision_points_and_single_choices_are_named():
    variant = _variant(decisions=MIN_DECISIONS - 1)
    variant["nodes"]["n0"]["choices"].pop()
    problems = _problems(variant)
    assert "families/0/variants/0/nodes/n0: a decision point needs at least two choices" in (
        problems
    )
    assert (
        f"families/0/variants/0/nodes: {MIN_DECISIONS - 1} decision points; at least "
        f"{MIN_DECISIONS} are needed" in problems
    )


def test_an_ending_needs_a_debrief_and_no_choices():
    variant = _variant()
    variant["nodes"]["goed"]["debrief"] = {"nl": "", "en": ""}
    variant["nodes"]["matig"]["choices"] = [_choice("n0")]
    problems = _problems(variant)
    assert "families/0/variants/0/nodes/goed: an ending needs a debrief" in problems
    assert "families/0/variants/0/nodes/matig: an ending has no choices" in problems


def test_a_family_competency_never_trained_is_named():
    problems = variant_problems(
        _variant(),
        "families/0/variants/0",
        competencies={"AV-EMP", "AV-RES"},
        family_competencies=["AV-EMP", "AV-RES"],
    )
    assert problems == [
        "families/0/variants/0: no choice has an effect on AV-RES, a competency of its family"
    ]


def test_codes_must_be_unique_in_a_pack():
    variant = _variant()
    data = {
        "families": [
            {
                "code": "fam",
                "competencies": ["AV-EMP"],
                "variants": [variant, copy.deepcopy(variant)],
            }
        ]
    }
    assert pack_problems(data, competencies={"AV-EMP"}) == [
        "families/0/variants/1/code: v is already used at families/0/variants/0/code"
    ]


def test_the_schema_rejects_effects_out_of_range():
    variant = _variant()
    variant["nodes"]["n0"]["choices"][0]["effects"] = {"AV-EMP": 3}
    pack = {
        "pack": "oefen-test",
        "version": 1,
        "kind": "scenarios",
        "framework": "ambtelijk-vakmanschap-3.0",
        "title": _text("T"),
        "description": _text("D"),
        "families": [
            {
                "code": "fam",
                "competencies": ["AV-EMP"],
                "title": _text("F"),
                "summary": _text("S"),
                "variants": [variant, {**_variant(), "code": "w"}],
            }
        ],
    }
    problems = validate_pack(pack)
    assert any("families/0/variants/0/nodes/n0/choices/0/effects/AV-EMP" in p for p in problems)
    variant["nodes"]["n0"]["choices"][0]["effects"] = {"AV-EMP": 2}
    assert validate_pack(pack) == []


@pytest.mark.parametrize("quality", QUALITIES)
def test_every_quality_has_at_least_two_shipped_families(quality):
    families = [
        family
        for pack in shipped_packs("scenarios")
        for family in pack.data["families"]
        if quality in family["competencies"]
    ]
    assert len(families) >= 2, f"{quality}: {len(families)} scenario families shipped"
    for family in families:
        assert len(family["variants"]) >= 2

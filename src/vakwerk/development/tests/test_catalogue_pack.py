"""The shipped learning catalogue pack: its schema, its coverage, and loading it."""

import copy
from collections import Counter
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.exceptions import ValidationError
from django.core.management import call_command

from vakwerk.audit.models import AuditEvent
from vakwerk.audit.services import Actor
from vakwerk.development.catalogue import catalogue_load_pack
from vakwerk.development.models import Activity, ActivityFormat, LearningCategory
from vakwerk.frameworks.content import (
    PACKS_DIR,
    PackError,
    read_pack,
    shipped_pack,
    validate_pack,
)
from vakwerk.organisations.models import Organisation

SLUG = "leeraanbod-ambtelijk-vakmanschap-3.0"
PATH = PACKS_DIR / f"{SLUG}.yaml"
QUALITIES = ("AV-RES", "AV-GEL", "AV-EMP", "AV-INV", "AV-TRA", "AV-NET", "AV-DIA")
ACTOR = Actor(user=None, origin=None)
# What "realistic" means for the time an activity takes, in minutes, by format.
MINUTES = {
    "practice": (5, 15),
    "microlesson": (10, 20),
    "reflection": (15, 30),
    "on_the_job": (60, 480),
    "peer": (60, 120),
    "coaching": (60, 360),
    "course": (480, 1440),
}
CATEGORY = {
    "practice": "experience",
    "microlesson": "formal",
    "reflection": "experience",
    "on_the_job": "experience",
    "peer": "social",
    "coaching": "social",
    "course": "formal",
}
TEXTS = ("title", "description", "why_daily", "why_career")


def _activities() -> list[dict[str, Any]]:
    return list(read_pack(PATH).data["activities"])


def _serves(activity: dict[str, Any], code: str, level: int) -> bool:
    low, high = activity["levels"]
    return code in activity["competencies"] and low <= level <= high


def test_the_shipped_catalogue_pack_is_valid_and_names_its_framework():
    pack = read_pack(PATH)
    assert pack.slug == SLUG
    assert pack.kind == "catalogue"
    assert pack.data["framework"] == "ambtelijk-vakmanschap-3.0"
    assert shipped_pack(SLUG) is not None
    framework = shipped_pack("ambtelijk-vakmanschap-3.0")
    assert framework is not None
    known = {c["code"] for c in framework.data["competencies"]}
    assert {code for a in pack.data["activities"] for code in a["competencies"]} == known


def test_every_quality_has_seven_activities_of_the_agreed_mix():
    activities = _activities()
    assert len(activities) == 49
    for code in QUALITIES:
        own = [a for a in activities if code in a["competencies"]]
        assert len(own) >= 5, code
        formats = Counter(a["format"] for a in own)
        assert formats["practice"] >= 2, code
        assert formats["on_the_job"] >= 2, code
        assert formats["peer"] >= 1, code
        assert formats["microlesson"] + formats["reflection"] >= 1, code
        assert formats["coaching"] + formats["course"] >= 1, code


@pytest.mark.parametrize("code", QUALITIES)
@pytest.mark.parametrize("level", [1, 2, 3, 4])
def test_every_quality_and_level_has_practice_on_the_job_and_learning_from_others(
    code: str, level: int
):
    serving = [a for a in _activities() if _serves(a, code, level)]
    assert any(a["format"] == "practice" for a in serving)
    assert any(a["format"] == "on_the_job" for a in serving)
    assert any(a["category"] == "social" for a in serving)


def test_codes_are_unique_slugs():
    codes = [a["code"] for a in _activities()]
    assert len(codes) == len(set(codes))
    assert all(code == code.lower() and " " not in code for code in codes)


def test_both_languages_are_filled_in_everywhere():
    data = read_pack(PATH).data
    for field in ("title", "description"):
        assert data[field]["nl"].strip()
        assert data[field]["en"].strip()
    for activity in data["activities"]:
        for field in TEXTS:
            for language in ("nl", "en"):
                assert activity[field][language].strip(), (activity["code"], field, language)
        assert activity["title"]["nl"] != activity["title"]["en"], activity["code"]


def test_minutes_and_category_fit_the_format():
    for activity in _activities():
        low, high = MINUTES[activity["format"]]
        assert low <= activity["minutes"] <= high, activity["code"]
        assert activity["category"] == CATEGORY[activity["format"]], activity["code"]
        if activity["format"] == "course":
            assert activity["provider"].strip(), activity["code"]


def test_loading_creates_every_activity_once(organisation: Organisation):
    pack = read_pack(PATH)
    assert catalogue_load_pack(organisation=organisation, actor=ACTOR, pack=pack) == 49
    activities = Activity.objects.filter(organisation=organisation)
    assert activities.count() == 49
    assert set(activities.values_list("pack", flat=True)) == {SLUG}
    assert Counter(activities.values_list("format", flat=True)) == {
        ActivityFormat.PRACTICE: 14,
        ActivityFormat.ON_THE_JOB: 14,
        ActivityFormat.PEER: 7,
        ActivityFormat.MICROLESSON: 4,
        ActivityFormat.REFLECTION: 3,
        ActivityFormat.COACHING: 3,
        ActivityFormat.COURSE: 4,
    }
    practice = activities.get(code="res-oefen-balie-1")
    assert practice.competency_codes == ["AV-RES"]
    assert (practice.level_min, practice.level_max) == (1, 2)
    assert practice.category == LearningCategory.EXPERIENCE
    assert practice.title_en.startswith("Practice:")
    assert practice.why_career
    assert practice.why_career_en
    assert practice.serves("AV-RES", 2)
    assert not practice.serves("AV-RES", 3)
    course = activities.get(code="emp-cursus-agressie-1")
    assert course.provider
    assert course.url == ""

    assert catalogue_load_pack(organisation=organisation, actor=ACTOR, pack=pack) == 0
    assert Activity.objects.filter(organisation=organisation).count() == 49
    events = AuditEvent.objects.filter(organisation=organisation, action="catalogue.load")
    assert sorted(e.details["added"] for e in events) == [0, 49]
    assert {e.details["pack"] for e in events} == {SLUG}


def test_loading_leaves_an_activity_the_organisation_already_has_alone(
    organisation: Organisation, other_organisation: Organisation
):
    pack = read_pack(PATH)
    catalogue_load_pack(organisation=organisation, actor=ACTOR, pack=pack)
    edited = Activity.objects.get(organisation=organisation, code="gel-les-bronnen-1")
    edited.title = "Onze eigen versie"
    edited.is_active = False
    edited.save()
    Activity.objects.filter(organisation=organisation).exclude(pk=edited.pk).delete()

    assert catalogue_load_pack(organisation=organisation, actor=ACTOR, pack=pack) == 48
    edited.refresh_from_db()
    assert edited.title == "Onze eigen versie"
    assert not edited.is_active
    # Another organisation gets its own full copy.
    assert catalogue_load_pack(organisation=other_organisation, actor=ACTOR, pack=pack) == 49


def test_a_pack_of_another_kind_is_refused(organisation: Organisation):
    pack = shipped_pack("ambtelijk-vakmanschap-3.0")
    assert pack is not None
    with pytest.raises(ValidationError):
        catalogue_load_pack(organisation=organisation, actor=ACTOR, pack=pack)
    assert not Activity.objects.filter(organisation=organisation).exists()


def test_load_content_checks_and_loads_the_pack(organisation: Organisation):
    out = StringIO()
    call_command("load_content", str(PATH), check=True, stdout=out)
    assert out.getvalue().strip() == f"{SLUG}: valid"
    assert not Activity.objects.exists()

    out = StringIO()
    call_command("load_content", str(PATH), organisation=organisation.slug, stdout=out)
    assert f"{SLUG}: 49 learning activities added" in out.getvalue()
    assert Activity.objects.filter(organisation=organisation).count() == 49


def _raw() -> dict[str, Any]:
    return copy.deepcopy(yaml.safe_load(PATH.read_text(encoding="utf-8")))


def _drop_english(data: dict[str, Any]) -> None:
    del data["activities"][2]["description"]["en"]


def _empty_dutch(data: dict[str, Any]) -> None:
    data["activities"][4]["why_career"]["nl"] = ""


def _levels_backwards(data: dict[str, Any]) -> None:
    data["activities"][5]["levels"] = [3, 2]


def _level_off_scale(data: dict[str, Any]) -> None:
    data["activities"][5]["levels"] = [2, 6]


def _course_without_provider(data: dict[str, Any]) -> None:
    # The seventh activity is coaching, which needs no provider; as a course it does.
    assert "provider" not in data["activities"][6]
    data["activities"][6]["format"] = "course"
    data["activities"][6]["category"] = "formal"


def _duplicate_code(data: dict[str, Any]) -> None:
    data["activities"][3]["code"] = data["activities"][0]["code"]


def _unknown_competency(data: dict[str, Any]) -> None:
    data["activities"][1]["competencies"] = ["AV-RES", "XX-NIET"]


def _unknown_format(data: dict[str, Any]) -> None:
    data["activities"][0]["format"] = "webinar"


def _no_competencies(data: dict[str, Any]) -> None:
    data["activities"][0]["competencies"] = []


def _zero_minutes(data: dict[str, Any]) -> None:
    data["activities"][0]["minutes"] = 0


def _unknown_framework(data: dict[str, Any]) -> None:
    data["framework"] = "bestaat-niet"


def _catalogue_as_framework(data: dict[str, Any]) -> None:
    data["framework"] = SLUG


@pytest.mark.parametrize(
    ("breaks", "place", "words"),
    [
        (_drop_english, "activities/2/description", "'en' is a required property"),
        (_empty_dutch, "activities/4/why_career/nl", "should be non-empty"),
        (_levels_backwards, "activities/5/levels", "from level 3 is above up to level 2"),
        (_level_off_scale, "activities/5/levels", "level 6 is not on the level scale"),
        (_course_without_provider, "activities/6", "'provider' is a required property"),
        (_duplicate_code, "activities/3/code", "is already used by activities/0"),
        (_unknown_competency, "activities/1/competencies/1", "unknown competency XX-NIET"),
        (_unknown_format, "activities/0/format", "is not one of"),
        (_no_competencies, "activities/0/competencies", "should be non-empty"),
        (_zero_minutes, "activities/0/minutes", "less than the minimum of 1"),
        (_unknown_framework, "framework", "no shipped framework pack bestaat-niet"),
        (_catalogue_as_framework, "framework", f"no shipped framework pack {SLUG}"),
    ],
    ids=lambda value: value.__name__.strip("_") if callable(value) else None,
)
def test_a_broken_pack_names_the_place_of_each_problem(
    breaks: Callable[[dict[str, Any]], None], place: str, words: str
):
    data = _raw()
    assert validate_pack(data) == []
    breaks(data)
    problems = validate_pack(data)
    assert any(p.startswith(f"{place}:") and words in p for p in problems), problems


def test_read_pack_prefixes_the_file_name(tmp_path: Path):
    data = _raw()
    data["activities"][3]["code"] = data["activities"][0]["code"]
    broken = tmp_path / "kapot.yaml"
    broken.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(PackError) as error:
        read_pack(broken)
    assert "kapot.yaml: activities/3/code: res-oefen-balie-1 is already used by activities/0" in (
        error.value.problems
    )

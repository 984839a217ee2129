"""Every shipped content pack passes the schema and the consistency checks."""

from pathlib import Path

import pytest
import yaml

from vakwerk.frameworks.content import PACKS_DIR, PackError, read_pack, validate_pack

SHIPPED = sorted(PACKS_DIR.glob("*.yaml"))


def test_packs_are_shipped():
    names = {path.stem for path in SHIPPED}
    assert {"ambtelijk-vakmanschap-3.0", "kernwaarden-modelgedragscode"} <= names


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_pack_is_valid(path: Path):
    pack = read_pack(path)
    assert pack.slug == path.stem


def test_the_3_0_pack_is_complete():
    pack = read_pack(PACKS_DIR / "ambtelijk-vakmanschap-3.0.yaml")
    competencies = pack.data["competencies"]
    assert len(competencies) == 7
    assert {c["kind"] for c in competencies} == {"vakmanschap"}
    for competency in competencies:
        for level in (1, 2, 3, 4):
            at_level = [i for i in competency["indicators"] if i["level"] == level]
            assert len(at_level) >= 3, (competency["code"], level)
    codes = {p["code"] for p in pack.data["role_profiles"]}
    assert {
        "baliemedewerker-burgerzaken",
        "klantcontactmedewerker-kcc",
        "beleidsadviseur",
        "vergunningverlener",
        "toezichthouder-handhaver",
        "teamleider",
        "projectleider",
        "juridisch-adviseur",
    } <= codes


def test_schema_errors_name_the_place(tmp_path: Path):
    data = yaml.safe_load((PACKS_DIR / "ambtelijk-vakmanschap-3.0.yaml").read_text())
    del data["competencies"][2]["why_daily"]
    data["competencies"][0]["indicators"][0]["level"] = 9
    problems = validate_pack(data)
    assert any(p.startswith("competencies/2") and "why_daily" in p for p in problems)
    assert any(p.startswith("competencies/0/indicators/0/level") for p in problems)


def test_consistency_errors(tmp_path: Path):
    data = yaml.safe_load((PACKS_DIR / "ambtelijk-vakmanschap-3.0.yaml").read_text())
    data["competencies"][1]["code"] = data["competencies"][0]["code"]
    data["role_profiles"][0]["targets"][0]["competency"] = "XX-NIET"
    problems = validate_pack(data)
    assert any("occurs more than once" in p for p in problems)
    assert any("unknown competency XX-NIET" in p for p in problems)


def test_broken_yaml_is_reported_not_raised(tmp_path: Path):
    broken = tmp_path / "kapot.yaml"
    broken.write_text("pack: [unclosed\n")
    with pytest.raises(PackError) as error:
        read_pack(broken)
    assert "kapot.yaml" in error.value.problems[0]

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from vakwerk.audit.models import AuditEvent
from vakwerk.audit.services import Actor
from vakwerk.frameworks import selectors, services
from vakwerk.frameworks.content import PACKS_DIR, read_pack
from vakwerk.frameworks.models import Competency, FrameworkVersion, RoleProfile, VersionStatus

pytestmark = pytest.mark.django_db
ACTOR = Actor(user=None)


@pytest.fixture
def framework_pack():
    return read_pack(PACKS_DIR / "ambtelijk-vakmanschap-3.0.yaml")


@pytest.fixture
def values_pack():
    return read_pack(PACKS_DIR / "kernwaarden-modelgedragscode.yaml")


@pytest.fixture
def draft(organisation, framework_pack) -> FrameworkVersion:
    framework = services.framework_adopt_pack(
        organisation=organisation, actor=ACTOR, pack=framework_pack
    )
    return framework.versions.get()


def test_adopting_the_pack_creates_a_draft_with_levels_indicators_and_profiles(organisation, draft):
    assert draft.is_draft
    assert draft.levels.count() == 4
    assert draft.competencies.count() == 7
    assert Competency.objects.get(version=draft, code="AV-EMP").indicators.count() >= 12
    assert RoleProfile.objects.filter(organisation=organisation).count() >= 8
    assert AuditEvent.objects.filter(action="framework.adopt_pack").exists()


def test_core_values_are_added_once(draft, values_pack):
    assert services.framework_add_pack(version=draft, actor=ACTOR, pack=values_pack) == 5
    assert services.framework_add_pack(version=draft, actor=ACTOR, pack=values_pack) == 0
    assert draft.competencies.filter(kind="kernwaarde").count() == 5


def test_published_version_is_frozen_and_editing_makes_a_new_draft(draft):
    services.framework_publish(version=draft, actor=ACTOR, note="Eerste versie")
    draft.refresh_from_db()
    assert draft.status == VersionStatus.PUBLISHED
    competency = draft.competencies.get(code="AV-RES")
    with pytest.raises(ValidationError):
        services.competency_save(
            version=draft,
            actor=ACTOR,
            competency=competency,
            fields={"name": "Anders"},
            indicators={},
        )
    new = services.framework_new_draft(version=draft, actor=ACTOR)
    assert new.number == 2
    assert new.is_draft
    assert new.competencies.count() == 7
    assert new.competencies.get(code="AV-RES").indicators.count() == competency.indicators.count()
    # Asking again gives the same draft, not a third version.
    assert services.framework_new_draft(version=draft, actor=ACTOR) == new


def test_diff_shows_added_changed_and_indicator_changes(draft, values_pack):
    services.framework_publish(version=draft, actor=ACTOR)
    new = services.framework_new_draft(version=draft, actor=ACTOR)
    services.framework_add_pack(version=new, actor=ACTOR, pack=values_pack)
    changed = new.competencies.get(code="AV-TRA")
    lines = {1: ["Legt uit hoe een besluit tot stand kwam."], 2: [], 3: [], 4: []}
    services.competency_save(
        version=new,
        actor=ACTOR,
        competency=changed,
        fields={"name": "Transparant en open"},
        indicators=lines,
    )
    new.competencies.get(code="AV-NET").delete()
    diff = selectors.version_diff(draft, new)
    assert {c.code for c in diff.added} == {"KW-ONP", "KW-BET", "KW-ZORG", "KW-DIEN", "KW-PROF"}
    assert [c.code for c in diff.removed] == ["AV-NET"]
    change = next(c for c in diff.changed if c.code == "AV-TRA")
    assert change.fields == ["name"]
    assert (1, "Legt uit hoe een besluit tot stand kwam.") in change.indicators_added
    assert change.indicators_removed


def test_publishing_without_indicators_is_refused(draft):
    services.competency_save(
        version=draft,
        actor=ACTOR,
        competency=None,
        fields={
            "code": "KW-LEEG",
            "kind": "kernwaarde",
            "name": "Leeg",
            "description": "x",
            "why_daily": "x",
            "why_career": "x",
        },
        indicators={},
    )
    with pytest.raises(ValidationError, match="KW-LEEG"):
        services.framework_publish(version=draft, actor=ACTOR)


def test_duplicate_code_in_a_version_is_refused(draft):
    with pytest.raises(ValidationError):
        services.competency_save(
            version=draft,
            actor=ACTOR,
            competency=None,
            fields={
                "code": "AV-RES",
                "kind": "vakmanschap",
                "name": "Dubbel",
                "description": "x",
                "why_daily": "x",
                "why_career": "x",
            },
            indicators={1: ["Iets"]},
        )


def test_role_profile_copy_keeps_the_targets(organisation, draft):
    balie = RoleProfile.objects.get(organisation=organisation, code="baliemedewerker-burgerzaken")
    copy = services.role_profile_copy(
        profile=balie, actor=ACTOR, code="balie-senior", name="Senior baliemedewerker"
    )
    assert {(t.competency_code, t.minimum, t.target) for t in copy.targets.all()} == {
        (t.competency_code, t.minimum, t.target) for t in balie.targets.all()
    }


def test_load_content_command(organisation, capsys):
    call_command(
        "load_content",
        str(PACKS_DIR / "ambtelijk-vakmanschap-3.0.yaml"),
        organisation=organisation.slug,
    )
    call_command(
        "load_content",
        str(PACKS_DIR / "kernwaarden-modelgedragscode.yaml"),
        organisation=organisation.slug,
    )
    version = FrameworkVersion.objects.get(framework__organisation=organisation)
    assert version.competencies.count() == 12
    call_command("load_content", str(PACKS_DIR / "kernwaarden-modelgedragscode.yaml"), check=True)
    assert "valid" in capsys.readouterr().out


def test_the_audit_log_names_the_competency_saved_and_deleted(draft):
    """The log drops keys it takes for secrets ("code" among them): the competency's code goes
    under another name, or a deleted competency's line would not say which one it was."""
    competency = draft.competencies.get(code="AV-TRA")
    services.competency_save(
        version=draft,
        actor=ACTOR,
        competency=competency,
        fields={"name": "Transparant en open"},
        indicators={1: ["Legt uit hoe een besluit tot stand kwam."], 2: [], 3: [], 4: []},
    )
    services.competency_delete(competency=competency, actor=ACTOR)
    for action in ("framework.competency_save", "framework.competency_delete"):
        assert AuditEvent.objects.get(action=action).details == {"competency": "AV-TRA"}

"""Reads of frameworks as they stand now."""

import pytest
from django.utils import translation

from vakwerk.audit.services import Actor
from vakwerk.frameworks import services
from vakwerk.frameworks.selectors import current_competencies, current_competency_labels

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_labels_are_the_current_competencies_names(organisation, framework_version, language):
    with translation.override(language):
        full = {code: c.label for code, c in current_competencies(organisation).items()}
        labels = current_competency_labels(organisation)
    assert labels == full
    assert len(labels) >= 7
    english = {c.code: c.name_en for c in framework_version.competencies.all()}
    code = next(iter(labels))
    assert (labels[code] == english[code]) == (language == "en")


def test_an_organisation_without_a_published_framework_has_no_labels(organisation):
    assert current_competency_labels(organisation) == {}


def test_the_labels_follow_the_newest_published_version(organisation, framework_version):
    actor = Actor(user=None)
    draft = services.framework_new_draft(version=framework_version, actor=actor)
    renamed = draft.competencies.order_by("code").first()
    assert renamed is not None
    renamed.name = "Nieuwe naam"
    renamed.save()
    assert current_competency_labels(organisation)[renamed.code] != "Nieuwe naam"  # a draft
    services.framework_publish(version=draft, actor=actor)
    with translation.override("nl"):
        labels = current_competency_labels(organisation)
        full = {code: c.label for code, c in current_competencies(organisation).items()}
    assert labels[renamed.code] == "Nieuwe naam"
    assert labels == full

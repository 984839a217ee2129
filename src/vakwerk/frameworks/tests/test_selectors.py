"""Reads of frameworks as they stand now."""

import pytest
from django.utils import translation

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

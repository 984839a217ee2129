"""``one_decimal`` writes every number exactly as ``floatformat:1`` does, in Dutch and English."""

import random

import pytest
from django.template import Context, Template
from django.template.defaultfilters import floatformat
from django.test import override_settings
from django.utils import translation

from vakwerk.lib.numbers import one_decimal

EDGES = [0, 0.0, -0.0, 4, 2.25, 2.35, -2.25, 0.05, -0.04, -0.05, 0.95, 3.95, 1e-20, 2.449999,
         12345.65, -1e16, 1e16, float("inf"), float("-inf"), float("nan")]  # fmt: skip


@pytest.mark.parametrize("language", ["nl", "en"])
def test_one_decimal_writes_what_floatformat_writes(language):
    rng = random.Random(7)
    randoms = [rng.uniform(-5, 5) for _ in range(2000)]
    halves = [rng.randint(0, 80) / 20 for _ in range(200)]  # exactly between two tenths
    with translation.override(language):
        differing = [
            (v, one_decimal(v), floatformat(v, 1))
            for v in EDGES + randoms + halves
            if one_decimal(v) != str(floatformat(v, 1))
        ]
    assert differing == []


def test_the_decimal_separator_follows_the_language_and_none_is_empty():
    with translation.override("nl"):
        assert one_decimal(2.25) == "2,3"
    with translation.override("en"):
        assert one_decimal(2.25) == "2.3"
    assert one_decimal(None) == ""


@override_settings(USE_THOUSAND_SEPARATOR=True)
def test_with_thousand_separators_it_leaves_the_grouping_to_django():
    with translation.override("nl"):
        assert one_decimal(12345.65) == str(floatformat(12345.65, 1)) == "12.345,7"


def test_the_tenths_filter():
    template = Template("{% load vakwerk %}{{ a|tenths }}|{{ b|tenths|default:'-' }}")
    with translation.override("nl"):
        assert template.render(Context({"a": 3.05, "b": None})) == "3,1|-"

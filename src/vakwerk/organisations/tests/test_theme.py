import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from vakwerk.organisations.theme import contrast_ratio, theme_css, validate_theme


def test_contrast_ratio_matches_wcag_reference_values():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#ffffff", "#ffffff") == pytest.approx(1.0)
    # #767676 on white is the classic just-passing AA grey (4.54:1).
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


@pytest.mark.parametrize(("language", "ratio"), [("en", "1.1:1"), ("nl", "1,1:1")])
def test_low_contrast_primary_is_refused_with_the_field_named(language, ratio):
    with translation.override(language), pytest.raises(ValidationError) as error:
        validate_theme({"primary": "#ffff00", "primary_text": "#ffffff"})
    assert "primary_text" in error.value.message_dict
    assert ratio in error.value.message_dict["primary_text"][0]


def test_colour_that_is_not_hex_is_refused():
    with pytest.raises(ValidationError) as error:
        validate_theme({"link": "red; background: url(x)"})
    assert "link" in error.value.message_dict


def test_unknown_key_is_refused():
    with pytest.raises(ValidationError) as error:
        validate_theme({"font": "#000000"})
    assert "font" in error.value.message_dict


def test_good_theme_becomes_css_custom_properties():
    theme = validate_theme({"primary": "#004B87", "primary_text": "#FFFFFF"})
    assert theme == {"primary": "#004b87", "primary_text": "#ffffff"}
    css = theme_css(theme)
    assert "--vakwerk-primary: #004b87;" in css
    assert "--vakwerk-header-bg: #1d4f6e;" in css  # defaults fill the rest

"""Organisation themes: a few design-token values, validated for WCAG AA contrast.

A theme overrides the five ``--vakwerk-*`` custom properties of static/css/vakwerk-theme.css.
Colours are ``#rrggbb`` only, so a theme can never inject CSS.
"""

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
AA_NORMAL_TEXT = 4.5
WHITE = "#ffffff"


@dataclass(frozen=True)
class ThemeToken:
    key: str
    css_variable: str
    label: "StrOrPromise"
    default: str


THEME_TOKENS = (
    ThemeToken("primary", "--vakwerk-primary", gettext_lazy("Primary colour"), "#1d4f6e"),
    ThemeToken(
        "primary_text", "--vakwerk-primary-text", gettext_lazy("Text on primary"), "#ffffff"
    ),
    ThemeToken("link", "--vakwerk-link", gettext_lazy("Link colour"), "#1d4f6e"),
    ThemeToken("header_bg", "--vakwerk-header-bg", gettext_lazy("Header background"), "#1d4f6e"),
    ThemeToken("header_text", "--vakwerk-header-text", gettext_lazy("Header text"), "#ffffff"),
)

# Pairs that are text on a background: (text token, background token or a fixed colour, label).
CONTRAST_PAIRS = (
    ("primary_text", "primary"),
    ("header_text", "header_bg"),
    ("link", WHITE),
)


def _channel(value: int) -> float:
    srgb = value / 255
    return srgb / 12.92 if srgb <= 0.04045 else ((srgb + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(red) + 0.7152 * _channel(green) + 0.0722 * _channel(blue)


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2.1 contrast ratio between two ``#rrggbb`` colours, from 1 to 21."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def resolved_theme(theme: dict[str, str]) -> dict[str, str]:
    return {token.key: theme.get(token.key) or token.default for token in THEME_TOKENS}


def validate_theme(theme: dict[str, str]) -> dict[str, str]:
    """Return the cleaned theme, or raise ValidationError naming each bad field."""
    errors: dict[str, list[str]] = {}
    known = {token.key: token for token in THEME_TOKENS}
    for key, value in theme.items():
        if key not in known:
            errors.setdefault(key, []).append(_("Unknown theme setting."))
        elif value and not HEX_COLOUR.match(value):
            errors.setdefault(key, []).append(
                _("Enter a colour as # followed by six hexadecimal digits, e.g. #1d4f6e.")
            )
    if errors:
        raise ValidationError(errors)
    full = resolved_theme(theme)
    for text_key, background in CONTRAST_PAIRS:
        background_colour = full.get(background, background)
        ratio = contrast_ratio(full[text_key], background_colour)
        if ratio < AA_NORMAL_TEXT:
            errors.setdefault(text_key, []).append(
                _(
                    "Contrast with %(background)s is %(ratio)s:1; WCAG AA needs at least "
                    "%(needed)s:1. Choose a darker or lighter colour."
                )
                % {
                    "background": known[background].label if background in known else background,
                    "ratio": number_format(round(ratio, 1), 1),
                    "needed": number_format(AA_NORMAL_TEXT, 1),
                }
            )
    if errors:
        raise ValidationError(errors)
    return {key: value.lower() for key, value in theme.items() if value}


def theme_css(theme: dict[str, str]) -> str:
    full = resolved_theme(theme)
    lines = [f"  {token.css_variable}: {full[token.key]};" for token in THEME_TOKENS]
    return ".vakwerk-theme {\n" + "\n".join(lines) + "\n}\n"

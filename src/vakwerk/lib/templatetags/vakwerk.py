from collections.abc import Mapping
from typing import Any

from django import forms, template
from django.utils.safestring import SafeString

from vakwerk.lib import urls
from vakwerk.lib.forms import mark_invalid, style_fields
from vakwerk.lib.numbers import one_decimal

register = template.Library()


@register.simple_tag
def styled_form(form: forms.BaseForm) -> SafeString:
    """Render any form (also allauth's) with the NL Design System field layout."""
    style_fields(form)
    if form.is_bound:
        mark_invalid(form)
    return form.render(template_name="forms/div.html")


@register.filter
def tenths(value: float | None) -> str:
    """``{{ level|tenths }}``: as ``floatformat:1``, cheaper (``lib.numbers.one_decimal``)."""
    return one_decimal(value)


@register.filter
def get_item(mapping: Mapping[str, Any], key: str) -> Any:
    """``mapping[key]`` in a template, or None when it is missing."""
    return mapping.get(key) if mapping else None


@register.simple_tag
def fixed_url(url_name: str) -> str:
    """``{% url url_name %}`` for a URL without arguments, worked out once per process: for
    the addresses every page shows (``vakwerk.lib.urls``)."""
    return urls.fixed_url(url_name)


@register.simple_tag
def asset(path: str) -> str:
    """``{% static path %}``, worked out once per process (``vakwerk.lib.urls``)."""
    return urls.asset_url(path)

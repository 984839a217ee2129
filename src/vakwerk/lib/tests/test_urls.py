"""Addresses worked out once per process are the ones Django works out each time, also after
the script prefix changes (a deployment under a sub-path)."""

from django.template import Context, Template
from django.templatetags.static import static
from django.urls import get_script_prefix, reverse, set_script_prefix

from vakwerk.lib.urls import asset_url, fixed_url


def test_a_fixed_url_follows_the_script_prefix():
    assert fixed_url("practice:today") == reverse("practice:today")
    before = get_script_prefix()
    set_script_prefix("/vakwerk/")
    try:
        assert fixed_url("practice:today") == reverse("practice:today")
        assert fixed_url("practice:today").startswith("/vakwerk/")
    finally:
        set_script_prefix(before)
    assert not fixed_url("practice:today").startswith("/vakwerk/")


def test_the_template_tags_give_what_url_and_static_give():
    rendered = Template(
        "{% load static vakwerk %}{% fixed_url 'shell:home' %} {% url 'shell:home' %} "
        "{% asset 'css/vakwerk.css' %} {% static 'css/vakwerk.css' %}"
    ).render(Context())
    home, home_again, css, css_again = rendered.split()
    assert home == home_again == reverse("shell:home")
    assert css == css_again == static("css/vakwerk.css") == asset_url("css/vakwerk.css")

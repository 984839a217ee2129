"""The main navigation: which pages each role sees."""

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.functional import Promise
from django.utils.translation import get_language, override
from django.utils.translation import gettext_lazy as _

from vakwerk.lib.urls import fixed_url
from vakwerk.organisations.models import Role

OPERATOR = "operator"
ANY_MEMBER = "member"


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    audience: tuple[str, ...]


NAVIGATION = (
    NavItem(_("Overview"), "shell:home", (ANY_MEMBER, OPERATOR)),
    NavItem(_("My details"), "people:profile", (ANY_MEMBER,)),
    NavItem(_("Questionnaires"), "questionnaires:mine", (ANY_MEMBER,)),
    NavItem(_("My results"), "insights:mine", (ANY_MEMBER,)),
    NavItem(_("My development"), "development:mine", (ANY_MEMBER,)),
    NavItem(_("My badges"), "badges:mine", (ANY_MEMBER,)),
    NavItem(_("Practise today"), "practice:today", (ANY_MEMBER,)),
    NavItem(_("My data"), "privacy:index", (ANY_MEMBER,)),
    NavItem(_("My team"), "people:my_team", (Role.MANAGER,)),
    NavItem(_("Team results"), "insights:team", (Role.MANAGER,)),
    NavItem(_("Team plans"), "development:team", (Role.MANAGER,)),
    NavItem(_("Employees"), "people:employees", (Role.HR,)),
    NavItem(_("Frameworks"), "frameworks:list", (Role.HR,)),
    NavItem(_("Role profiles"), "frameworks:role_profiles", (Role.HR,)),
    NavItem(_("Learning offer"), "catalogue:list", (Role.HR,)),
    NavItem(_("Rounds"), "rounds:list", (Role.HR,)),
    NavItem(_("Organisation results"), "insights:organisation", (Role.HR,)),
    NavItem(_("Learning needs"), "development:needs", (Role.HR,)),
    NavItem(_("Practice scenarios"), "scenarios:families", (Role.HR,)),
    NavItem(_("Campaigns"), "campaigns:list", (Role.HR,)),
    NavItem(_("Organisation settings"), "organisations:settings", (Role.HR, Role.ADMIN)),
    NavItem(_("House style"), "organisations:theme", (Role.HR, Role.ADMIN)),
    NavItem(_("Login with SSO"), "accounts:oidc_settings", (Role.HR, Role.ADMIN)),
    NavItem(_("Learning Record Store"), "xapi:settings", (Role.HR, Role.ADMIN)),
    NavItem(_("API tokens"), "api_tokens:list", (Role.HR, Role.ADMIN)),
    NavItem(_("Audit log"), "audit:events", (Role.HR, Role.ADMIN)),
    NavItem(_("Organisations"), "organisations:operator_list", (OPERATOR,)),
    NavItem(_("Periodic jobs"), "jobs:list", (OPERATOR,)),
    NavItem(_("Security"), "mfa_index", (ANY_MEMBER, OPERATOR)),
)


def audiences(request: HttpRequest) -> set[str]:
    membership = getattr(request, "membership", None)
    found: set[str] = set()
    if membership is not None:
        found.add(ANY_MEMBER)
        found.update(membership.roles)
    if getattr(request.user, "is_operator", False):
        found.add(OPERATOR)
    return found


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The items the viewer's roles see (``navigation``, also the home page's tiles) and their
    list as HTML (``navigation_list``, rendered once per language, set of items and current
    item: every page shows it, and its loop rendered a third of the layout's variables, 18 of
    49 on an employee's scenario page)."""
    if not request.user.is_authenticated:
        return {"navigation": [], "navigation_list": ""}
    mine = audiences(request)
    visible = tuple(
        (index, fixed_url(item.url_name))
        for index, item in enumerate(NAVIGATION)
        if mine.intersection(item.audience)
    )
    # The current page is the item with the longest URL that the path starts with.
    matches = [
        url
        for _, url in visible
        if request.path == url or (url != "/" and request.path.startswith(url))
    ]
    current = max(matches, key=len) if matches else None
    return {
        "navigation": _items(visible, current),
        "navigation_list": _list(get_language(), visible, current),
    }


def _items(visible: tuple[tuple[int, str], ...], current: str | None) -> list[dict[str, Any]]:
    return [
        {"label": NAVIGATION[index].label, "url": url, "current": url == current}
        for index, url in visible
    ]


@lru_cache(maxsize=1024)  # languages x role combinations x current items: a few hundred
def _list(language: str | None, visible: tuple[tuple[int, str], ...], current: str | None) -> str:
    """The list of the ``NAVIGATION`` items at these positions with these addresses. Keyed by
    position, not by item: an item's label is a lazy text, hashed in the active language."""
    items = _items(visible, current)
    with override(language):
        return render_to_string("shell/navigation_list.html", {"navigation_items": items})

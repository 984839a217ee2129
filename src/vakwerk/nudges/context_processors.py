"""The number of unread notifications for the page header, counted only when a page shows it."""

from functools import cached_property
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest

from vakwerk.nudges.notifications import unread_count

if TYPE_CHECKING:
    from vakwerk.accounts.models import User
    from vakwerk.organisations.models import Organisation


class UnreadCount:
    """``{{ unread_notifications.value }}``: one COUNT query, the first time it is read."""

    def __init__(self, organisation: "Organisation", user: "User") -> None:
        self._organisation = organisation
        self._user = user

    @cached_property
    def value(self) -> int:
        return unread_count(self._organisation, self._user)


def notifications(request: HttpRequest) -> dict[str, Any]:
    organisation = getattr(request, "organisation", None)
    user = getattr(request, "user", None)
    if organisation is None or user is None or not user.is_authenticated:
        return {"unread_notifications": None}
    return {"unread_notifications": UnreadCount(organisation, user)}

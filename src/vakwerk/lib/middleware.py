import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class PermissionsPolicyMiddleware:
    """Adds the Permissions-Policy header. Written here rather than taking
    django-permissions-policy: one fixed header is four lines, not a dependency."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class SessionIdleTimeoutMiddleware:
    """Keeps a session alive while its user works: the session is saved again, which moves its
    expiry to ``SESSION_COOKIE_AGE`` from now, when it was last saved more than
    ``VAKWERK_SESSION_REFRESH`` seconds ago. The session age is thereby an idle timeout.

    Django's ``SESSION_SAVE_EVERY_REQUEST`` does the same on every request: an UPDATE and a
    commit per page view, a third of the statements of a practice step. Refreshing every few
    minutes instead makes the timeout at most that much shorter (8 hours minus 5 minutes).
    Only an existing session is refreshed: an anonymous visit or a logout creates none.
    """

    KEY = "vakwerk_refreshed"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = request.session
        # Not read during the request (a request refused before the login was looked at): a
        # cookie's key is not known to be a session at all, and writing would create one.
        if not session.accessed or session.session_key is None or session.is_empty():
            return response
        now = int(time.time())
        refreshed = session.get(self.KEY)
        if not isinstance(refreshed, int) or not 0 <= now - refreshed < settings.SESSION_REFRESH:
            session[self.KEY] = now
        return response

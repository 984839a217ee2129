"""View decorators: who may open a page. Every view in Vakwerk uses one of these."""

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from vakwerk.organisations.models import Role

if TYPE_CHECKING:
    from vakwerk.accounts.models import User
    from vakwerk.organisations.models import Membership, Organisation


class OrganisationRequest(HttpRequest):
    """The request as views behind ``role_required`` see it (for type checking only)."""

    user: "User"
    organisation: "Organisation"
    membership: "Membership"


View = Callable[..., HttpResponse]


def role_required(*roles: Role) -> Callable[[View], View]:
    """Logged in, a member of the active organisation, holding at least one of ``roles``.

    Without roles any membership will do.
    """

    def decorator(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            membership = getattr(request, "membership", None)
            if membership is None:
                raise PermissionDenied
            if roles and not any(membership.has_role(role) for role in roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def operator_required(view: View) -> View:
    """Installation operators only. Others get 404: the operator area is invisible to them."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_operator:  # type: ignore[union-attr]
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper

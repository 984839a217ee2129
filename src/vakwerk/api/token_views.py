"""HR's pages for the organisation's API tokens: list, make (shown once), revoke."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from vakwerk.api import selectors, services
from vakwerk.api.token_forms import SCOPE_HELP, ApiTokenForm
from vakwerk.audit.services import Actor
from vakwerk.organisations.models import Role
from vakwerk.organisations.permissions import OrganisationRequest, role_required

# The plain token waits between making it and the one page that shows it in a short-lived
# signed cookie of that page alone: the browser is about to show it anyway, and it never lands
# in the session table (Vakwerk stores tokens only as a hash). A refresh of the form's POST
# cannot make a second token (post, redirect, get).
COOKIE = "vakwerk_new_api_token"
COOKIE_SALT = "vakwerk.api.token_created"
COOKIE_SECONDS = 300


@role_required(Role.HR, Role.ADMIN)
@require_GET
def token_list(request: OrganisationRequest) -> HttpResponse:
    tokens = selectors.api_tokens(request.organisation)
    return render(request, "api/token_list.html", {"tokens": tokens})


@role_required(Role.HR, Role.ADMIN)
@require_http_methods(["GET", "POST"])
def token_create(request: OrganisationRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST) if request.method == "POST" else ApiTokenForm()
    if form.is_bound and form.is_valid():
        try:
            token, plain = services.api_token_create(
                organisation=request.organisation,
                actor=Actor.from_request(request),
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            response = redirect("api_tokens:created")
            response.set_signed_cookie(
                COOKIE,
                f"{token.pk}:{plain}",
                salt=COOKIE_SALT,
                max_age=COOKIE_SECONDS,
                path=reverse("api_tokens:created"),
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Strict",
            )
            return response
    scopes = [(choice, SCOPE_HELP.get(choice.data["value"], "")) for choice in form["scopes"]]
    return render(request, "api/token_form.html", {"form": form, "scopes": scopes})


@role_required(Role.HR, Role.ADMIN)
@require_GET
@never_cache
def token_created(request: OrganisationRequest) -> HttpResponse:
    """Shows the new token once: its cookie is deleted as this page is made."""
    new = request.get_signed_cookie(COOKIE, default="", salt=COOKIE_SALT, max_age=COOKIE_SECONDS)
    token_id, _sep, plain = (new or "").partition(":")
    response: HttpResponse
    if not token_id.isdecimal() or not plain:
        response = redirect("api_tokens:list")
        messages.info(request, _("A token is shown only once, right after it is made."))
    else:
        token = selectors.api_token_of(request.organisation, int(token_id))
        response = render(request, "api/token_created.html", {"token": token, "plain": plain})
    response.delete_cookie(COOKIE, path=reverse("api_tokens:created"), samesite="Strict")
    return response


@role_required(Role.HR, Role.ADMIN)
@require_http_methods(["GET", "POST"])
def token_revoke(request: OrganisationRequest, token_id: int) -> HttpResponse:
    """GET asks for confirmation; POST revokes the token."""
    token = selectors.api_token_of(request.organisation, token_id)
    if not token.is_active:
        messages.info(request, _("%(name)s was already revoked.") % {"name": token.name})
        return redirect("api_tokens:list")
    if request.method == "POST":
        services.api_token_revoke(token=token, actor=Actor.from_request(request))
        messages.success(
            request,
            _("%(name)s is revoked; clients using it are refused from now on.")
            % {"name": token.name},
        )
        return redirect("api_tokens:list")
    return render(request, "api/token_revoke.html", {"token": token})

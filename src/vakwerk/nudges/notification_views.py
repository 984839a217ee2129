"""The notification centre, the choices about emails, and the unsubscribe link from emails.

Everyone sees only their own notifications in the active organisation: another person's
(or another organisation's) notification is 404. The unsubscribe page needs no login: the
signed token in the link names the person and what to stop.
"""

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from vakwerk.accounts.models import User
from vakwerk.audit.services import Actor, client_ip
from vakwerk.lib.pagination import paginate
from vakwerk.nudges import notifications
from vakwerk.nudges.email import read_unsubscribe_token
from vakwerk.nudges.notification_forms import PreferenceForm
from vakwerk.organisations.permissions import OrganisationRequest, role_required

PER_PAGE = 25


@role_required()
@require_GET
def notification_list(request: OrganisationRequest) -> HttpResponse:
    found = notifications.notifications_of(request.organisation, request.user)
    page = paginate(request, found, per_page=PER_PAGE)
    items = [(n, notifications.notification_text(n)) for n in page]
    unread = notifications.unread_count(request.organisation, request.user)
    return render(
        request,
        "nudges/notifications/list.html",
        {"page": page, "items": items, "unread": unread},
    )


@role_required()
@require_GET
def notification_open(request: OrganisationRequest, notification_id: int) -> HttpResponse:
    """Follow a notification's link and mark it read on the way (a GET, so the link works as
    a link: opening in a new tab, copying; marking read is harmless to repeat)."""
    notification = notifications.notification_of(
        request.organisation, request.user, notification_id
    )
    notifications.notification_mark_read(notification=notification)
    target = notification.url
    if (
        target.startswith("/")
        and not target.startswith("//")
        and url_has_allowed_host_and_scheme(target, allowed_hosts=None)
    ):
        return redirect(target)
    return redirect("notifications:list")


@role_required()
@require_POST
def notification_read(request: OrganisationRequest, notification_id: int) -> HttpResponse:
    notification = notifications.notification_of(
        request.organisation, request.user, notification_id
    )
    notifications.notification_mark_read(notification=notification)
    return _back_to_list(request)


@role_required()
@require_POST
def notification_read_all(request: OrganisationRequest) -> HttpResponse:
    count = notifications.notifications_mark_all_read(
        organisation=request.organisation, user=request.user
    )
    if count:
        messages.success(request, _("All notifications are marked as read."))
    return _back_to_list(request)


def _back_to_list(request: OrganisationRequest) -> HttpResponse:
    page = request.POST.get("pagina", "")
    response = redirect("notifications:list")
    if page.isdigit():
        response["Location"] += f"?pagina={page}"
    return response


@role_required()
@require_http_methods(["GET", "POST"])
def preferences(request: OrganisationRequest) -> HttpResponse:
    preference = notifications.preference_of(request.user)
    form = PreferenceForm(request.POST or None, instance=preference)
    if request.method == "POST" and form.is_valid():
        saved = notifications.preference_update(
            user=request.user,
            actor=Actor.from_request(request),
            organisation=request.organisation,
            language=form.cleaned_data["language"],
            weekly_digest=form.cleaned_data["weekly_digest"],
            reminders=form.cleaned_data["reminders"],
        )
        language_chosen = "language" in form.changed_data
        if language_chosen:
            # The pages follow a newly chosen language, as the language switch does.
            translation.activate(saved.language)
        messages.success(request, _("Your choices have been saved."))
        response = redirect("notifications:preferences")
        if not language_chosen:
            return response
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            saved.language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
        return response
    return render(request, "nudges/notifications/preferences.html", {"form": form})


# One-click unsubscribe (RFC 8058): mail programs POST "List-Unsubscribe=One-Click" to this
# address from the List-Unsubscribe header, without cookies and so without a CSRF token. The
# signed token in the address is what authorises the request, not a session; the only thing
# it can do is switch emails off (idempotently), which is exactly what anyone holding the link
# may do. That is why this one view, and no other, is exempt from CSRF protection.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        user_id, scope = read_unsubscribe_token(token)
    except signing.BadSignature:
        return render(request, "nudges/notifications/unsubscribe_invalid.html", status=404)
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return render(request, "nudges/notifications/unsubscribe_invalid.html", status=404)
    if request.method == "GET":
        return render(
            request, "nudges/notifications/unsubscribe.html", {"scope": scope, "token": token}
        )
    chosen = notifications.ALL if request.POST.get("scope") == notifications.ALL else scope
    # The link stands for the person it was sent to: they are the actor.
    notifications.unsubscribe(
        user=user, scope=chosen, actor=Actor(user=user, origin=client_ip(request))
    )
    return render(
        request, "nudges/notifications/unsubscribe_done.html", {"scope": chosen, "token": token}
    )

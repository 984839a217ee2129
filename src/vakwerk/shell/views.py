from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from vakwerk.measurement.pulse_selectors import open_pulse_for_user
from vakwerk.shell.navigation import navigation


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    tiles = [item for item in navigation(request)["navigation"] if item["url"] != request.path]
    pulse = open_pulse_for_user(getattr(request, "organisation", None), request.user)
    return render(request, "shell/home.html", {"tiles": tiles, "open_pulse": pulse})


@require_GET
def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "shell/accessibility.html")


@require_GET
def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "shell/privacy.html")

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from vakwerk.audit.services import Actor
from vakwerk.lib.pagination import paginate
from vakwerk.organisations import services
from vakwerk.organisations.forms import (
    OrganisationCreateForm,
    OrganisationEditForm,
    PolicyForm,
    ThemeForm,
)
from vakwerk.organisations.middleware import SESSION_KEY
from vakwerk.organisations.models import Membership, Organisation, Role
from vakwerk.organisations.permissions import (
    OrganisationRequest,
    operator_required,
    role_required,
)
from vakwerk.organisations.theme import theme_css


@role_required()
@require_POST
def switch(request: OrganisationRequest) -> HttpResponse:
    membership = Membership.objects.filter(
        user=request.user,
        organisation__slug=request.POST.get("organisation", ""),
        organisation__is_active=True,
    ).first()
    if membership is None:
        raise Http404
    request.session[SESSION_KEY] = membership.organisation_id
    messages.success(
        request, _("You are now working in %(name)s.") % {"name": membership.organisation.name}
    )
    return redirect("shell:home")


@role_required()
@require_GET
@cache_control(private=True, max_age=300)
def theme_stylesheet(request: OrganisationRequest) -> HttpResponse:
    return HttpResponse(theme_css(request.organisation.theme), content_type="text/css")


@role_required(Role.HR, Role.ADMIN)
@require_http_methods(["GET", "POST"])
def organisation_settings(request: OrganisationRequest) -> HttpResponse:
    organisation = request.organisation
    form = PolicyForm(request.POST or None, instance=organisation)
    if request.method == "POST" and form.is_valid():
        services.organisation_update_policies(
            organisation=Organisation.objects.get(pk=organisation.pk),
            actor=Actor.from_request(request),
            **{field: form.cleaned_data[field] for field in services.POLICY_FIELDS},
        )
        messages.success(request, _("The settings have been saved."))
        return redirect("organisations:settings")
    return render(request, "organisations/settings.html", {"form": form})


@role_required(Role.HR, Role.ADMIN)
@require_http_methods(["GET", "POST"])
def theme(request: OrganisationRequest) -> HttpResponse:
    organisation = request.organisation
    form = ThemeForm(request.POST or None, request.FILES or None, theme=organisation.theme)
    if request.method == "POST" and form.is_valid():
        services.organisation_update_theme(
            organisation=organisation,
            actor=Actor.from_request(request),
            theme=form.cleaned_data["theme"],
            logo=form.cleaned_data.get("logo"),
            remove_logo=form.cleaned_data.get("remove_logo", False),
        )
        messages.success(request, _("The house style has been saved."))
        return redirect("organisations:theme")
    return render(request, "organisations/theme.html", {"form": form})


@operator_required
@require_GET
def operator_list(request: HttpRequest) -> HttpResponse:
    page = paginate(request, Organisation.objects.order_by("name"), per_page=25)
    return render(request, "organisations/operator_list.html", {"page": page})


@operator_required
@require_http_methods(["GET", "POST"])
def operator_create(request: HttpRequest) -> HttpResponse:
    form = OrganisationCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        organisation = services.organisation_create(
            actor=Actor.from_request(request),
            slug=form.cleaned_data["slug"],
            name=form.cleaned_data["name"],
        )
        messages.success(request, _("%(name)s has been created.") % {"name": organisation.name})
        return redirect("organisations:operator_list")
    return render(request, "organisations/operator_form.html", {"form": form, "creating": True})


@operator_required
@require_http_methods(["GET", "POST"])
def operator_edit(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = get_object_or_404(Organisation, slug=slug)
    form = OrganisationEditForm(request.POST or None, instance=organisation)
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "organisations/operator_form.html", {"form": form})
        with transaction.atomic():
            services.organisation_update(
                organisation=Organisation.objects.select_for_update().get(pk=organisation.pk),
                actor=Actor.from_request(request),
                name=form.cleaned_data["name"],
                is_active=form.cleaned_data["is_active"],
            )
        messages.success(request, _("The organisation has been saved."))
        return redirect("organisations:operator_list")
    return render(
        request, "organisations/operator_form.html", {"form": form, "organisation": organisation}
    )

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from vakwerk.audit.services import Actor
from vakwerk.frameworks import selectors, services
from vakwerk.frameworks.content import shipped_pack, shipped_packs
from vakwerk.frameworks.forms import (
    CompetencyForm,
    CopyProfileForm,
    LevelsForm,
    PublishForm,
    RoleProfileForm,
)
from vakwerk.frameworks.models import Competency, FrameworkVersion, RoleProfile
from vakwerk.lib.ids import parse_id
from vakwerk.organisations.models import Role
from vakwerk.organisations.permissions import OrganisationRequest, role_required


def _error_messages(request: OrganisationRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@role_required(Role.HR)
@require_GET
def framework_list(request: OrganisationRequest) -> HttpResponse:
    language = get_language() or "nl"
    packs = [
        {
            "slug": pack.slug,
            "title": pack.title(language),
            "description": pack.description(language),
        }
        for pack in shipped_packs()
        if pack.kind == "framework"
    ]
    context = {"frameworks": selectors.frameworks(request.organisation), "packs": packs}
    return render(request, "frameworks/framework_list.html", context)


@role_required(Role.HR)
@require_POST
def adopt_pack(request: OrganisationRequest) -> HttpResponse:
    pack = shipped_pack(request.POST.get("pack", ""))
    if pack is None or pack.kind != "framework":
        raise Http404
    try:
        framework = services.framework_adopt_pack(
            organisation=request.organisation, actor=Actor.from_request(request), pack=pack
        )
    except ValidationError as error:
        _error_messages(request, error)
        return redirect("frameworks:list")
    messages.success(request, _("The framework has been added as a draft. Check it and publish."))
    return redirect("frameworks:version", version_id=framework.versions.get().pk)


@role_required(Role.HR)
@require_GET
def version_detail(request: OrganisationRequest, version_id: int) -> HttpResponse:
    version = selectors.version_of(request.organisation, version_id)
    language = get_language() or "nl"
    value_packs = [
        {"slug": pack.slug, "title": pack.title(language)}
        for pack in shipped_packs()
        if pack.kind == "core_values"
    ]
    context = {
        "version": version,
        "levels": list(version.levels.all()),
        "competencies": selectors.version_content(version),
        "other_versions": version.framework.versions.exclude(pk=version.pk),
        "publish_form": PublishForm(),
        "value_packs": value_packs,
    }
    return render(request, "frameworks/version_detail.html", context)


@role_required(Role.HR)
@require_POST
def add_pack(request: OrganisationRequest, version_id: int) -> HttpResponse:
    version = selectors.version_of(request.organisation, version_id)
    pack = shipped_pack(request.POST.get("pack", ""))
    if pack is None or pack.kind != "core_values":
        raise Http404
    try:
        added = services.framework_add_pack(
            version=version, actor=Actor.from_request(request), pack=pack
        )
    except ValidationError as error:
        _error_messages(request, error)
    else:
        messages.success(request, _("%(count)s core values added.") % {"count": added})
    return redirect("frameworks:version", version_id=version.pk)


@role_required(Role.HR)
@require_POST
def publish(request: OrganisationRequest, version_id: int) -> HttpResponse:
    version = selectors.version_of(request.organisation, version_id)
    form = PublishForm(request.POST)
    if form.is_valid():
        try:
            services.framework_publish(
                version=version, actor=Actor.from_request(request), note=form.cleaned_data["note"]
            )
        except ValidationError as error:
            _error_messages(request, error)
        else:
            messages.success(
                request, _("Version %(number)s is published.") % {"number": version.number}
            )
    return redirect("frameworks:version", version_id=version.pk)


@role_required(Role.HR)
@require_POST
def new_draft(request: OrganisationRequest, version_id: int) -> HttpResponse:
    version = selectors.version_of(request.organisation, version_id)
    draft = services.framework_new_draft(version=version, actor=Actor.from_request(request))
    messages.success(
        request, _("You are editing draft version %(number)s.") % {"number": draft.number}
    )
    return redirect("frameworks:version", version_id=draft.pk)


def _competency_form(
    request: OrganisationRequest, version: FrameworkVersion, competency: Competency | None
) -> HttpResponse:
    if not version.is_draft:
        messages.error(request, _("A published version cannot be changed; start a new draft."))
        return redirect("frameworks:version", version_id=version.pk)
    form = CompetencyForm(
        request.POST or None, instance=competency, levels=list(version.levels.all())
    )
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in CompetencyForm.Meta.fields}
        try:
            services.competency_save(
                version=version,
                actor=Actor.from_request(request),
                competency=competency,
                fields=fields,
                indicators=form.indicator_lines(),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The competency has been saved."))
            return redirect("frameworks:version", version_id=version.pk)
    return render(
        request,
        "frameworks/competency_form.html",
        {"form": form, "version": version, "competency": competency},
    )


@role_required(Role.HR)
@require_http_methods(["GET", "POST"])
def competency_create(request: OrganisationRequest, version_id: int) -> HttpResponse:
    version = selectors.version_of(request.organisation, version_id)
    return _competency_form(request, version, None)


@role_required(Role.HR)
@require_http_methods(["GET", "POST"])
def competency_edit(
    request: OrganisationRequest, version_id: int, competency_id: int
) -> HttpResponse:
    version = selectors.version_of(request.organisation, version_id)
    competency = get_object_or_404(version.competencies, pk=competency_id)
    return _competency_form(request, version, competency)


@role_required(Role.HR)
@require_http_methods(["GET", "POST"])
def levels_edit(request: OrganisationRequest, version_id: int) -> HttpResponse:
    version = selectors.version_of(request.organisation, version_id)
    if not version.is_draft:
        messages.error(request, _("A published version cannot be changed; start a new draft."))
        return redirect("frameworks:version", version_id=version.pk)
    form = LevelsForm(request.POST or None, levels=list(version.levels.all()))
    if request.method == "POST" and form.is_valid():
        services.levels_save(version=version, actor=Actor.from_request(request), names=form.names())
        messages.success(request, _("The level names have been saved."))
        return redirect("frameworks:version", version_id=version.pk)
    return render(request, "frameworks/levels_form.html", {"form": form, "version": version})


@role_required(Role.HR)
@require_GET
def version_compare(request: OrganisationRequest, version_id: int) -> HttpResponse:
    version = selectors.version_of(request.organisation, version_id)
    other_id = request.GET.get("met", "")
    others = version.framework.versions.exclude(pk=version.pk)
    other_pk = parse_id(other_id)
    other = others.filter(pk=other_pk).first() if other_pk is not None else None
    if other is None:
        other = others.filter(number__lt=version.number).order_by("-number").first()
    if other is None:
        messages.info(request, _("There is no other version to compare with yet."))
        return redirect("frameworks:version", version_id=version.pk)
    old, new = sorted((other, version), key=lambda v: v.number)
    context = {
        "old": old,
        "new": new,
        "diff": selectors.version_diff(old, new),
        "version": version,
        "others": others,
    }
    return render(request, "frameworks/version_compare.html", context)


@role_required(Role.HR)
@require_GET
def role_profile_list(request: OrganisationRequest) -> HttpResponse:
    profiles = selectors.role_profiles(request.organisation)
    return render(
        request,
        "frameworks/role_profile_list.html",
        {"profiles": profiles, "copy_form": CopyProfileForm()},
    )


def _role_profile_form(request: OrganisationRequest, profile: RoleProfile | None) -> HttpResponse:
    version = selectors.current_version(request.organisation)
    if version is None:
        messages.error(
            request, _("Adopt a framework first: role profiles refer to its competencies.")
        )
        return redirect("frameworks:list")
    form = RoleProfileForm(
        request.POST or None,
        instance=profile,
        competencies=list(version.competencies.all()),
        levels=list(version.levels.all()),
    )
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in RoleProfileForm.Meta.fields}
        try:
            saved = services.role_profile_save(
                organisation=request.organisation,
                actor=Actor.from_request(request),
                profile=profile,
                fields=fields,
                targets=form.targets,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("Role profile %(name)s has been saved.") % {"name": saved.name}
            )
            return redirect("frameworks:role_profiles")
    return render(
        request,
        "frameworks/role_profile_form.html",
        {"form": form, "profile": profile, "version": version},
    )


@role_required(Role.HR)
@require_http_methods(["GET", "POST"])
def role_profile_create(request: OrganisationRequest) -> HttpResponse:
    return _role_profile_form(request, None)


@role_required(Role.HR)
@require_http_methods(["GET", "POST"])
def role_profile_edit(request: OrganisationRequest, profile_id: int) -> HttpResponse:
    profile = get_object_or_404(RoleProfile, pk=profile_id, organisation=request.organisation)
    return _role_profile_form(request, profile)


@role_required(Role.HR)
@require_POST
def role_profile_copy(request: OrganisationRequest, profile_id: int) -> HttpResponse:
    profile = get_object_or_404(RoleProfile, pk=profile_id, organisation=request.organisation)
    form = CopyProfileForm(request.POST)
    if form.is_valid():
        try:
            copy = services.role_profile_copy(
                profile=profile, actor=Actor.from_request(request), **form.cleaned_data
            )
        except ValidationError as error:
            _error_messages(request, error)
        else:
            messages.success(request, _("The copy has been made; adjust it to the role."))
            return redirect("frameworks:role_profile", profile_id=copy.pk)
    else:
        for field_errors in form.errors.values():
            for message in field_errors:
                messages.error(request, str(message))
    return redirect("frameworks:role_profiles")

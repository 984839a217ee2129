"""Pages for raters: my questionnaires, choosing and approving colleagues, inviting an
external rater, and the questionnaire itself (logged in, or through an external link).

Every answer is saved as it is given (htmx posts one item to ``answer_item``); without
JavaScript the whole questionnaire posts to its own page and is saved at once.
"""

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from vakwerk.assessments import selectors, services
from vakwerk.assessments.models import (
    Invitation,
    InvitationStatus,
    RoundStatus,
    Source,
    Subject,
)
from vakwerk.assessments.questionnaire_forms import ExternalRaterForm, PeersForm
from vakwerk.assessments.services import RoundClosedError
from vakwerk.audit.services import Actor, client_ip
from vakwerk.frameworks.models import Indicator
from vakwerk.lib import ratelimit
from vakwerk.lib.ids import parse_id
from vakwerk.organisations.models import Membership
from vakwerk.organisations.permissions import OrganisationRequest, role_required
from vakwerk.people.models import Employee
from vakwerk.people.selectors import employee_of, employee_of_or_404

logger = logging.getLogger(__name__)

PEERS_PER_PAGE = 20
TEMPLATES = "assessments/questionnaire"


def _me(request: OrganisationRequest) -> Employee:
    return employee_of_or_404(request.organisation, request.user)


def _sjt_url(subject: Subject) -> str | None:
    """The situational judgement test of ``subject``, once that page exists."""
    if not subject.round.use_sjt:
        return None
    try:
        return reverse("sjt:take", kwargs={"subject_id": subject.pk})
    except NoReverseMatch:
        return None


# ---------------------------------------------------------------------------------------------
# My questionnaires
# ---------------------------------------------------------------------------------------------


@role_required()
@require_GET
def mine(request: OrganisationRequest) -> HttpResponse:
    me = employee_of(request.organisation, request.user)
    context: dict[str, Any] = {"employee": me, "rounds": [], "for_others": [], "reports": []}
    if me is not None:
        invitations = selectors.rater_invitations(request.organisation, me)
        own = {i.subject_id: i for i in invitations if i.source == Source.SELF}
        context["rounds"] = [
            {
                "subject": subject,
                "self": own.get(subject.pk),
                "sjt_url": _sjt_url(subject),
                "can_nominate": subject.round.use_peers and subject.peers_approved_at is None,
            }
            for subject in selectors.my_subjects(request.organisation, me)
        ]
        context["for_others"] = [i for i in invitations if i.source != Source.SELF]
        context["reports"] = selectors.report_subjects(request.organisation, me)
    return render(request, f"{TEMPLATES}/mine.html", context)


# ---------------------------------------------------------------------------------------------
# Choosing colleagues: nominated by the subject, approved (or changed) by the manager
# ---------------------------------------------------------------------------------------------


def _ids(values: list[str]) -> list[int]:
    return [pk for pk in map(parse_id, values) if pk is not None][:100]


def _peer_picker(
    request: OrganisationRequest, subject: Subject, *, approving: bool
) -> HttpResponse:
    """One plain form (no JavaScript needed) holding the chosen colleagues as checked boxes
    and one page of search results as unchecked boxes. Searching and paging post the form
    too, so the choice so far is never lost; only "save" calls the service."""
    round_ = subject.round
    if not round_.use_peers:
        raise Http404
    candidates = selectors.colleagues(request.organisation, subject)
    posted = request.method == "POST"
    data = request.POST if posted else request.GET
    search = data.get("zoek", "").strip()[:100]
    page_number = None if data.get("actie") == "zoeken" else data.get("pagina")
    locked = not round_.accepts_answers or (not approving and subject.peers_approved_at is not None)
    form = PeersForm(request.POST if posted and not locked else None, candidates=candidates)
    chosen: list[Employee]
    if posted and not locked:
        if form.is_valid():
            chosen = list(form.cleaned_data["peers"])
        else:
            chosen = list(candidates.filter(pk__in=_ids(request.POST.getlist("peers"))))
        if form.is_valid() and request.POST.get("actie") == "opslaan":
            service = services.peers_approve if approving else services.peers_nominate
            try:
                service(subject=subject, actor=Actor.from_request(request), peers=chosen)
            except ValidationError as error:
                form.add_error("peers", error.messages)
            else:
                if approving:
                    messages.success(
                        request,
                        _("The colleagues of %(name)s have been approved.")
                        % {"name": subject.employee.full_name},
                    )
                else:
                    messages.success(
                        request, _("Your colleagues have been sent to your manager for approval.")
                    )
                return redirect("questionnaires:mine")
    else:
        chosen = selectors.chosen_peers(subject)
    chosen.sort(key=lambda person: (person.last_name, person.first_name, person.pk))
    results = selectors.search_by_name(candidates, search).exclude(
        pk__in=[person.pk for person in chosen]
    )
    context = {
        "subject": subject,
        "round": round_,
        "form": form,
        "errors": form.errors.get("peers", []),
        "chosen": chosen,
        "page": Paginator(results, PEERS_PER_PAGE).get_page(page_number),
        "search": search,
        "approving": approving,
        "locked": locked,
    }
    return render(request, f"{TEMPLATES}/peers.html", context)


@role_required()
@require_http_methods(["GET", "POST"])
def nominate(request: OrganisationRequest, subject_id: int) -> HttpResponse:
    subject = selectors.subject_of(request.organisation, _me(request), subject_id)
    return _peer_picker(request, subject, approving=False)


@role_required()
@require_http_methods(["GET", "POST"])
def approve(request: OrganisationRequest, subject_id: int) -> HttpResponse:
    subject = selectors.subject_of_report(request.organisation, _me(request), subject_id)
    return _peer_picker(request, subject, approving=True)


# ---------------------------------------------------------------------------------------------
# Inviting an external rater
# ---------------------------------------------------------------------------------------------

EXTERNAL_FIELDS = {"external_name": "name", "external_email": "email", "external_role": "relation"}


def _mail_external_invitation(*, invitation: Invitation, link: str, inviter: Employee) -> None:
    """Mail the link, in the organisation's language (Dutch). The link holds the token: it
    exists only in this mail, so it is sent here and never queued or stored."""
    subject = invitation.subject
    context = {
        "name": invitation.external_name,
        "subject_name": subject.employee.full_name,
        "first_name": subject.employee.first_name,
        "inviter": inviter.full_name,
        "organisation": subject.round.organisation.name,
        "link": link,
        "expires_on": subject.round.closes_on,
    }
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Your feedback on %(subject_name)s") % context
        text = render_to_string("assessments/email/external_invitation.txt", context)
        html = render_to_string("assessments/email/external_invitation.html", context)
    send_mail(title, text, None, [invitation.external_email], html_message=html)


@role_required()
@require_http_methods(["GET", "POST"])
def external(request: OrganisationRequest, subject_id: int) -> HttpResponse:
    me = _me(request)
    subject = selectors.subject_of_report(request.organisation, me, subject_id)
    if not subject.round.use_external:
        raise Http404
    form = ExternalRaterForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        failed: list[Exception] = []

        def send(invitation: Invitation, token: str) -> None:
            link = request.build_absolute_uri(
                reverse("questionnaires:external_answer", kwargs={"token": token})
            )
            try:
                _mail_external_invitation(invitation=invitation, link=link, inviter=me)
            except Exception as error:  # a mail server that is down must not lose the page
                logger.exception("Could not mail external invitation %s", invitation.pk)
                failed.append(error)

        try:
            with transaction.atomic():
                invitation, token = services.external_invite(
                    subject=subject,
                    actor=Actor.from_request(request),
                    name=form.cleaned_data["name"],
                    email=form.cleaned_data["email"],
                    relation=form.cleaned_data["relation"],
                )
                transaction.on_commit(lambda: send(invitation, token))
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for name, errors in error.message_dict.items():
                    form.add_error(EXTERNAL_FIELDS.get(name), errors)
            else:
                form.add_error(None, error.messages)
        else:
            if failed:
                messages.error(
                    request,
                    _(
                        "The invitation for %(name)s was saved, but the email could not be "
                        "sent. Try again later or ask the administrator to check the mail "
                        "settings."
                    )
                    % {"name": invitation.external_name},
                )
            else:
                messages.success(
                    request,
                    _("%(name)s has been invited by email (%(email)s).")
                    % {"name": invitation.external_name, "email": invitation.external_email},
                )
            return redirect("questionnaires:external", subject_id=subject.pk)
    context = {
        "subject": subject,
        "form": form,
        "invited": selectors.external_invitations(subject),
    }
    return render(request, f"{TEMPLATES}/external.html", context)


# ---------------------------------------------------------------------------------------------
# The questionnaire
# ---------------------------------------------------------------------------------------------

ITEM_PREFIX = "item-"
COMMENT_PREFIX = "comment-"
WAS_PREFIX = "was-"  # the value the page was rendered with: unchanged fields are not saved
VALUES = {str(value): value for value in range(5)}


@dataclass(frozen=True)
class Rater:
    """How this questionnaire was reached: logged in or through an external link."""

    actor: Actor
    page_url: str
    save_url: str
    done_url: str


def posted_answers(
    post: QueryDict, indicators: dict[int, Indicator], codes: set[str], *, only_changed: bool
) -> tuple[list[tuple[Indicator, int | None]], list[tuple[str, str]]]:
    """The answers (``item-<indicator id>``: "0".."4", or "" for "cannot judge") and
    comments (``comment-<competency code>``) in a post. With ``only_changed``, fields whose
    ``was-`` twin shows the value the page was rendered with are left out, so a stale second
    tab does not overwrite newer answers with the old ones it still shows."""
    answers: list[tuple[Indicator, int | None]] = []
    comments: list[tuple[str, str]] = []
    for key in post:
        if key.startswith(ITEM_PREFIX):
            raw_id = key.removeprefix(ITEM_PREFIX)
            pk = parse_id(raw_id)
            indicator = indicators.get(pk) if pk is not None else None
            if indicator is None:
                raise ValidationError(_("This question is not part of this questionnaire."))
            raw = post.get(key, "")
            if raw != "" and raw not in VALUES:
                raise ValidationError(_("Choose one of the five answers or 'cannot judge'."))
            if only_changed and post.get(WAS_PREFIX + key) == raw:
                continue
            answers.append((indicator, VALUES.get(raw)))
        elif key.startswith(COMMENT_PREFIX):
            code = key.removeprefix(COMMENT_PREFIX)
            if code not in codes:
                raise ValidationError(_("This competency is not part of this questionnaire."))
            text = post.get(key, "")
            if only_changed and post.get(WAS_PREFIX + key, "").strip() == text.strip():
                continue
            comments.append((code, text))
    return answers, comments


@transaction.atomic
def _save(
    invitation: Invitation,
    answers: list[tuple[Indicator, int | None]],
    comments: list[tuple[str, str]],
) -> None:
    for indicator, value in answers:
        services.answer_save(invitation=invitation, indicator=indicator, value=value)
    for code, text in comments:
        services.comment_save(invitation=invitation, competency_code=code, text=text)


def _not_answerable(invitation: Invitation) -> str:
    """Why answers are refused now, or "" when they are welcome."""
    status = invitation.subject.round.status
    if status == RoundStatus.CLOSED:
        return _("This round is closed: answers can no longer be given or changed.")
    if status != RoundStatus.OPEN:
        return _("This round has not opened yet.")
    if invitation.status in (InvitationStatus.NOMINATED, InvitationStatus.WITHDRAWN):
        return _("This questionnaire is not open for you.")
    return ""


def _page(
    request: HttpRequest,
    invitation: Invitation,
    rater: Rater,
    *,
    refused: str = "",
    status: int = 200,
) -> HttpResponse:
    questionnaire = selectors.questionnaire(invitation)
    subject = invitation.subject
    context = {
        "invitation": invitation,
        "subject": subject,
        "round": subject.round,
        "questionnaire": questionnaire,
        "answered": questionnaire.answered,
        "total": questionnaire.total,
        "is_self": invitation.source == Source.SELF,
        "anonymous": invitation.source in (Source.PEER, Source.EXTERNAL),
        "not_answerable": _not_answerable(invitation),
        "refused": refused,
        "page_url": rater.page_url,
        "save_url": rater.save_url,
    }
    return render(request, f"{TEMPLATES}/answer.html", context, status=status)


def _questionnaire(request: HttpRequest, invitation: Invitation, rater: Rater) -> HttpResponse:
    if request.method != "POST":
        return _page(request, invitation, rater)
    questionnaire = selectors.questionnaire(invitation)
    try:
        answers, comments = posted_answers(
            request.POST,
            questionnaire.indicators,
            questionnaire.competency_codes,
            only_changed=True,
        )
        _save(invitation, answers, comments)
    except RoundClosedError as error:
        return _page(request, invitation, rater, refused=" ".join(error.messages), status=409)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(rater.page_url)
    if request.POST.get("actie") != "klaar":
        messages.success(request, _("Your answers have been saved."))
        return redirect(rater.page_url)
    incomplete = selectors.questionnaire(invitation).incomplete
    if incomplete:
        messages.error(
            request,
            _(
                "Not done yet: give an answer or choose 'cannot judge' for every behaviour "
                "of %(competencies)s."
            )
            % {"competencies": ", ".join(competency.label for competency in incomplete)},
        )
        return redirect(rater.page_url)
    try:
        services.invitation_complete(invitation=invitation, actor=rater.actor)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(rater.page_url)
    messages.success(
        request,
        _("Thank you, your answers are complete. You can still change them until %(date)s.")
        % {"date": _date(invitation)},
    )
    return redirect(rater.done_url)


def _date(invitation: Invitation) -> str:
    return date_format(invitation.subject.round.closes_on, "j F Y")


def _save_item(request: HttpRequest, invitation: Invitation) -> HttpResponse:
    """Save what one htmx request posts (usually one answer or one comment) and answer
    with the progress fragment; refused answers get 409 and the reason."""
    template = f"{TEMPLATES}/answer.html"
    indicators = {item.pk: item for item in services.invitation_items(invitation)}
    try:
        answers, comments = posted_answers(
            request.POST,
            indicators,
            set(invitation.subject.competency_codes),
            only_changed=False,
        )
        _save(invitation, answers, comments)
    except RoundClosedError as error:
        context = {"message": " ".join(error.messages)}
        return render(request, f"{template}#refused", context, status=409)
    except ValidationError as error:
        context = {"message": " ".join(error.messages)}
        return render(request, f"{template}#refused", context, status=400)
    answered, total = selectors.progress(invitation)
    return render(request, f"{template}#saved", {"answered": answered, "total": total})


@role_required()
@require_http_methods(["GET", "POST"])
def answer(request: OrganisationRequest, invitation_id: int) -> HttpResponse:
    invitation = selectors.rater_invitation(request.organisation, _me(request), invitation_id)
    rater = Rater(
        actor=Actor.from_request(request),
        page_url=reverse("questionnaires:answer", kwargs={"invitation_id": invitation.pk}),
        save_url=reverse("questionnaires:answer_item", kwargs={"invitation_id": invitation.pk}),
        done_url=reverse("questionnaires:mine"),
    )
    return _questionnaire(request, invitation, rater)


@role_required()
@require_POST
def answer_item(request: OrganisationRequest, invitation_id: int) -> HttpResponse:
    invitation = selectors.rater_invitation(request.organisation, _me(request), invitation_id)
    return _save_item(request, invitation)


# External raters: no account; the link is the key. Logged-in people of another organisation
# are refused, so nobody answers for an organisation under an identity from elsewhere.


# Wrong links per client address before the external pages refuse that address for a while. A
# real link holds 256 random bits, so guessing is hopeless anyway; this keeps it from being tried.
LINK_FAILURE_LIMIT = 20
LINK_FAILURE_WINDOW = 15 * 60  # seconds


def _by_token(request: HttpRequest, token: str) -> Invitation | None:
    if ratelimit.is_blocked("external-link", client_ip(request), limit=LINK_FAILURE_LIMIT):
        return None
    invitation = services.invitation_by_token(token[:100])
    if invitation is None:
        ratelimit.record_failure("external-link", client_ip(request), window=LINK_FAILURE_WINDOW)
        return None
    if request.user.is_authenticated and not (
        Membership.objects.filter(
            user=request.user, organisation_id=invitation.subject.round.organisation_id
        ).exists()
    ):
        return None
    return invitation


def _link_invalid(request: HttpRequest) -> HttpResponse:
    if ratelimit.is_blocked("external-link", client_ip(request), limit=LINK_FAILURE_LIMIT):
        return render(request, f"{TEMPLATES}/link_invalid.html", {"too_many": True}, status=429)
    return render(request, f"{TEMPLATES}/link_invalid.html", status=404)


@require_http_methods(["GET", "POST"])
def external_answer(request: HttpRequest, token: str) -> HttpResponse:
    invitation = _by_token(request, token)
    if invitation is None:
        return _link_invalid(request)
    page_url = reverse("questionnaires:external_answer", kwargs={"token": token})
    rater = Rater(
        actor=Actor(user=None, origin=client_ip(request)),
        page_url=page_url,
        save_url=reverse("questionnaires:external_answer_item", kwargs={"token": token}),
        done_url=page_url,
    )
    return _questionnaire(request, invitation, rater)


@require_POST
def external_answer_item(request: HttpRequest, token: str) -> HttpResponse:
    invitation = _by_token(request, token)
    if invitation is None:
        return _link_invalid(request)
    return _save_item(request, invitation)

"""Forms of HR's round pages: creating, extending and closing a round."""

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vakwerk.assessments.models import Round
from vakwerk.frameworks.models import Competency, FrameworkVersion, RoleProfile, VersionStatus
from vakwerk.lib.forms import StyledForm
from vakwerk.organisations.models import MIN_ANONYMITY_THRESHOLD, Organisation
from vakwerk.people.models import Department, Team

# The instruments a round can use, and the model flag each one sets.
INSTRUMENTS = {
    "self": "use_self",
    "manager": "use_manager",
    "peers": "use_peers",
    "external": "use_external",
    "sjt": "use_sjt",
}
INSTRUMENT_CHOICES = [
    ("self", _("Self-assessment")),
    ("manager", _("Manager assessment")),
    ("peers", _("Colleagues (peers, nominated by the employee)")),
    ("external", _("External raters (invited by link)")),
    ("sjt", _("Situational judgement test")),
]
# Fields rendered as a group of checkboxes in a fieldset.
CHOICE_GROUPS = ("departments", "teams", "role_profiles", "instruments", "competency_codes")


def _checkboxes() -> forms.CheckboxSelectMultiple:
    # Set the class here: CheckboxSelectMultiple subclasses RadioSelect, so style_fields would
    # otherwise give these the radio-button class.
    return forms.CheckboxSelectMultiple(
        attrs={"class": "utrecht-checkbox utrecht-checkbox--html-input"}
    )


class VersionChoiceField(forms.ModelChoiceField[FrameworkVersion]):
    def label_from_instance(self, obj: FrameworkVersion) -> str:
        return str(_("%(framework)s, version %(number)s")) % {
            "framework": obj.framework.name,
            "number": obj.number,
        }


class RoundForm(StyledForm):
    name = forms.CharField(
        label=_("Name"),
        max_length=120,
        help_text=_("For example 'Craftsmanship measurement spring 2026'."),
    )
    version = VersionChoiceField(
        label=_("Framework version"),
        queryset=FrameworkVersion.objects.none(),
        empty_label=None,
        help_text=_("Only published versions can be measured against."),
    )
    departments = forms.ModelMultipleChoiceField(
        label=_("Departments"),
        queryset=Department.objects.none(),
        required=False,
        widget=_checkboxes(),
    )
    teams = forms.ModelMultipleChoiceField(
        label=_("Teams"),
        queryset=Team.objects.none(),
        required=False,
        widget=_checkboxes(),
    )
    role_profiles = forms.ModelMultipleChoiceField(
        label=_("Role profiles"),
        queryset=RoleProfile.objects.none(),
        required=False,
        widget=_checkboxes(),
        help_text=_(
            "Only people with one of these role profiles. Nothing chosen for departments, "
            "teams and role profiles: the whole organisation."
        ),
    )
    instruments = forms.MultipleChoiceField(
        label=_("Instruments"),
        choices=INSTRUMENT_CHOICES,
        initial=["self", "manager", "peers", "sjt"],
        widget=_checkboxes(),
    )
    competency_codes = forms.MultipleChoiceField(
        label=_("Competencies"),
        choices=[],
        required=False,
        widget=_checkboxes(),
        help_text=_("Nothing chosen: the competencies in each person's role profile."),
    )
    opens_on = forms.DateField(label=_("Opens on"), widget=forms.DateInput(attrs={"type": "date"}))
    closes_on = forms.DateField(
        label=_("Closes on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    anonymity_threshold = forms.IntegerField(
        label=_("Anonymity threshold"),
        min_value=MIN_ANONYMITY_THRESHOLD,
        max_value=20,
        help_text=_(
            "Answers of colleagues and external raters are only shown together, and only when "
            "at least this many answered. Never lower than 3."
        ),
    )
    peers_min = forms.IntegerField(
        label=_("Minimum number of colleagues"), min_value=1, max_value=20, initial=3
    )
    peers_max = forms.IntegerField(
        label=_("Maximum number of colleagues"), min_value=1, max_value=20, initial=8
    )
    reminder_days = forms.IntegerField(
        label=_("Send reminders this many days before closing"),
        min_value=0,
        max_value=60,
        initial=3,
    )

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        versions = (
            FrameworkVersion.objects.filter(
                framework__organisation=organisation, status=VersionStatus.PUBLISHED
            )
            .select_related("framework")
            .order_by("framework__name", "-number")
        )
        self.fields["version"].queryset = versions  # type: ignore[attr-defined]
        self.fields["departments"].queryset = Department.objects.filter(  # type: ignore[attr-defined]
            organisation=organisation
        )
        self.fields["teams"].queryset = Team.objects.filter(organisation=organisation)  # type: ignore[attr-defined]
        self.fields["role_profiles"].queryset = RoleProfile.objects.filter(  # type: ignore[attr-defined]
            organisation=organisation, is_active=True
        )
        # The competencies of every published version; clean() checks them against the
        # version chosen.
        choices: dict[str, str] = {}
        for competency in Competency.objects.filter(version__in=versions).order_by(
            "kind", "position", "code"
        ):
            choices.setdefault(competency.code, f"{competency.code} {competency.label}")
        self.fields["competency_codes"].choices = list(choices.items())  # type: ignore[attr-defined]
        self.fields["anonymity_threshold"].initial = organisation.anonymity_threshold
        today = timezone.localdate()
        self.fields["opens_on"].initial = today
        self.fields["closes_on"].initial = today + dt.timedelta(days=21)

    def clean_opens_on(self) -> dt.date:
        opens_on: dt.date = self.cleaned_data["opens_on"]
        if opens_on < timezone.localdate():
            raise ValidationError(_("Choose today or a later date."))
        return opens_on

    def clean_closes_on(self) -> dt.date:
        closes_on: dt.date = self.cleaned_data["closes_on"]
        if closes_on < timezone.localdate():
            raise ValidationError(_("Choose today or a later date."))
        return closes_on

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        opens_on, closes_on = cleaned.get("opens_on"), cleaned.get("closes_on")
        if opens_on and closes_on and closes_on <= opens_on:
            self.add_error("closes_on", _("The round must close after the day it opens."))
        peers_min, peers_max = cleaned.get("peers_min"), cleaned.get("peers_max")
        if peers_min and peers_max and peers_max < peers_min:
            self.add_error("peers_max", _("Choose at least the minimum number of colleagues."))
        version = cleaned.get("version")
        codes = cleaned.get("competency_codes") or []
        if version and codes:
            known = set(version.competencies.values_list("code", flat=True))
            unknown = sorted(set(codes) - known)
            if unknown:
                self.add_error(
                    "competency_codes",
                    _("Not in the chosen framework version: %(codes)s.")
                    % {"codes": ", ".join(unknown)},
                )
        return cleaned

    def build_round(self) -> Round:
        """The unsaved round; ``services.round_create`` checks and saves it."""
        data = self.cleaned_data
        instruments = set(data["instruments"])
        return Round(
            organisation=self.organisation,
            name=data["name"],
            version=data["version"],
            competency_codes=sorted(data["competency_codes"]),
            opens_on=data["opens_on"],
            closes_on=data["closes_on"],
            anonymity_threshold=data["anonymity_threshold"],
            peers_min=data["peers_min"],
            peers_max=data["peers_max"],
            reminder_days=data["reminder_days"],
            **{flag: key in instruments for key, flag in INSTRUMENTS.items()},
        )

    def add_service_error(self, error: ValidationError) -> None:
        """Put a service's errors next to the fields they concern, the rest on top."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for field, messages in error.message_dict.items():
            if field in INSTRUMENTS.values():
                field = "instruments"
            self.add_error(field if field in self.fields else None, messages)


class ExtendForm(StyledForm):
    closes_on = forms.DateField(
        label=_("New closing date"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, round_: Round, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.round = round_
        self.fields["closes_on"].initial = round_.closes_on + dt.timedelta(days=7)

    def clean_closes_on(self) -> dt.date:
        closes_on: dt.date = self.cleaned_data["closes_on"]
        if closes_on <= self.round.closes_on:
            raise ValidationError(_("Choose a date after the current closing date."))
        if closes_on < timezone.localdate():
            raise ValidationError(_("Choose today or a later date."))
        return closes_on

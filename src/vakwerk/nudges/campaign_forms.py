"""The form of HR's campaign pages. The service checks everything again; the form gives the
messages next to the fields first."""

import datetime as dt
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vakwerk.lib.forms import StyledForm
from vakwerk.nudges.models import Campaign
from vakwerk.organisations.models import Organisation
from vakwerk.people.models import Department, Team

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Fields rendered as a group of checkboxes in a fieldset.
CHOICE_GROUPS = ("competency_codes", "departments", "teams")
DATE_INPUT = "%Y-%m-%d"  # what <input type="date"> sends and shows, in every language


def _checkboxes() -> forms.CheckboxSelectMultiple:
    # The class is set here: CheckboxSelectMultiple subclasses RadioSelect, so style_fields
    # could otherwise give these the radio-button class.
    return forms.CheckboxSelectMultiple(
        attrs={"class": "utrecht-checkbox utrecht-checkbox--html-input"}
    )


def _date_field(
    label: "StrOrPromise", required: "StrOrPromise", help_text: "StrOrPromise"
) -> forms.DateField:
    return forms.DateField(
        label=label,
        help_text=help_text,
        input_formats=[DATE_INPUT, "%d-%m-%Y", "%d/%m/%Y"],
        widget=forms.DateInput(attrs={"type": "date"}, format=DATE_INPUT),
        error_messages={
            "required": required,
            "invalid": _("Enter a date as day-month-year, for example 31-03-2027."),
        },
    )


class CampaignForm(StyledForm):
    title = forms.CharField(
        label=_("Title"),
        max_length=120,
        help_text=_("Short and recognisable, for example 'Month of transparency'."),
        error_messages={"required": _("Give the campaign a title.")},
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Why this theme now. Employees read it on their practice page."),
    )
    competency_codes = forms.MultipleChoiceField(
        label=_("Competencies"),
        choices=[],
        widget=_checkboxes(),
        help_text=_("Daily practice brings exercises on these competencies forward."),
        error_messages={"required": _("Choose at least one competency.")},
    )
    starts_on = _date_field(
        _("First day"),
        _("Enter the first day of the campaign."),
        _("From this day on, practice favours the theme."),
    )
    ends_on = _date_field(
        _("Last day"),
        _("Enter the last day of the campaign."),
        _("The last day the theme is favoured; at most a year after the first day."),
    )
    departments = forms.ModelMultipleChoiceField(
        label=_("Departments"),
        queryset=Department.objects.none(),
        required=False,
        widget=_checkboxes(),
        help_text=_("Everyone in the teams of these departments."),
    )
    teams = forms.ModelMultipleChoiceField(
        label=_("Teams"),
        queryset=Team.objects.none(),
        required=False,
        widget=_checkboxes(),
        help_text=_("Nothing chosen for departments and teams: the whole organisation."),
    )

    def __init__(
        self,
        *args: Any,
        organisation: Organisation,
        competencies: dict[str, str],
        campaign: Campaign | None = None,
        **kwargs: Any,
    ) -> None:
        """``competencies`` maps code -> name: the organisation's current competencies.
        ``campaign``: the campaign being changed, whose values fill the form."""
        if campaign is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "title": campaign.title,
                "description": campaign.description,
                "competency_codes": list(campaign.competency_codes),
                "starts_on": campaign.starts_on,
                "ends_on": campaign.ends_on,
                "departments": list(campaign.departments.all()),
                "teams": list(campaign.teams.all()),
            }
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        choices = list(competencies.items())
        # Codes the campaign already has but the current framework lacks stay choosable, so
        # saving a change does not silently drop them.
        for code in campaign.competency_codes if campaign else []:
            if code not in competencies:
                choices.append(
                    (code, _("%(code)s (not in the current framework)") % {"code": code})
                )
        self.fields["competency_codes"].choices = choices  # type: ignore[attr-defined]
        self.fields["departments"].queryset = Department.objects.filter(  # type: ignore[attr-defined]
            organisation=organisation
        ).order_by("name")
        self.fields["teams"].queryset = Team.objects.filter(  # type: ignore[attr-defined]
            organisation=organisation
        ).order_by("name")
        if campaign is None and not self.is_bound:
            today = timezone.localdate()
            self.initial.setdefault("starts_on", today)
            self.initial.setdefault("ends_on", today + dt.timedelta(days=27))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        starts_on, ends_on = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            raise ValidationError(
                {"ends_on": _("The last day lies before the first day; choose a later date.")}
            )
        return cleaned

    def add_service_error(self, error: ValidationError) -> None:
        """Errors of the service next to their field; anything else at the top."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for field, messages in error.message_dict.items():
            self.add_error(field if field in self.fields else None, messages)

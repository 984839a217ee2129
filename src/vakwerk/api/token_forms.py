"""The form HR uses to make an API token."""

from django import forms
from django.utils.translation import gettext_lazy as _

from vakwerk.api.models import Scope
from vakwerk.lib.forms import StyledForm

# What each scope lets a client read, shown under its checkbox.
SCOPE_HELP = {
    Scope.EMPLOYEES_READ: _(
        "Employees (names, email addresses, employee numbers, job titles, managers, start and "
        "end dates), teams and departments."
    ),
    Scope.FRAMEWORKS_READ: _(
        "Competency frameworks with their versions, levels and competencies, the CASE "
        "packages, and role profiles."
    ),
    Scope.ROUNDS_READ: _("Measurement rounds with their dates and response counts, no answers."),
    Scope.ESTIMATES_READ: _("The levels measured per person and competency."),
    Scope.PLANS_READ: _("Development plans and their activities."),
    Scope.PRACTICE_READ: _("Practice figures."),
    Scope.SCIM: _(
        "Create, change and end users and teams through SCIM 2.0, for example from Entra ID."
    ),
}


class ApiTokenForm(StyledForm):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the token is for, e.g. 'HR dashboard' or 'Entra ID provisioning'."),
        error_messages={"required": _("Give the token a name.")},
    )
    scopes = forms.MultipleChoiceField(
        label=_("What the token may do"),
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple(
            attrs={"class": "utrecht-checkbox utrecht-checkbox--html-input"}
        ),
        help_text=_("Give a token only what its client needs."),
        error_messages={"required": _("Choose at least one scope.")},
    )

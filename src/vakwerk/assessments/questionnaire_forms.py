"""Forms of the rater-facing pages: choosing colleagues and inviting an external rater.

The questionnaire itself is not a Django form: its items vary per invitation and each answer
is saved on its own (see ``questionnaire_views.posted_answers``).
"""

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from vakwerk.lib.forms import StyledForm
from vakwerk.people.models import Employee


class PeersForm(StyledForm):
    """The chosen colleagues. The number is checked by the service (peers_nominate or
    peers_approve), so its message is the one the person sees, next to the field."""

    peers = forms.ModelMultipleChoiceField(
        label=_("Colleagues"),
        queryset=Employee.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": _(
                "Someone you chose is no longer a current colleague and has been taken off the "
                "list. Check the list and save again."
            ),
            "invalid_pk_value": _("Choose colleagues from the list."),
        },
    )

    def __init__(self, *args: Any, candidates: QuerySet[Employee], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["peers"].queryset = candidates  # type: ignore[attr-defined]


class ExternalRaterForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=120)
    email = forms.EmailField(label=_("Email address"), max_length=254)
    relation = forms.CharField(
        label=_("Relation"),
        max_length=120,
        help_text=_("E.g. chain partner, residents' panel, alderman."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["autocomplete"] = "off"
        self.fields["email"].widget.attrs["autocomplete"] = "off"

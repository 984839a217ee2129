from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from vakwerk.development.models import Activity
from vakwerk.lib.forms import StyledModelForm

TEXTAREAS = (
    "description",
    "description_en",
    "why_daily",
    "why_daily_en",
    "why_career",
    "why_career_en",
)


class ActivityForm(StyledModelForm):
    """A catalogue activity. Pass an instance whose organisation is set: the code is checked
    for uniqueness within it."""

    competency_codes = forms.MultipleChoiceField(
        label=_("Competencies"),
        choices=[],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Choose at least one competency this activity develops."),
        error_messages={"required": _("Choose at least one competency.")},
    )

    class Meta:
        model = Activity
        fields = [
            "code",
            "title",
            "title_en",
            "description",
            "description_en",
            "format",
            "category",
            "competency_codes",
            "level_min",
            "level_max",
            "minutes",
            "why_daily",
            "why_daily_en",
            "why_career",
            "why_career_en",
            "provider",
            "url",
        ]
        widgets = {name: forms.Textarea(attrs={"rows": 3}) for name in TEXTAREAS}
        help_texts = {
            "code": _(
                "A short name that stays the same when the title changes: lower-case letters, "
                "digits and hyphens, e.g. 'feedback-vragen'. Unique within your organisation."
            ),
            "title": _("In Dutch, as employees see it in their plan."),
            "title_en": _("For people who use Vakwerk in English. Empty: the Dutch is shown."),
            "description": _("What the employee does, in a few sentences."),
            "description_en": _("Empty: the Dutch description is shown."),
            "level_min": _("The lowest working level (1 to 7) this activity is useful at."),
            "level_max": _("The highest working level (1 to 7) this activity is useful at."),
            "minutes": _("The time it takes in all, in minutes: 2 hours is 120."),
            "why_daily": _("How it helps in the work of every day."),
            "why_daily_en": _("Empty: the Dutch text is shown."),
            "why_career": _("How it helps further in the career."),
            "why_career_en": _("Empty: the Dutch text is shown."),
            "provider": _("Required for an external course, e.g. the training institute."),
            "url": _("Where to find or book it, starting with https://."),
        }

    def __init__(self, *args: Any, competencies: dict[str, str], **kwargs: Any) -> None:
        """``competencies`` maps code -> name: the organisation's current competencies."""
        super().__init__(*args, **kwargs)
        choices = list(competencies.items())
        # Codes the activity already has but the current frameworks lack stay choosable, so
        # saving an edit does not silently drop them.
        for code in self.instance.competency_codes or []:
            if code not in competencies:
                choices.append(
                    (code, _("%(code)s (not in the current framework)") % {"code": code})
                )
        # The model's validators say 1 at least; the browser hint would otherwise say 0.
        for name in ("level_min", "level_max", "minutes"):
            self.fields[name].widget.attrs["min"] = 1
        field = self.fields["competency_codes"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = choices

    def validate_unique(self) -> None:
        """The code is unique within the organisation. The form has no organisation field, so
        Django would skip the constraint; check it here with an error next to the code."""
        super().validate_unique()
        code = self.cleaned_data.get("code")
        if not code or "code" in self.errors:
            return
        taken = (
            Activity.objects.filter(organisation_id=self.instance.organisation_id, code=code)
            .exclude(pk=self.instance.pk)
            .exists()
        )
        if taken:
            self.add_error(
                "code",
                _("Another activity of your organisation already has this code; choose another."),
            )

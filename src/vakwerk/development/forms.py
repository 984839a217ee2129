"""Forms of the plan pages: the employee's edits, adding an activity, the manager's decision
and progress on one activity."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from vakwerk.development.models import Activity, FocusKind, ItemStatus, Plan
from vakwerk.lib.forms import StyledForm, style_fields


class PlanEditForm(StyledForm):
    """One goal per competency of the plan, and a due date and a remove box per activity."""

    def __init__(self, *args: Any, plan: Plan, labels: dict[str, str], **kwargs: Any) -> None:
        self.plan = plan
        super().__init__(*args, **kwargs)
        for focus in plan.focuses.all():
            name = labels.get(focus.competency_code, focus.competency_code)
            label = (
                _("My goal for %(name)s")
                if focus.kind == FocusKind.FOCUS
                else _("How I build on %(name)s")
            )
            self.fields[f"goal_{focus.pk}"] = forms.CharField(
                label=label % {"name": name},
                required=False,
                max_length=2000,
                initial=focus.goal,
                widget=forms.Textarea(attrs={"rows": 3}),
                help_text=_(
                    "In your own words: what do you want to be able to do, and how will you notice?"
                ),
            )
        for item in plan.items.all():
            self.fields[f"due_{item.pk}"] = forms.DateField(
                label=_("Done by (%(activity)s)") % {"activity": item.activity.label},
                required=False,
                initial=item.due_date,
                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            )
            self.fields[f"remove_{item.pk}"] = forms.BooleanField(
                label=_("Remove %(activity)s from my plan") % {"activity": item.activity.label},
                required=False,
            )
        style_fields(self)  # the fields above came after StyledForm styled the form

    def goals(self) -> dict[int, str]:
        return {
            int(name.removeprefix("goal_")): value
            for name, value in self.cleaned_data.items()
            if name.startswith("goal_")
        }

    def due_dates(self) -> dict[int, Any]:
        return {
            int(name.removeprefix("due_")): value
            for name, value in self.cleaned_data.items()
            if name.startswith("due_")
        }

    def removed(self) -> list[int]:
        return [
            int(name.removeprefix("remove_"))
            for name, value in self.cleaned_data.items()
            if name.startswith("remove_") and value
        ]


class AddActivityForm(StyledForm):
    activity = forms.ModelChoiceField(
        label=_("Activity"), queryset=Activity.objects.none(), empty_label=_("Choose an activity")
    )
    due_date = forms.DateField(
        label=_("Done by"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args: Any, plan: Plan, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        codes = list(plan.focuses.values_list("competency_code", flat=True))
        chosen = plan.items.values_list("activity_id", flat=True)
        offered = (
            Activity.objects.filter(organisation=plan.organisation, is_active=True)
            .exclude(pk__in=chosen)
            .order_by("title")
        )
        wanted = [a.pk for a in offered if set(a.competency_codes) & set(codes)]
        field = self.fields["activity"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = offered.filter(pk__in=wanted)
        field.help_text = _("Activities of the learning offer for the competencies of your plan.")


class TalkForm(StyledForm):
    talk_on = forms.DateField(
        label=_("Day of the development talk"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_(
            "Leave empty when no day is set yet. The manager is reminded in the week before."
        ),
    )


class DecideForm(StyledForm):
    decision = forms.ChoiceField(
        label=_("Your decision"),
        choices=[("approve", _("Approve the plan")), ("return", _("Return it for changes"))],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment for the employee"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Needed when you return the plan: say what should change."),
    )


class ProgressForm(StyledForm):
    status = forms.ChoiceField(label=_("Progress"), choices=ItemStatus.choices)
    reflection = forms.CharField(
        label=_("Reflection"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("A few sentences: what did you do, what did you learn, what next?"),
    )

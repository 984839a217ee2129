from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from vakwerk.frameworks.models import Competency, Level, RoleProfile
from vakwerk.lib.forms import StyledForm, StyledModelForm, style_fields

MAX_INDICATOR_LENGTH = 300


class CompetencyForm(StyledModelForm):
    """A competency with one textarea per level: one behaviour per line."""

    class Meta:
        model = Competency
        fields = [
            "code",
            "kind",
            "name",
            "name_en",
            "description",
            "description_en",
            "why_daily",
            "why_daily_en",
            "why_career",
            "why_career_en",
            "case_uri",
            "esco_uri",
        ]
        widgets = {
            name: forms.Textarea(attrs={"rows": 3})
            for name in (
                "description",
                "description_en",
                "why_daily",
                "why_daily_en",
                "why_career",
                "why_career_en",
            )
        }

    def __init__(self, *args: Any, levels: list[Level], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.levels = levels
        existing: dict[int, list[str]] = {}
        if self.instance.pk:
            for indicator in self.instance.indicators.all():
                existing.setdefault(indicator.level, []).append(indicator.text)
        for level in levels:
            self.fields[f"level_{level.number}"] = forms.CharField(
                label=_("Behaviour at level %(number)s (%(name)s)")
                % {"number": level.number, "name": level.label},
                required=False,
                widget=forms.Textarea(attrs={"rows": 4}),
                initial="\n".join(existing.get(level.number, [])),
                help_text=_(
                    "One observable behaviour per line, e.g. 'Asks further to find the "
                    "question behind the question.'"
                ),
            )
        style_fields(self)

    def indicator_lines(self) -> dict[int, list[str]]:
        return {
            level.number: [
                line.strip()
                for line in self.cleaned_data.get(f"level_{level.number}", "").splitlines()
                if line.strip()
            ]
            for level in self.levels
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for level in self.levels:
            for line in cleaned.get(f"level_{level.number}", "").splitlines():
                if len(line.strip()) > MAX_INDICATOR_LENGTH:
                    self.add_error(
                        f"level_{level.number}",
                        _(
                            "Each behaviour may be at most %(max)s characters; this one has "
                            "%(length)s."
                        )
                        % {"max": MAX_INDICATOR_LENGTH, "length": len(line.strip())},
                    )
        return cleaned

    def validate_unique(self) -> None:
        # The code must be unique within its version; the service checks that (the form has
        # no version field), and its error is shown at the top of the form.
        pass


class PublishForm(StyledForm):
    note = forms.CharField(
        label=_("What changed in this version?"),
        required=False,
        max_length=250,
        help_text=_("Shown in the version history, e.g. 'Core values added'."),
    )


class RoleProfileForm(StyledModelForm):
    class Meta:
        model = RoleProfile
        fields = ["code", "name", "name_en", "description", "description_en", "is_active"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "description_en": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(
        self, *args: Any, competencies: list[Competency], levels: list[Level], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.competencies = competencies
        current = {}
        if self.instance.pk:
            current = {t.competency_code: t for t in self.instance.targets.all()}
        choices = [("", _("Not relevant for this role"))] + [
            (str(level.number), f"{level.number} {level.label}") for level in levels
        ]
        for competency in competencies:
            existing = current.get(competency.code)
            self.fields[f"{competency.code}_minimum"] = forms.TypedChoiceField(
                label=_("%(competency)s: minimum level") % {"competency": competency.label},
                choices=choices,
                coerce=int,
                empty_value=None,
                required=False,
                initial=existing.minimum if existing else None,
            )
            self.fields[f"{competency.code}_target"] = forms.TypedChoiceField(
                label=_("%(competency)s: target level") % {"competency": competency.label},
                choices=choices,
                coerce=int,
                empty_value=None,
                required=False,
                initial=existing.target if existing else None,
            )
            self.fields[f"{competency.code}_weight"] = forms.DecimalField(
                label=_("%(competency)s: weight") % {"competency": competency.label},
                min_value=Decimal("0.1"),
                max_value=Decimal(3),
                decimal_places=1,
                required=False,
                initial=existing.weight if existing else Decimal(1),
                help_text=_("1 is normal, 2 counts double."),
            )
        style_fields(self)

    def target_rows(self) -> list[dict[str, Any]]:
        """One row per competency with its three bound fields, for the table layout."""
        return [
            {
                "competency": competency,
                "minimum": self[f"{competency.code}_minimum"],
                "target": self[f"{competency.code}_target"],
                "weight": self[f"{competency.code}_weight"],
            }
            for competency in self.competencies
        ]

    def detail_fields(self) -> list[Any]:
        return [self[name] for name in self.Meta.fields]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self.targets: dict[str, tuple[int, int, Decimal]] = {}
        for competency in self.competencies:
            minimum = cleaned.get(f"{competency.code}_minimum")
            target = cleaned.get(f"{competency.code}_target")
            weight = cleaned.get(f"{competency.code}_weight") or Decimal(1)
            if minimum is None and target is None:
                continue
            if minimum is None or target is None:
                self.add_error(
                    f"{competency.code}_target" if target is None else f"{competency.code}_minimum",
                    _("Choose both a minimum and a target level, or neither."),
                )
            elif minimum > target:
                self.add_error(
                    f"{competency.code}_minimum",
                    _("The minimum level cannot be above the target level."),
                )
            else:
                self.targets[competency.code] = (minimum, target, weight)
        return cleaned


class CopyProfileForm(StyledForm):
    code = forms.SlugField(label=_("Code of the copy"), max_length=50)
    name = forms.CharField(label=_("Name of the copy"), max_length=120)


LEVEL_FIELDS = ("name", "name_en", "description", "description_en")


class LevelsForm(StyledForm):
    """The names and descriptions of a draft's levels, in Dutch and English."""

    def __init__(self, *args: Any, levels: list[Level], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.levels = levels
        labels = {
            "name": _("Level %(number)s: name"),
            "name_en": _("Level %(number)s: name in English"),
            "description": _("Level %(number)s: description"),
            "description_en": _("Level %(number)s: description in English"),
        }
        for level in levels:
            for field in LEVEL_FIELDS:
                model_field = Level._meta.get_field(field)
                self.fields[f"level_{level.number}_{field}"] = forms.CharField(
                    label=labels[field] % {"number": level.number},
                    initial=getattr(level, field),
                    required=field == "name",
                    max_length=getattr(model_field, "max_length", None),
                )
        style_fields(self)

    def names(self) -> dict[int, dict[str, str]]:
        return {
            level.number: {
                field: self.cleaned_data[f"level_{level.number}_{field}"] for field in LEVEL_FIELDS
            }
            for level in self.levels
        }

"""Form helpers: NL Design System classes on every widget, errors tied to their fields."""

from typing import Any

from django import forms

# First match wins: CheckboxSelectMultiple is a subclass of RadioSelect, so it comes first.
WIDGET_CLASSES = {
    forms.CheckboxInput: "utrecht-checkbox utrecht-checkbox--html-input",
    forms.CheckboxSelectMultiple: "utrecht-checkbox utrecht-checkbox--html-input",
    forms.RadioSelect: "utrecht-radio-button utrecht-radio-button--html-input",
    forms.Select: "utrecht-select utrecht-select--html-select",
    forms.Textarea: "utrecht-textarea utrecht-textarea--html-textarea",
    forms.ClearableFileInput: "vakwerk-file-input",
}
DEFAULT_CLASS = "utrecht-textbox utrecht-textbox--html-input"


class StyledForm(forms.Form):
    """A form whose widgets carry the NL Design System classes and ARIA state."""

    template_name = template_name_div = "forms/div.html"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_fields(self)

    def full_clean(self) -> None:
        super().full_clean()
        mark_invalid(self)


class StyledModelForm(forms.ModelForm):
    template_name = template_name_div = "forms/div.html"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_fields(self)

    def full_clean(self) -> None:
        super().full_clean()
        mark_invalid(self)


def style_fields(form: forms.BaseForm) -> None:
    for field in form.fields.values():
        css = next(
            (css for kind, css in WIDGET_CLASSES.items() if isinstance(field.widget, kind)),
            DEFAULT_CLASS,
        )
        field.widget.attrs.setdefault("class", css)


def mark_invalid(form: forms.BaseForm) -> None:
    for name in form.errors:
        if name in form.fields:
            widget = form.fields[name].widget
            widget.attrs["aria-invalid"] = "true"
            bound = form[name]
            described = [f"{bound.auto_id}_error"]
            if form.fields[name].help_text:
                described.append(f"{bound.auto_id}_helptext")
            widget.attrs["aria-describedby"] = " ".join(described)
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} utrecht-textbox--invalid"

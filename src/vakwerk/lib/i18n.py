"""Content stored in Dutch and English: ``name`` holds Dutch, ``name_en`` English."""

from typing import Any

from django.utils import translation


def localized(obj: Any, field: str) -> str:
    """The English text when the user reads English and there is one, else the Dutch."""
    if translation.get_language() == "en":
        english = getattr(obj, f"{field}_en", "")
        if english:
            return str(english)
    return str(getattr(obj, field))


def pack_text(value: Any) -> str:
    """A text of a content pack, ``{"nl": ..., "en": ...}``, in the reader's language (Dutch
    when there is no English); an empty string for anything else."""
    if not isinstance(value, dict):
        return ""
    if translation.get_language() == "en" and value.get("en"):
        return str(value["en"])
    return str(value.get("nl", ""))

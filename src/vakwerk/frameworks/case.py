"""CASE v1.1 export and import of a framework version.

CASE is 1EdTech's Competencies and Academic Standards Exchange
(https://www.imsglobal.org/spec/case/v1p1). A framework version travels as one ``CFPackage``:

``CFDocument``
    The framework version. ``identifier`` is a UUID5 of the framework id and version number
    under ``CASE_NAMESPACE``; ``creator`` is the organisation, ``version`` the version number,
    ``adoptionStatus`` "Draft" or "Adopted", ``notes`` what changed in this version.
``CFItems``
    One item per competency (``humanCodingScheme`` = code, ``fullStatement`` = name, ``notes`` =
    description, ``CFItemType`` = its kind, "vakmanschap" or "kernwaarde") and one per behavioural
    indicator (``CFItemType`` "Behavioural indicator", ``fullStatement`` = the behaviour,
    ``humanCodingScheme`` = competency code, level and rank, e.g. "AV-RES.2.1"). A competency's
    identifier is a UUID5 of the framework id and its code, so it stays the same across versions.
``CFAssociations``
    ``isChildOf`` from each competency to the document and from each indicator to its competency;
    ``sequenceNumber`` keeps the order.
``CFDefinitions``
    The three ``CFItemTypes`` above.
``CFRubrics``
    One rubric per competency with one criterion whose ``CFRubricCriterionLevels`` are the
    framework's level scale: ``score`` = level number, ``quality`` = level name, ``description``
    = the behavioural indicators of that level, one per line.

CASE has no field for some of what Vakwerk keeps. Those travel in the ``extensions`` object of
the CASE object, under the key ``"vakwerk"``, so that a round trip loses nothing:

- CFDocument: ``levels``: the level scale as a list of ``{number, name, nameEn, description,
  descriptionEn}``.
- competency CFItem: ``kind``, ``position``, ``nameEn``, ``descriptionEn``, ``whyDaily``,
  ``whyDailyEn``, ``whyCareer``, ``whyCareerEn``, ``caseUri``, ``escoUri``.
- indicator CFItem: ``level``, ``position``, ``textEn``.

Import also reads packages made elsewhere: without the extensions the kind comes from
``CFItemType``, the level scale from the rubrics, an indicator's level from the rubric level whose
description lists it, and a competency's CASE item URI is the item's own ``uri``. Texts Vakwerk
requires but the package lacks are reported as errors, never invented.

Vakwerk serves no CASE API, so every ``uri`` is the ``urn:uuid:`` form of the identifier.
"""

import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vakwerk.audit.services import Actor, audit_log
from vakwerk.frameworks.models import (
    Competency,
    CompetencyKind,
    Framework,
    FrameworkVersion,
    Indicator,
    Level,
    VersionStatus,
)
from vakwerk.organisations.models import Organisation

# Fixed for good: changing it would give every exported object a new identity.
CASE_NAMESPACE = uuid.UUID("371e1d48-49ce-4cd4-8df5-2936cb0df222")
CASE_VERSION = "1.1"
EXTENSION = "vakwerk"
INDICATOR_TYPE = "Behavioural indicator"
LANGUAGE = "nl"

ITEM_TYPE_DESCRIPTIONS = {
    CompetencyKind.VAKMANSCHAP.value: "A quality of craftsmanship 3.0 (ambtelijk vakmanschap).",
    CompetencyKind.KERNWAARDE.value: "A core value of the organisation.",
    INDICATOR_TYPE: "An observable behaviour that shows a competency at one level.",
}

# Where each model field comes from in the package, to name the place of a validation error.
LEVEL_SOURCES = {
    "number": "number",
    "name": "name",
    "name_en": "nameEn",
    "description": "description",
    "description_en": "descriptionEn",
}
COMPETENCY_SOURCES = {
    "code": "humanCodingScheme",
    "kind": "CFItemType",
    "name": "fullStatement",
    "description": "notes",
    "position": f"extensions.{EXTENSION}.position",
    "name_en": f"extensions.{EXTENSION}.nameEn",
    "description_en": f"extensions.{EXTENSION}.descriptionEn",
    "why_daily": f"extensions.{EXTENSION}.whyDaily",
    "why_daily_en": f"extensions.{EXTENSION}.whyDailyEn",
    "why_career": f"extensions.{EXTENSION}.whyCareer",
    "why_career_en": f"extensions.{EXTENSION}.whyCareerEn",
    "case_uri": f"extensions.{EXTENSION}.caseUri",
    "esco_uri": f"extensions.{EXTENSION}.escoUri",
}
INDICATOR_SOURCES = {
    "text": "fullStatement",
    "text_en": f"extensions.{EXTENSION}.textEn",
    "level": f"extensions.{EXTENSION}.level",
    "position": f"extensions.{EXTENSION}.position",
}


class CaseError(Exception):
    """A CASE file that cannot be imported; ``messages`` says what is wrong and where."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


# Export ----------------------------------------------------------------------------------------


def case_identifier(framework: Framework, *parts: object) -> str:
    """A stable UUID5 for a CASE object of ``framework`` named by ``parts``."""
    name = "/".join(["framework", str(framework.pk), *(str(part) for part in parts)])
    return str(uuid.uuid5(CASE_NAMESPACE, name))


def version_to_case(version: FrameworkVersion) -> dict[str, Any]:
    """The CASE v1.1 package (``CFPackage``) of one framework version."""
    framework = version.framework
    changed = _timestamp(version.published_at or timezone.now())
    document_id = case_identifier(framework, "version", version.number)
    document_link = _link(document_id, framework.name)
    levels = list(version.levels.all())
    competencies = list(version.competencies.prefetch_related("indicators"))

    item_types = {name: _item_type(framework, name, changed) for name in ITEM_TYPE_DESCRIPTIONS}
    items: list[dict[str, Any]] = []
    associations: list[dict[str, Any]] = []
    rubrics: list[dict[str, Any]] = []
    for sequence, competency in enumerate(competencies, start=1):
        item = _competency_item(framework, competency, item_types[competency.kind], changed)
        items.append(item)
        competency_link = _link(item["identifier"], competency.name)
        associations.append(_child_of(framework, competency_link, document_link, sequence, changed))
        ranks: dict[int, int] = {}
        indicators_by_level: dict[int, list[str]] = {}
        for indicator_sequence, indicator in enumerate(competency.indicators.all(), start=1):
            ranks[indicator.level] = ranks.get(indicator.level, 0) + 1
            coding = f"{competency.code}.{indicator.level}.{ranks[indicator.level]}"
            indicator_item = _indicator_item(
                framework, indicator, coding, item_types[INDICATOR_TYPE], changed
            )
            items.append(indicator_item)
            associations.append(
                _child_of(
                    framework,
                    _link(indicator_item["identifier"], indicator.text),
                    competency_link,
                    indicator_sequence,
                    changed,
                )
            )
            indicators_by_level.setdefault(indicator.level, []).append(indicator.text)
        rubrics.append(
            _rubric(framework, competency, competency_link, levels, indicators_by_level, changed)
        )

    document: dict[str, Any] = {
        "identifier": document_id,
        "uri": _uri(document_id),
        "caseVersion": CASE_VERSION,
        "creator": framework.organisation.name,
        "title": framework.name,
        "lastChangeDateTime": changed,
        "language": LANGUAGE,
        "version": str(version.number),
        "adoptionStatus": "Draft" if version.is_draft else "Adopted",
    }
    if version.published_at:
        document["statusStartDate"] = version.published_at.astimezone(UTC).date().isoformat()
    if version.note:
        document["notes"] = version.note
    document["extensions"] = {
        EXTENSION: {
            "levels": [
                {
                    "number": level.number,
                    "name": level.name,
                    "nameEn": level.name_en,
                    "description": level.description,
                    "descriptionEn": level.description_en,
                }
                for level in levels
            ]
        }
    }
    return {
        "CFDocument": document,
        "CFItems": items,
        "CFAssociations": associations,
        "CFDefinitions": {"CFItemTypes": list(item_types.values())},
        "CFRubrics": rubrics,
    }


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _uri(identifier: str) -> str:
    return f"urn:uuid:{identifier}"


def _link(identifier: str, title: str) -> dict[str, str]:
    return {"title": title, "identifier": identifier, "uri": _uri(identifier)}


def _item_type(framework: Framework, name: str, changed: str) -> dict[str, Any]:
    identifier = case_identifier(framework, "item-type", name)
    return {
        "identifier": identifier,
        "uri": _uri(identifier),
        "title": name,
        "description": ITEM_TYPE_DESCRIPTIONS[name],
        "hierarchyCode": "2" if name == INDICATOR_TYPE else "1",
        "lastChangeDateTime": changed,
    }


def _competency_item(
    framework: Framework, competency: Competency, item_type: dict[str, Any], changed: str
) -> dict[str, Any]:
    identifier = case_identifier(framework, "item", competency.code)
    item: dict[str, Any] = {
        "identifier": identifier,
        "uri": _uri(identifier),
        "fullStatement": competency.name,
        "humanCodingScheme": competency.code,
        "CFItemType": competency.kind,
        "CFItemTypeURI": _link(item_type["identifier"], item_type["title"]),
        "language": LANGUAGE,
        "lastChangeDateTime": changed,
    }
    if competency.description:
        item["notes"] = competency.description
    item["extensions"] = {
        EXTENSION: {
            "kind": competency.kind,
            "position": competency.position,
            "nameEn": competency.name_en,
            "descriptionEn": competency.description_en,
            "whyDaily": competency.why_daily,
            "whyDailyEn": competency.why_daily_en,
            "whyCareer": competency.why_career,
            "whyCareerEn": competency.why_career_en,
            "caseUri": competency.case_uri,
            "escoUri": competency.esco_uri,
        }
    }
    return item


def _indicator_item(
    framework: Framework,
    indicator: Indicator,
    coding: str,
    item_type: dict[str, Any],
    changed: str,
) -> dict[str, Any]:
    identifier = case_identifier(framework, "item", coding)
    return {
        "identifier": identifier,
        "uri": _uri(identifier),
        "fullStatement": indicator.text,
        "humanCodingScheme": coding,
        "CFItemType": INDICATOR_TYPE,
        "CFItemTypeURI": _link(item_type["identifier"], item_type["title"]),
        "language": LANGUAGE,
        "lastChangeDateTime": changed,
        "extensions": {
            EXTENSION: {
                "level": indicator.level,
                "position": indicator.position,
                "textEn": indicator.text_en,
            }
        },
    }


def _child_of(
    framework: Framework,
    origin: dict[str, str],
    destination: dict[str, str],
    sequence: int,
    changed: str,
) -> dict[str, Any]:
    identifier = case_identifier(
        framework, "association", origin["identifier"], "isChildOf", destination["identifier"]
    )
    return {
        "identifier": identifier,
        "uri": _uri(identifier),
        "associationType": "isChildOf",
        "sequenceNumber": sequence,
        "originNodeURI": origin,
        "destinationNodeURI": destination,
        "lastChangeDateTime": changed,
    }


def _rubric(
    framework: Framework,
    competency: Competency,
    competency_link: dict[str, str],
    levels: list[Level],
    indicators_by_level: dict[int, list[str]],
    changed: str,
) -> dict[str, Any]:
    rubric_id = case_identifier(framework, "rubric", competency.code)
    criterion_id = case_identifier(framework, "rubric", competency.code, "criterion")
    criterion_levels = []
    for level in levels:
        level_id = case_identifier(framework, "rubric", competency.code, "level", level.number)
        criterion_level: dict[str, Any] = {
            "identifier": level_id,
            "uri": _uri(level_id),
            "quality": level.name,
            "score": level.number,
            "position": level.number,
            "rubricCriterionId": criterion_id,
            "lastChangeDateTime": changed,
        }
        texts = indicators_by_level.get(level.number)
        if texts:
            criterion_level["description"] = "\n".join(texts)
        criterion_levels.append(criterion_level)
    return {
        "identifier": rubric_id,
        "uri": _uri(rubric_id),
        "title": f"{competency.code} {competency.name}",
        "lastChangeDateTime": changed,
        "CFRubricCriteria": [
            {
                "identifier": criterion_id,
                "uri": _uri(criterion_id),
                "category": competency.kind,
                "description": competency.name,
                "CFItemURI": competency_link,
                "position": 1,
                "rubricId": rubric_id,
                "lastChangeDateTime": changed,
                "CFRubricCriterionLevels": criterion_levels,
            }
        ],
    }


@transaction.atomic
def version_case_export(
    *, organisation: Organisation, actor: Actor, version: FrameworkVersion
) -> dict[str, Any]:
    """The CASE package of ``version``, with an audit line saying who took it."""
    if version.framework.organisation_id != organisation.pk:
        raise ValueError("the version belongs to another organisation")
    package = version_to_case(version)
    audit_log(
        organisation=organisation,
        actor=actor,
        action="framework.case_export",
        target=version,
        details={"framework": version.framework.name, "version": version.number},
    )
    return package


# Import: reading and checking the package ------------------------------------------------------


@dataclass
class LevelSpec:
    where: str
    number: int
    name: str
    name_en: str = ""
    description: str = ""
    description_en: str = ""


@dataclass
class IndicatorSpec:
    where: str
    level: int
    text: str
    text_en: str = ""
    position: int | None = None
    order: tuple[int, int] = (0, 0)


@dataclass
class CompetencySpec:
    where: str
    code: str
    kind: str
    name: str
    description: str = ""
    name_en: str = ""
    description_en: str = ""
    why_daily: str = ""
    why_daily_en: str = ""
    why_career: str = ""
    why_career_en: str = ""
    case_uri: str = ""
    esco_uri: str = ""
    position: int | None = None
    order: tuple[int, int] = (0, 0)
    indicators: list[IndicatorSpec] = field(default_factory=list)


@dataclass
class CasePackage:
    """The framework found in a checked CASE package, ready to be written."""

    identifier: str
    title: str
    note: str
    levels: list[LevelSpec]
    competencies: list[CompetencySpec]


@dataclass(frozen=True)
class _Parent:
    index: int | None  # the parent CFItem's index; None for the CFDocument
    sequence: int | None


UNSEQUENCED = 1 << 30  # items without a sequenceNumber go after those with one


def parse_case_json(raw: bytes) -> dict[str, Any]:
    """The JSON object in an uploaded file (UTF-8, with or without BOM), else ``CaseError``."""
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise CaseError([_("The file is not JSON: it is not UTF-8 text.")]) from None
    except RecursionError:
        raise CaseError(
            [_("The file is not JSON Vakwerk can read: it is nested too deeply.")]
        ) from None
    except json.JSONDecodeError as error:
        raise CaseError(
            [
                _("The file is not JSON: the text breaks off at line %(line)d, column %(column)d.")
                % {"line": error.lineno, "column": error.colno}
            ]
        ) from None
    except ValueError:  # e.g. a number with thousands of digits, which Python refuses
        raise CaseError([_("The file is not JSON Vakwerk can read.")]) from None
    if not isinstance(data, dict):
        raise CaseError([_("Not a CASE package: the file holds no JSON object.")])
    return data


def read_case_package(data: Any) -> CasePackage:
    """The framework in a CASE package, or ``CaseError`` listing every problem found, each
    with its place in the package (e.g. ``CFItems[3]``)."""
    if not isinstance(data, dict):
        raise CaseError([_("Not a CASE package: the file holds no JSON object.")])
    document = data.get("CFDocument")
    if not isinstance(document, dict):
        raise CaseError([_("Not a CASE package: CFDocument is missing.")])
    reader = _Reader()
    document_id = reader.text(document, "identifier", "CFDocument", required=True)
    title = reader.text(document, "title", "CFDocument", required=True)
    note = reader.text(document, "notes", "CFDocument")
    document_extension = reader.extension(document, "CFDocument")
    items = reader.objects(data, "CFItems")
    associations = reader.objects(data, "CFAssociations")
    rubrics = reader.objects(data, "CFRubrics")

    by_id: dict[str, int] = {}
    for index, item in items.items():
        where = f"CFItems[{index}]"
        identifier = reader.text(item, "identifier", where, required=True)
        reader.text(item, "fullStatement", where, required=True)
        if identifier in by_id:
            reader.fail(
                where,
                _("identifier %(identifier)s is also used by CFItems[%(other)d]")
                % {"identifier": identifier, "other": by_id[identifier]},
            )
        elif identifier:
            by_id[identifier] = index

    parents = _read_tree(reader, associations, document_id, by_id)
    scale, listed = _read_rubrics(reader, rubrics, by_id)
    if "levels" in document_extension:
        levels = _read_levels(reader, document_extension["levels"])
    else:
        levels = [
            LevelSpec(where="CFRubrics", number=number, name=name)
            for number, name in sorted(scale.items())
        ]
    if not levels:
        reader.fail(
            "CFDocument",
            _(
                "the package has no level scale: it needs CFRubrics with levels or "
                "extensions.%(extension)s.levels"
            )
            % {"extension": EXTENSION},
        )

    competencies: dict[int, CompetencySpec] = {}
    indicators: list[int] = []
    for index, item in items.items():
        where = f"CFItems[{index}]"
        parent = parents.get(index)
        if parent is None:
            if by_id.get(str(item.get("identifier"))) == index:
                reader.fail(
                    where,
                    _(
                        "this item is not part of the framework: no isChildOf association "
                        "links it to the CFDocument or to a competency"
                    ),
                )
        elif parent.index is None:
            competencies[index] = _read_competency(reader, item, where, parent)
        elif (grandparent := parents.get(parent.index)) and grandparent.index is None:
            indicators.append(index)
        else:
            reader.fail(
                where,
                _(
                    "this item is nested too deep: a Vakwerk framework holds competencies "
                    "(children of the CFDocument) and their behavioural indicators (children "
                    "of a competency), nothing further down"
                ),
            )

    codes: dict[str, str] = {}
    for spec in competencies.values():
        if spec.code in codes:
            reader.fail(
                spec.where,
                _("humanCodingScheme %(code)s is also used by %(other)s")
                % {"code": spec.code, "other": codes[spec.code]},
            )
        elif spec.code:
            codes[spec.code] = spec.where

    level_numbers = sorted(level.number for level in levels)
    for index in indicators:
        parent_index = parents[index].index
        assert parent_index is not None  # an indicator's parent is a competency
        indicator = _read_indicator(
            reader,
            items[index],
            f"CFItems[{index}]",
            parents[index],
            competency_id=str(items[parent_index].get("identifier")),
            listed=listed,
            level_numbers=level_numbers,
        )
        if indicator is not None:
            competencies[parent_index].indicators.append(indicator)

    reader.raise_errors()
    ordered = [competencies[index] for index in sorted(competencies)]
    _fill_positions(ordered)
    return CasePackage(
        identifier=document_id, title=title, note=note, levels=levels, competencies=ordered
    )


class _Reader:
    """Reads values out of untrusted JSON, noting a message for everything that is wrong."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def fail(self, where: str, message: str) -> None:
        self.errors.append(_("%(where)s: %(message)s") % {"where": where, "message": message})

    def raise_errors(self) -> None:
        if self.errors:
            raise CaseError(self.errors)

    def objects(self, container: dict[str, Any], key: str, where: str = "") -> dict[int, Any]:
        """The objects in the list ``container[key]`` by their index (absent: none)."""
        path = f"{where}.{key}" if where else key
        value = container.get(key)
        if value is None:
            return {}
        if not isinstance(value, list):
            self.fail(path, _("expected a list"))
            return {}
        found = {}
        for index, entry in enumerate(value):
            if isinstance(entry, dict):
                found[index] = entry
            else:
                self.fail(f"{path}[{index}]", _("expected an object"))
        return found

    def text(
        self,
        container: dict[str, Any],
        key: str,
        where: str,
        label: str | None = None,
        *,
        required: bool = False,
    ) -> str:
        value = container.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(where, _("%(field)s is missing") % {"field": label or key})
            return ""
        if not isinstance(value, str):
            self.fail(where, _("%(field)s must be text") % {"field": label or key})
            return ""
        if "\x00" in value:
            self.fail(
                where,
                _(
                    "%(field)s contains a NUL character, an invisible control character that "
                    "no text needs"
                )
                % {"field": label or key},
            )
            return ""
        return value

    def integer(
        self,
        container: dict[str, Any],
        key: str,
        where: str,
        label: str | None = None,
        *,
        required: bool = False,
    ) -> int | None:
        value = container.get(key)
        if value is None:
            if required:
                self.fail(where, _("%(field)s is missing") % {"field": label or key})
            return None
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or (isinstance(value, float) and not value.is_integer())
        ):
            self.fail(where, _("%(field)s must be a whole number") % {"field": label or key})
            return None
        return int(value)

    def extension(self, container: dict[str, Any], where: str) -> dict[str, Any]:
        """Vakwerk's part of ``extensions``; empty for packages made elsewhere."""
        extensions = container.get("extensions")
        if extensions is None:
            return {}
        if not isinstance(extensions, dict):
            self.fail(where, _("extensions must be an object"))
            return {}
        ours = extensions.get(EXTENSION)
        if ours is None:
            return {}
        if not isinstance(ours, dict):
            self.fail(
                where,
                _("extensions.%(extension)s must be an object") % {"extension": EXTENSION},
            )
            return {}
        return ours

    def node(self, association: dict[str, Any], key: str, where: str) -> str:
        """The identifier in an association's origin or destination link."""
        link = association.get(key)
        if not isinstance(link, dict):
            self.fail(where, _("%(field)s is missing") % {"field": key})
            return ""
        return self.text(link, "identifier", where, f"{key}.identifier", required=True)


def _read_tree(
    reader: _Reader, associations: dict[int, Any], document_id: str, by_id: dict[str, int]
) -> dict[int, _Parent]:
    """Each CFItem's parent according to the isChildOf associations."""
    parents: dict[int, _Parent] = {}
    for index, association in associations.items():
        where = f"CFAssociations[{index}]"
        kind = reader.text(association, "associationType", where, required=True)
        origin = reader.node(association, "originNodeURI", where)
        destination = reader.node(association, "destinationNodeURI", where)
        sequence = reader.integer(association, "sequenceNumber", where)
        if kind != "isChildOf" or not origin or not destination:
            continue  # other associations (exactMatchOf, ...) may point outside the package
        known = True
        if origin not in by_id:
            reader.fail(
                where,
                _("origin %(identifier)s is not a CFItem in this package") % {"identifier": origin},
            )
            known = False
        if destination != document_id and destination not in by_id:
            reader.fail(
                where,
                _("destination %(identifier)s is not a CFItem in this package, nor its CFDocument")
                % {"identifier": destination},
            )
            known = False
        if not known:
            continue
        child = by_id[origin]
        if child in parents:
            reader.fail(
                where,
                _("CFItems[%(index)d] has a parent already: in Vakwerk each item has one parent")
                % {"index": child},
            )
            continue
        parent = None if destination == document_id else by_id[destination]
        parents[child] = _Parent(index=parent, sequence=sequence)
    return parents


def _read_rubrics(
    reader: _Reader, rubrics: dict[int, Any], by_id: dict[str, int]
) -> tuple[dict[int, str], dict[tuple[str, str], int]]:
    """The level scale in the rubrics (score: quality) and, per (competency identifier,
    behaviour text), the score of the rubric level whose description lists that behaviour."""
    scale: dict[int, str] = {}
    listed: dict[tuple[str, str], int] = {}
    for index, rubric in rubrics.items():
        where = f"CFRubrics[{index}]"
        for criterion_index, criterion in reader.objects(rubric, "CFRubricCriteria", where).items():
            criterion_where = f"{where}.CFRubricCriteria[{criterion_index}]"
            item_id = ""
            if criterion.get("CFItemURI") is not None:
                item_id = reader.node(criterion, "CFItemURI", criterion_where)
                if item_id and item_id not in by_id:
                    reader.fail(
                        criterion_where,
                        _("CFItemURI %(identifier)s is not a CFItem in this package")
                        % {"identifier": item_id},
                    )
            levels = reader.objects(criterion, "CFRubricCriterionLevels", criterion_where)
            for level_index, level in levels.items():
                level_where = f"{criterion_where}.CFRubricCriterionLevels[{level_index}]"
                score = reader.integer(level, "score", level_where, required=True)
                quality = reader.text(level, "quality", level_where)
                description = reader.text(level, "description", level_where)
                if score is None:
                    continue
                scale.setdefault(score, quality.strip() or str(score))
                for line in description.splitlines():
                    if item_id and line.strip():
                        listed[(item_id, line.strip())] = score
    return scale, listed


def _read_levels(reader: _Reader, value: Any) -> list[LevelSpec]:
    path = f"CFDocument.extensions.{EXTENSION}.levels"
    entries = reader.objects({"levels": value}, "levels", f"CFDocument.extensions.{EXTENSION}")
    levels: dict[int, LevelSpec] = {}
    for index, entry in entries.items():
        where = f"{path}[{index}]"
        number = reader.integer(entry, "number", where, required=True)
        if number is None:
            continue
        if number in levels:
            reader.fail(where, _("level %(level)d appears twice") % {"level": number})
            continue
        levels[number] = LevelSpec(
            where=where,
            number=number,
            name=reader.text(entry, "name", where, required=True),
            name_en=reader.text(entry, "nameEn", where),
            description=reader.text(entry, "description", where),
            description_en=reader.text(entry, "descriptionEn", where),
        )
    return [levels[number] for number in sorted(levels)]


def _read_competency(
    reader: _Reader, item: dict[str, Any], where: str, parent: _Parent
) -> CompetencySpec:
    extension = reader.extension(item, where)

    def extra(key: str) -> str:
        return reader.text(extension, key, where, f"extensions.{EXTENSION}.{key}")

    kind = extra("kind") or reader.text(item, "CFItemType", where)
    if kind.strip().lower() not in CompetencyKind.values:
        reader.fail(
            where,
            _(
                "the kind of competency is unknown (%(kind)s): CFItemType must be "
                "vakmanschap or kernwaarde"
            )
            % {"kind": kind or "-"},
        )
    if "caseUri" in extension:
        case_uri = extra("caseUri")
    else:  # made elsewhere: the item itself is the CASE item this competency comes from
        uri = reader.text(item, "uri", where)
        case_uri = uri if uri.startswith(("https://", "http://")) else ""
    return CompetencySpec(
        where=where,
        code=reader.text(item, "humanCodingScheme", where, required=True),
        kind=kind.strip().lower(),
        name=reader.text(item, "fullStatement", where),
        description=reader.text(item, "notes", where),
        name_en=extra("nameEn"),
        description_en=extra("descriptionEn"),
        why_daily=extra("whyDaily"),
        why_daily_en=extra("whyDailyEn"),
        why_career=extra("whyCareer"),
        why_career_en=extra("whyCareerEn"),
        case_uri=case_uri,
        esco_uri=extra("escoUri"),
        position=reader.integer(extension, "position", where, f"extensions.{EXTENSION}.position"),
        order=(UNSEQUENCED if parent.sequence is None else parent.sequence, _index(where)),
    )


def _read_indicator(
    reader: _Reader,
    item: dict[str, Any],
    where: str,
    parent: _Parent,
    *,
    competency_id: str,
    listed: dict[tuple[str, str], int],
    level_numbers: list[int],
) -> IndicatorSpec | None:
    extension = reader.extension(item, where)
    text = reader.text(item, "fullStatement", where)
    label = f"extensions.{EXTENSION}.level"
    if "level" in extension:
        level = reader.integer(extension, "level", where, label)
        if level is None:
            return None
    else:
        found = listed.get((competency_id, text.strip()))
        if found is None:
            reader.fail(
                where,
                _(
                    "the level of this behavioural indicator is unknown: give %(field)s or "
                    "list the behaviour in a level of its competency's rubric"
                )
                % {"field": label},
            )
            return None
        level = found
    if level not in level_numbers:
        reader.fail(
            where,
            _("level %(level)d is not on the framework's level scale (%(scale)s)")
            % {"level": level, "scale": ", ".join(str(number) for number in level_numbers)},
        )
        return None
    return IndicatorSpec(
        where=where,
        level=level,
        text=text,
        text_en=reader.text(extension, "textEn", where, f"extensions.{EXTENSION}.textEn"),
        position=reader.integer(extension, "position", where, f"extensions.{EXTENSION}.position"),
        order=(UNSEQUENCED if parent.sequence is None else parent.sequence, _index(where)),
    )


def _index(where: str) -> int:
    return int(where.rsplit("[", 1)[1].rstrip("]"))


def _fill_positions(competencies: list[CompetencySpec]) -> None:
    """Give what has no position of its own its rank in the package's order: competencies
    within their kind, indicators within their competency and level."""
    _rank(competencies, key=lambda spec: spec.kind)
    for competency in competencies:
        _rank(competency.indicators, key=lambda spec: spec.level)
        competency.indicators.sort(key=lambda spec: (spec.level, spec.position or 0, spec.order))


def _rank(specs: Iterable[CompetencySpec] | Iterable[IndicatorSpec], key: Any) -> None:
    groups: dict[Any, list[Any]] = {}
    for spec in sorted(specs, key=lambda spec: spec.order):
        groups.setdefault(key(spec), []).append(spec)
    for group in groups.values():
        for rank, spec in enumerate(group):
            if spec.position is None:
                spec.position = rank


# Import: writing the framework -----------------------------------------------------------------


@transaction.atomic
def case_to_draft(
    *, organisation: Organisation, actor: Actor, data: dict[str, Any], name: str | None = None
) -> FrameworkVersion:
    """A new framework in ``organisation`` holding the CASE package ``data`` as a draft version 1.

    Raises ``CaseError`` naming every problem; then nothing is written.
    """
    package = read_case_package(data)
    errors: list[str] = []
    framework = Framework(
        organisation=organisation, name=_unique_name(organisation, name or package.title)
    )
    if not _clean(framework, "CFDocument", {"name": "title"}, errors):
        raise CaseError(errors)
    framework.save()
    version = FrameworkVersion(
        framework=framework,
        number=1,
        status=VersionStatus.DRAFT,
        note=_shorten(package.note, _max_length(FrameworkVersion, "note")),
    )
    if not _clean(version, "CFDocument", {"note": "notes"}, errors):
        raise CaseError(errors)
    version.save()

    for level_spec in package.levels:
        level = Level(
            version=version,
            number=level_spec.number,
            name=level_spec.name,
            name_en=level_spec.name_en,
            description=level_spec.description,
            description_en=level_spec.description_en,
        )
        if _clean(level, level_spec.where, LEVEL_SOURCES, errors):
            level.save()

    indicators: list[Indicator] = []
    for spec in package.competencies:
        competency = Competency(
            version=version,
            code=spec.code,
            kind=spec.kind,
            position=spec.position or 0,
            name=spec.name,
            name_en=spec.name_en,
            description=spec.description,
            description_en=spec.description_en,
            why_daily=spec.why_daily,
            why_daily_en=spec.why_daily_en,
            why_career=spec.why_career,
            why_career_en=spec.why_career_en,
            case_uri=spec.case_uri,
            esco_uri=spec.esco_uri,
        )
        saved = _clean(competency, spec.where, COMPETENCY_SOURCES, errors)
        if saved:
            competency.save()
        for indicator_spec in spec.indicators:
            indicator = Indicator(
                competency=competency,
                level=indicator_spec.level,
                position=indicator_spec.position or 0,
                text=indicator_spec.text,
                text_en=indicator_spec.text_en,
            )
            exclude = None if saved else ["competency"]
            if _clean(indicator, indicator_spec.where, INDICATOR_SOURCES, errors, exclude):
                indicators.append(indicator)
    if errors:
        raise CaseError(errors)  # rolls the whole import back
    Indicator.objects.bulk_create(indicators)

    audit_log(
        organisation=organisation,
        actor=actor,
        action="framework.case_import",
        target=version,
        details={
            "framework": framework.name,
            "case_identifier": package.identifier,
            "case_title": package.title,
            "competencies": len(package.competencies),
            "indicators": len(indicators),
        },
    )
    return version


def _clean(
    instance: models.Model,
    where: str,
    sources: Mapping[str, str],
    errors: list[str],
    exclude: list[str] | None = None,
) -> bool:
    """``full_clean()``; each problem becomes a message naming its place in the package."""
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as error:
        for field_name, messages in error.message_dict.items():
            for message in messages:
                if field_name == NON_FIELD_ERRORS:
                    errors.append(
                        _("%(where)s: %(message)s") % {"where": where, "message": message}
                    )
                else:
                    errors.append(
                        _("%(where)s: %(field)s: %(message)s")
                        % {
                            "where": where,
                            "field": sources.get(field_name, field_name),
                            "message": message,
                        }
                    )
        return False
    return True


def _max_length(model: type[models.Model], field_name: str) -> int:
    model_field = model._meta.get_field(field_name)
    assert isinstance(model_field, models.Field)
    assert model_field.max_length is not None
    return model_field.max_length


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _unique_name(organisation: Organisation, wanted: str) -> str:
    """``wanted``, or with " (2)", " (3)" … when the organisation has a framework by that name."""
    limit = _max_length(Framework, "name")
    base = _shorten(" ".join(wanted.split()), limit)
    taken = set(Framework.objects.filter(organisation=organisation).values_list("name", flat=True))
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        suffix = f" ({number})"
        candidate = base[: limit - len(suffix)].rstrip() + suffix
    return candidate

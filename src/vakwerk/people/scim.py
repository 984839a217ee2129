"""SCIM 2.0 provisioning (RFC 7643/7644) as Microsoft Entra ID uses it: parsing, filters, PATCH
operations, serialisation, and the writes, which follow the rules of the people services.

The HTTP layer is ``scim_views.py``; this module knows nothing of requests. Administrators'
documentation (Dutch): ``docs/scim-entra.md``.

Mapping and decisions, so the behaviour is predictable for the administrator:

* **A SCIM User is an Employee, a SCIM Group is a Team**, both of the token's organisation. The
  SCIM ``id`` is the primary key as a string; an id of another organisation is simply not found
  (404), like an id that does not exist.
* **userName is the email address** (``Employee.email``, unique within the organisation and,
  as the people import requires, not in use in another organisation). ``emails[type eq
  "work"].value`` writes the same field; when a request gives both with different values,
  userName wins. A userName that is no email address is refused (400 invalidValue).
* **Every employee is visible**, also those HR created by hand or by import, so Entra matches
  existing people through ``filter=userName eq "..."`` instead of creating duplicates. Ended
  employees are visible with ``active: false`` (Entra reads them back after disabling).
* **active false ends the employee** through ``people.services.employee_end`` (end date today,
  or their start date when that lies ahead) and removes their membership of the organisation,
  so their login no longer reaches it. ``active true`` on an ended employee clears the end date
  and gives a linked login its membership back with the employee role only: other roles are
  for HR to grant again.
* **DELETE ends, never destroys.** A deleted user is ended (as above) and marked
  ``scim_deleted_at``: SCIM no longer sees them (404, not found by filters), but their history
  stays until the organisation's retention period removes it. Creating the same userName again
  (a rehire) takes that record back instead of failing on the unique email.
* **A deleted group** keeps its team for history (rounds and campaigns that targeted it): the
  team loses its members and is marked ``scim_deleted_at``; creating a group of that name again
  takes it back.
* **A person is in one team.** Adding a member to a group moves them out of their previous
  team; removing them from a group they are not (or no longer) in changes nothing.
* **Attributes Vakwerk does not hold are ignored** (phone numbers, addresses, department,
  displayName, ...), so Entra's default mappings do not make provisioning fail. The user's
  displayName is derived from given and family name; it is used only to fill missing names
  on create.
* **PUT** replaces what it holds: an absent title, externalId or manager is cleared; an absent
  employeeNumber is kept, because HR imports match people on it.
* **Every change writes audit lines** in its transaction (``scim.user.*``, ``scim.group.*``,
  plus ``employee.end`` and ``membership.*`` from the services reused), with the client's IP as
  origin and the token's prefix and name in the details.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Q, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from vakwerk.accounts.models import User
from vakwerk.audit.services import Actor, audit_log
from vakwerk.organisations.models import Membership, Organisation, Role
from vakwerk.organisations.services import membership_grant
from vakwerk.people.models import Employee, Team
from vakwerk.people.services import employee_end

if TYPE_CHECKING:
    from vakwerk.api.models import ApiToken

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
CONFIG_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"

DEFAULT_COUNT = 100
MAX_COUNT = 500
# Far beyond any organisation, and within the database's OFFSET range.
MAX_START_INDEX = 10**9


class ScimError(Exception):
    """An answer in the SCIM error format: HTTP status, optional scimType and a detail."""

    def __init__(self, status: int, detail: str, scim_type: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.scim_type = scim_type

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "schemas": [ERROR_SCHEMA],
            "status": str(self.status),
            "detail": self.detail,
        }
        if self.scim_type:
            body["scimType"] = self.scim_type
        return body


def _invalid(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidValue")


def _not_found(kind: str, resource_id: str) -> ScimError:
    return ScimError(404, f"{kind} {resource_id} not found.")


@dataclass(frozen=True)
class ScimClient:
    """Who provisions: the token (and so the organisation) and where the request came from."""

    token: ApiToken
    actor: Actor

    @property
    def organisation(self) -> Organisation:
        return self.token.organisation

    def details(self, **more: Any) -> dict[str, Any]:
        # Not "token": the audit log drops that key as a secret. The prefix is public.
        token = {"via": "scim", "token_prefix": self.token.prefix, "token_name": self.token.name}
        return token | more


# ---------------------------------------------------------------------------------------------
# Request bodies


def parse_json(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError) as error:
        raise ScimError(
            400, f"The request body is not valid JSON: {error}.", "invalidSyntax"
        ) from error
    if not isinstance(data, dict):
        raise ScimError(400, "The request body must be a JSON object.", "invalidSyntax")
    return data


# ---------------------------------------------------------------------------------------------
# Attribute paths: attr, attr.sub, attr[filter].sub and schema-qualified forms


@dataclass(frozen=True)
class AttrPath:
    """A parsed attribute path; names lower-cased (SCIM attribute names are case-insensitive).

    ``schema`` is "" for a core attribute, the enterprise URN for the enterprise extension and
    "other" for any other extension (whose attributes Vakwerk ignores).
    """

    attr: str
    sub: str = ""
    value_filter: tuple[str, Any] | None = None
    schema: str = ""


_PATH = re.compile(
    r"^(?:(?P<urn>urn:[^\[\]\s]+):)?(?P<attr>[A-Za-z$][\w$-]*)"
    r"(?:\[(?P<filter>[^\]]*)\])?(?:\.(?P<sub>[A-Za-z$][\w$-]*))?$"
)
_CORE_SCHEMAS = {USER_SCHEMA.lower(), GROUP_SCHEMA.lower()}


def parse_path(text: str) -> AttrPath:
    """Parse a PATCH path or a resource key. Raises ScimError 400 invalidPath."""
    stripped = text.strip()
    if stripped.lower() == ENTERPRISE_SCHEMA.lower():
        return AttrPath(attr="", schema=ENTERPRISE_SCHEMA)
    match = _PATH.match(stripped)
    if match is None:
        raise ScimError(400, f"Cannot read the attribute path {text!r}.", "invalidPath")
    urn = (match["urn"] or "").lower()
    if not urn or urn in _CORE_SCHEMAS:
        schema = ""
    elif urn == ENTERPRISE_SCHEMA.lower():
        schema = ENTERPRISE_SCHEMA
    else:
        schema = "other"
    value_filter = None
    if match["filter"] is not None:
        clauses = parse_filter(match["filter"], scim_type="invalidPath")
        if len(clauses) != 1:
            raise ScimError(
                400, f"The path {text!r} may hold one 'eq' condition in brackets.", "invalidPath"
            )
        value_filter = (clauses[0].path.attr, clauses[0].value)
    return AttrPath(
        attr=match["attr"].lower(),
        sub=(match["sub"] or "").lower(),
        value_filter=value_filter,
        schema=schema,
    )


# ---------------------------------------------------------------------------------------------
# Filters: attrPath eq value [and attrPath eq value ...], the part of RFC 7644 3.4.2.2 Entra uses


@dataclass(frozen=True)
class Clause:
    path: AttrPath
    value: Any


_FILTER_TOKEN = re.compile(
    r'\s*(?:(?P<string>"(?:[^"\\]|\\.)*")|(?P<paren>[()])'
    r'|(?P<word>[^\s()"\[]+(?:\[[^\]]*\][^\s()"]*)?))'
)


def _filter_tokens(text: str, scim_type: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        if not text[position:].strip():
            break
        match = _FILTER_TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise ScimError(
                400, f"Cannot read the filter at {text[position:].strip()!r}.", scim_type
            )
        kind = match.lastgroup or "word"
        tokens.append((kind, match[kind]))
        position = match.end()
    return tokens


def _filter_value(kind: str, token: str, scim_type: str) -> Any:
    if kind == "string":
        try:
            value = json.loads(token)
        except ValueError as error:
            raise ScimError(
                400, f"Cannot read the string {token} in the filter.", scim_type
            ) from error
        if "\x00" in value:  # written as \u0000; no stored text holds it
            raise ScimError(400, "A string in the filter contains a NUL character.", scim_type)
        return value
    lowered = token.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "null":
        return None
    if re.fullmatch(r"-?\d{1,30}(\.\d{1,30})?", token):  # int() refuses 4,300 digits and up
        return float(token) if "." in token else int(token)
    raise ScimError(
        400,
        f"The filter value {token!r} must be a quoted string, a number, true or false.",
        scim_type,
    )


def parse_filter(text: str, *, scim_type: str = "invalidFilter") -> list[Clause]:
    """The clauses of ``a eq "x" and b eq "y"``. Anything else is refused with a clear detail."""
    tokens = _filter_tokens(text, scim_type)
    if not tokens:
        raise ScimError(400, "The filter is empty.", scim_type)
    if any(kind == "paren" for kind, _token in tokens):
        raise ScimError(400, "Filters with parentheses are not supported.", scim_type)
    clauses: list[Clause] = []
    index = 0
    while True:
        if index + 3 > len(tokens):
            raise ScimError(
                400,
                f"Incomplete filter {text!r}: expected 'attribute eq \"value\"'.",
                scim_type,
            )
        (path_kind, path), (_op_kind, operator), (value_kind, value) = tokens[index : index + 3]
        if path_kind != "word":
            raise ScimError(
                400, f"Expected an attribute name in the filter, not {path}.", scim_type
            )
        if operator.lower() != "eq":
            raise ScimError(
                400,
                f"Unsupported filter operator {operator!r}: only 'eq' and 'and' are supported.",
                scim_type,
            )
        try:
            attr_path = parse_path(path)
        except ScimError as error:
            raise ScimError(400, error.detail, scim_type) from error
        clauses.append(Clause(attr_path, _filter_value(value_kind, value, scim_type)))
        index += 3
        if index == len(tokens):
            return clauses
        if tokens[index][1].lower() != "and":
            raise ScimError(
                400,
                f"Unsupported filter keyword {tokens[index][1]!r}: only 'and' joins conditions.",
                scim_type,
            )
        index += 1


def _as_id(value: Any) -> int | None:
    text = str(value).strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else None


def _is_work_email(path: AttrPath) -> bool:
    """``emails``, ``emails.value`` or ``emails[type eq "work"].value``: the one email held."""
    if path.attr != "emails" or path.schema or path.sub not in ("", "value"):
        return False
    return path.value_filter is None or (
        path.value_filter[0] in ("type", "primary")
        and str(path.value_filter[1]).lower() in ("work", "true")
    )


def _today_q(active: bool) -> Q:
    today = timezone.localdate()
    current = Q(end_date__isnull=True) | Q(end_date__gt=today)
    return current if active else ~current


def user_filter_q(clauses: list[Clause]) -> Q:
    query = Q()
    for clause in clauses:
        path, value = clause.path, clause.value
        text = "" if value is None else str(value)
        if path.schema == ENTERPRISE_SCHEMA and path.attr == "employeenumber":
            query &= Q(employee_number=text)
        elif path.schema == ENTERPRISE_SCHEMA and path.attr == "manager":
            query &= Q(manager_id=_as_id(value) or 0)
        elif path.schema:
            raise ScimError(400, f"Cannot filter users on {path.attr!r}.", "invalidFilter")
        elif path.attr == "username" or _is_work_email(path):
            query &= Q(email__iexact=text)  # userName is not case-exact (RFC 7643 4.1.1)
        elif path.attr == "externalid":
            query &= Q(scim_external_id=text)
        elif path.attr == "id":
            query &= Q(pk=_as_id(value) or 0)
        elif path.attr == "active":
            if not isinstance(value, bool):
                raise ScimError(400, "Filter 'active' on true or false.", "invalidFilter")
            query &= _today_q(value)
        elif path.attr == "name" and path.sub == "givenname":
            query &= Q(first_name__iexact=text)
        elif path.attr == "name" and path.sub == "familyname":
            query &= Q(last_name__iexact=text)
        else:
            raise ScimError(
                400,
                f"Cannot filter users on {path.attr!r}: use userName, externalId, id, "
                "emails, active, name.givenName, name.familyName or employeeNumber.",
                "invalidFilter",
            )
    return query


def group_filter_q(clauses: list[Clause]) -> Q:
    query = Q()
    for clause in clauses:
        path, value = clause.path, clause.value
        text = "" if value is None else str(value)
        if path.schema:
            raise ScimError(400, f"Cannot filter groups on {path.attr!r}.", "invalidFilter")
        if path.attr == "displayname":
            query &= Q(name__iexact=text)
        elif path.attr == "externalid":
            query &= Q(scim_external_id=text)
        elif path.attr == "id":
            query &= Q(pk=_as_id(value) or 0)
        elif path.attr == "members" and path.sub in ("", "value"):
            query &= Q(
                pk__in=Employee.objects.filter(
                    pk=_as_id(value) or 0, scim_deleted_at__isnull=True
                ).values("team_id")
            )
        else:
            raise ScimError(
                400,
                f"Cannot filter groups on {path.attr!r}: use displayName, externalId, id or "
                "members.",
                "invalidFilter",
            )
    return query


# ---------------------------------------------------------------------------------------------
# Reading: what SCIM sees of an organisation


def scim_users(organisation: Organisation) -> QuerySet[Employee]:
    """Every employee SCIM has not deleted, leavers included (as ``active: false``)."""
    return (
        Employee.objects.filter(organisation=organisation, scim_deleted_at__isnull=True)
        .select_related("team", "manager")
        .order_by("pk")
    )


def scim_groups(organisation: Organisation, *, with_members: bool = True) -> QuerySet[Team]:
    teams = Team.objects.filter(organisation=organisation, scim_deleted_at__isnull=True).order_by(
        "pk"
    )
    if with_members:
        teams = teams.prefetch_related(
            Prefetch(
                "members",
                queryset=Employee.objects.filter(scim_deleted_at__isnull=True)
                .only("pk", "first_name", "last_name", "team_id")
                .order_by("pk"),
            )
        )
    return teams


def scim_user(organisation: Organisation, resource_id: str) -> Employee:
    pk = _as_id(resource_id)
    employee = scim_users(organisation).filter(pk=pk).first() if pk else None
    if employee is None:
        raise _not_found("User", resource_id)
    return employee


def scim_group(organisation: Organisation, resource_id: str, *, with_members: bool = True) -> Team:
    pk = _as_id(resource_id)
    team = (
        scim_groups(organisation, with_members=with_members).filter(pk=pk).first() if pk else None
    )
    if team is None:
        raise _not_found("Group", resource_id)
    return team


def paging(start_index: str | None, count: str | None) -> tuple[int, int]:
    """1-based startIndex and count (RFC 7644 3.4.2.4): below 1 means 1, negative count 0."""
    try:
        start = int(start_index) if start_index not in (None, "") else 1
        size = int(count) if count not in (None, "") else DEFAULT_COUNT
    except ValueError as error:
        raise _invalid("startIndex and count must be whole numbers.") from error
    if start > MAX_START_INDEX:
        raise _invalid(f"startIndex must be at most {MAX_START_INDEX}.")
    return max(start, 1), min(max(size, 0), MAX_COUNT)


# ---------------------------------------------------------------------------------------------
# Serialising


def user_resource(employee: Employee, *, users_url: str, groups_url: str) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "schemas": [USER_SCHEMA, ENTERPRISE_SCHEMA],
        "id": str(employee.pk),
        "userName": employee.email,
        "name": {
            "givenName": employee.first_name,
            "familyName": employee.last_name,
            "formatted": employee.full_name,
        },
        "displayName": employee.full_name,
        "emails": [{"value": employee.email, "type": "work", "primary": True}],
        "active": not employee.has_left,
        "groups": [],
        ENTERPRISE_SCHEMA: {},
        "meta": {"resourceType": "User", "location": f"{users_url}/{employee.pk}"},
    }
    if employee.scim_external_id:
        resource["externalId"] = employee.scim_external_id
    if employee.job_title:
        resource["title"] = employee.job_title
    team = employee.team
    if team is not None and team.scim_deleted_at is None:
        resource["groups"] = [
            {"value": str(team.pk), "display": team.name, "$ref": f"{groups_url}/{team.pk}"}
        ]
    enterprise = resource[ENTERPRISE_SCHEMA]
    if employee.employee_number:
        enterprise["employeeNumber"] = employee.employee_number
    manager = employee.manager
    if manager is not None and manager.scim_deleted_at is None:
        enterprise["manager"] = {
            "value": str(manager.pk),
            "displayName": manager.full_name,
            "$ref": f"{users_url}/{manager.pk}",
        }
    return resource


def group_resource(
    team: Team, *, users_url: str, groups_url: str, with_members: bool = True
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "schemas": [GROUP_SCHEMA],
        "id": str(team.pk),
        "displayName": team.name,
        "meta": {"resourceType": "Group", "location": f"{groups_url}/{team.pk}"},
    }
    if team.scim_external_id:
        resource["externalId"] = team.scim_external_id
    if with_members:
        resource["members"] = [
            {
                "value": str(member.pk),
                "display": member.full_name,
                "$ref": f"{users_url}/{member.pk}",
            }
            for member in team.members.all()
        ]
    return resource


ALWAYS_RETURNED = {"schemas", "id", "meta"}


def project(resource: dict[str, Any], *, attributes: str, excluded: str) -> dict[str, Any]:
    """Apply ``attributes``/``excludedAttributes`` (top-level names, comma separated)."""

    def names(text: str) -> set[str]:
        return {name.strip().split(".")[0].lower() for name in text.split(",") if name.strip()}

    if attributes.strip():
        wanted = names(attributes) | ALWAYS_RETURNED
        return {key: value for key, value in resource.items() if key.lower() in wanted}
    if excluded.strip():
        unwanted = names(excluded) - ALWAYS_RETURNED
        return {key: value for key, value in resource.items() if key.lower() not in unwanted}
    return resource


def list_response(resources: list[dict[str, Any]], *, total: int, start: int) -> dict[str, Any]:
    return {
        "schemas": [LIST_SCHEMA],
        "totalResults": total,
        "startIndex": start,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }


# ---------------------------------------------------------------------------------------------
# Users: from SCIM attributes to the fields Vakwerk holds


USER_FIELDS = {
    # canonical key: (model field, max length, required)
    "userName": ("email", 254, True),
    "givenName": ("first_name", 80, True),
    "familyName": ("last_name", 120, True),
    "title": ("job_title", 120, False),
    "externalId": ("scim_external_id", 255, False),
    "employeeNumber": ("employee_number", 30, False),
}
_UNSET = object()


@dataclass
class UserChanges:
    """What a request sets. Absent keys are left alone; ``None`` clears an optional field."""

    values: dict[str, Any] = field(default_factory=dict)
    email: Any = _UNSET  # from emails[...]: used when userName is not given
    display_name: str = ""  # only to fill missing names when a user is created

    def set(self, key: str, value: Any) -> None:
        self.values[key] = value


def _first_email(value: Any) -> Any:
    """The work (or else the primary, or else the first) address of an ``emails`` value."""
    if isinstance(value, dict):
        value = [value]
    if isinstance(value, str) or value is None:
        return value
    if not isinstance(value, list):
        raise _invalid('emails must be a list of {"value": ..., "type": ...} objects.')
    items = [item for item in value if isinstance(item, dict) and item.get("value")]
    for item in items:
        if str(item.get("type", "")).lower() == "work":
            return item["value"]
    for item in items:
        if str(item.get("primary", "")).lower() == "true":
            return item["value"]
    return items[0]["value"] if items else None


def _manager_id(value: Any) -> Any:
    """Entra sends the manager as the id string; RFC 7643 as {"value": id}; accept a list too."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("value")
    return None if value in (None, "") else str(value)


def _user_set(changes: UserChanges, path: AttrPath, value: Any, *, remove: bool = False) -> None:
    """Record the effect of setting (or removing) ``path`` on a user."""
    if path.schema == "other":
        return
    if path.schema == ENTERPRISE_SCHEMA:
        if not path.attr:  # the extension object itself
            if remove:
                changes.set("employeeNumber", None)
                changes.set("manager", None)
                return
            if not isinstance(value, dict):
                raise _invalid(f"{ENTERPRISE_SCHEMA} must be an object.")
            for key, item in value.items():
                _user_set(changes, AttrPath(attr=key.lower(), schema=ENTERPRISE_SCHEMA), item)
        elif path.attr == "employeenumber":
            changes.set("employeeNumber", None if remove else value)
        elif path.attr == "manager" and path.sub in ("", "value"):
            changes.set("manager", None if remove else _manager_id(value))
        return
    attr, sub = path.attr, path.sub
    if attr == "username":
        changes.set("userName", None if remove else value)
    elif attr == "name" and not sub:
        if remove:
            changes.set("givenName", None)
            changes.set("familyName", None)
            return
        if not isinstance(value, dict):
            raise _invalid("name must be an object with givenName and familyName.")
        for key, item in value.items():
            _user_set(changes, AttrPath(attr="name", sub=key.lower()), item)
    elif attr == "name" and sub == "givenname":
        changes.set("givenName", None if remove else value)
    elif attr == "name" and sub == "familyname":
        changes.set("familyName", None if remove else value)
    elif _is_work_email(path):
        if not remove:  # the email address is required: removing it is ignored
            changes.email = _first_email(value)
    elif attr == "title" and not sub:
        changes.set("title", None if remove else value)
    elif attr == "externalid":
        changes.set("externalId", None if remove else value)
    elif attr == "active":
        if not remove and value is not None:
            changes.set("active", value)
    elif attr == "displayname" and isinstance(value, str):
        changes.display_name = value
    elif attr in ("employeenumber", "manager"):
        # Entra may send an enterprise attribute by its short name in a value object.
        _user_set(
            changes, AttrPath(attr=attr, sub=sub, schema=ENTERPRISE_SCHEMA), value, remove=remove
        )
    # Anything else (phoneNumbers, addresses, roles, department, ...) is not held: ignored.


_OPS = {"add", "replace", "remove"}
_RESOURCE_KEYS_SKIPPED = {"schemas", "id", "meta", "groups", "members", "password"}


def _operations(data: dict[str, Any]) -> list[tuple[str, str | None, Any]]:
    """The (op, path, value) of a PatchOp body; op names are case-insensitive (Entra: "Add")."""
    operations = data.get("Operations", data.get("operations"))
    if not isinstance(operations, list) or not operations:
        raise ScimError(400, "A PATCH body needs a non-empty 'Operations' list.", "invalidSyntax")
    result: list[tuple[str, str | None, Any]] = []
    for number, operation in enumerate(operations, start=1):
        if not isinstance(operation, dict):
            raise ScimError(400, f"Operation {number} is not an object.", "invalidSyntax")
        name = str(operation.get("op", "")).strip().lower()
        if name not in _OPS:
            raise ScimError(
                400,
                f"Operation {number} has op {operation.get('op')!r}: use add, replace or remove.",
                "invalidSyntax",
            )
        path = operation.get("path")
        if path is not None and not isinstance(path, str):
            raise ScimError(400, f"Operation {number} has a path that is no string.", "invalidPath")
        path = path.strip() if path else None
        value = operation.get("value")
        if path is None and name == "remove":
            raise ScimError(400, f"Operation {number} removes without a path.", "noTarget")
        if path is None and not isinstance(value, dict):
            raise ScimError(
                400,
                f"Operation {number} has no path, so its value must be an object of attributes.",
                "invalidSyntax",
            )
        result.append((name, path, value))
    return result


def user_patch_changes(data: dict[str, Any]) -> UserChanges:
    changes = UserChanges()
    for name, path, value in _operations(data):
        if path is None:
            for key, item in value.items():
                _user_set(changes, parse_path(key), item)
        else:
            _user_set(changes, parse_path(path), value, remove=name == "remove")
    return changes


def user_resource_changes(data: dict[str, Any], *, replace: bool = False) -> UserChanges:
    """The changes a POST (or, with ``replace``, a PUT) body makes."""
    changes = UserChanges()
    for key, value in data.items():
        if key.lower() in _RESOURCE_KEYS_SKIPPED:
            continue
        try:
            path = parse_path(key)
        except ScimError:
            continue  # an odd key in a resource is ignored, as any attribute not held
        _user_set(changes, path, value)
    if replace:
        for key in ("title", "externalId", "manager"):
            changes.values.setdefault(key, None)
    return changes


def _text(key: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _invalid(f"{key} must be a string.")
    return str(value).strip()


def _boolean(value: Any) -> bool:
    """Entra sends active as "True"/"False" strings on older jobs; accept both forms."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise _invalid(f"active must be true or false, not {value!r}.")


@dataclass
class CleanUser:
    fields: dict[str, str]
    manager: Any = _UNSET  # a SCIM id, None to clear, _UNSET to leave
    active: bool | None = None


def _clean_user(changes: UserChanges, *, creating: bool) -> CleanUser:
    values = dict(changes.values)
    if "userName" not in values and changes.email is not _UNSET:
        values["userName"] = changes.email
    if (
        creating
        and changes.display_name
        and not (values.get("givenName") and values.get("familyName"))
    ):
        first, _sep, rest = changes.display_name.strip().partition(" ")
        values.setdefault("givenName", first)
        if rest.strip():
            values.setdefault("familyName", rest.strip())
    clean = CleanUser(fields={})
    for key, (model_field, max_length, required) in USER_FIELDS.items():
        if key not in values:
            if creating and required:
                raise _invalid(f"{_scim_name(key)} is required.")
            continue
        text = _text(_scim_name(key), values[key])
        if required and not text:
            raise _invalid(f"{_scim_name(key)} is required and cannot be removed.")
        if len(text) > max_length:
            raise _invalid(f"{_scim_name(key)} is longer than {max_length} characters.")
        if key == "userName":
            try:
                validate_email(text)
            except ValidationError as error:
                raise _invalid(
                    f"userName {text!r} is not an email address: Vakwerk uses the email address "
                    "as userName (map userName to the mail attribute)."
                ) from error
        clean.fields[model_field] = text
    if "manager" in values:
        clean.manager = values["manager"]
    if "active" in values:
        clean.active = _boolean(values["active"])
    return clean


def _scim_name(key: str) -> str:
    return {"givenName": "name.givenName", "familyName": "name.familyName"}.get(key, key)


# ---------------------------------------------------------------------------------------------
# Writes


def _check_unique(organisation: Organisation, employee: Employee) -> None:
    others = Employee.objects.filter(organisation=organisation).exclude(pk=employee.pk)
    if others.filter(email__iexact=employee.email).exists():
        raise ScimError(
            409, f"A user with userName {employee.email!r} already exists.", "uniqueness"
        )
    in_other_organisation = (
        Employee.objects.exclude(organisation=organisation)
        .annotate(email_lower=Lower("email"))
        .filter(email_lower=employee.email.lower())
        .exists()
    )
    if in_other_organisation:
        raise ScimError(
            409,
            f"userName {employee.email!r} is in use in another organisation.",
            "uniqueness",
        )
    if (
        employee.employee_number
        and others.filter(employee_number=employee.employee_number).exists()
    ):
        raise ScimError(
            409,
            f"employeeNumber {employee.employee_number!r} belongs to another user.",
            "uniqueness",
        )


def _resolve_manager(organisation: Organisation, employee: Employee, manager_id: Any) -> None:
    if manager_id is None:
        employee.manager = None
        return
    pk = _as_id(manager_id)
    manager = scim_users(organisation).filter(pk=pk).first() if pk else None
    if manager is None:
        raise _invalid(f"manager {manager_id!r} is not a user of this organisation.")
    chain: set[int | None] = {employee.pk}
    node: Employee | None = manager
    while node is not None:
        if node.pk in chain:
            raise _invalid("manager would make a loop: nobody is their own (indirect) manager.")
        chain.add(node.pk)
        node = node.manager
    employee.manager = manager


def _save(employee: Employee, update_fields: list[str] | None = None) -> None:
    try:
        employee.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        messages = "; ".join(
            f"{name}: {' '.join(str(m) for m in errors)}"
            for name, errors in error.message_dict.items()
        )
        raise _invalid(messages) from error
    try:
        with transaction.atomic():
            employee.save(update_fields=update_fields)
    except IntegrityError as error:  # a concurrent request took the email or number
        raise ScimError(409, "The user conflicts with another user.", "uniqueness") from error


def _deactivate(client: ScimClient, employee: Employee) -> None:
    """End the employee (today, or on a start date still ahead) and remove their membership of
    the organisation, so their login no longer reaches it. Idempotent."""
    today = timezone.localdate()
    end = max(today, employee.start_date) if employee.start_date else today
    ended = employee.end_date is None or employee.end_date > end
    if ended:
        employee_end(employee=employee, actor=client.actor, end_date=end)
    membership = (
        Membership.objects.filter(
            organisation=client.organisation, user_id=employee.user_id
        ).first()
        if employee.user_id is not None
        else None
    )
    roles: list[str] = []
    if membership is not None:
        roles = [role.value for role in membership.roles]
        audit_log(
            organisation=client.organisation,
            actor=client.actor,
            action="membership.remove",
            target=membership,
            details=client.details(user=employee.email, roles=roles),
        )
        membership.delete()
    if ended or membership is not None:
        audit_log(
            organisation=client.organisation,
            actor=client.actor,
            action="scim.user.deactivate",
            target=employee,
            details=client.details(
                end_date=employee.end_date.isoformat() if employee.end_date else None,
                membership_removed=roles,
            ),
        )


def _reactivate(client: ScimClient, employee: Employee) -> None:
    before = employee.end_date
    employee.end_date = None
    _save(employee, ["end_date"])
    restored = False
    if (
        employee.user is not None
        and not Membership.objects.filter(
            organisation=client.organisation, user=employee.user
        ).exists()
    ):
        membership_grant(
            organisation=client.organisation,
            actor=client.actor,
            user=employee.user,
            roles=[Role.EMPLOYEE],
        )
        restored = True
    audit_log(
        organisation=client.organisation,
        actor=client.actor,
        action="scim.user.reactivate",
        target=employee,
        details=client.details(before=before.isoformat() if before else None, membership=restored),
    )


def _set_active(client: ScimClient, employee: Employee, active: bool | None) -> None:
    if active is False:
        _deactivate(client, employee)
    elif active is True and employee.has_left:
        _reactivate(client, employee)


@transaction.atomic
def scim_user_create(*, client: ScimClient, changes: UserChanges) -> Employee:
    """Create an employee, or take back one that SCIM deleted earlier (same userName)."""
    organisation = client.organisation
    clean = _clean_user(changes, creating=True)
    email = clean.fields["email"]
    deleted = (
        Employee.objects.filter(organisation=organisation, scim_deleted_at__isnull=False)
        .filter(email__iexact=email)
        .first()
    )
    employee = deleted or Employee(organisation=organisation)
    for name, value in clean.fields.items():
        setattr(employee, name, value)
    employee.scim_deleted_at = None
    if clean.manager is not _UNSET:
        _resolve_manager(organisation, employee, clean.manager)
    _check_unique(organisation, employee)
    if employee.user_id is None:
        # A login of this organisation with this address (e.g. SSO before provisioning).
        employee.user = (
            User.objects.filter(email__iexact=email, memberships__organisation=organisation)
            .exclude(employee_records__organisation=organisation)
            .first()
        )
    _save(employee)
    audit_log(
        organisation=organisation,
        actor=client.actor,
        action="scim.user.create",
        target=employee,
        details=client.details(
            user_name=employee.email,
            external_id=employee.scim_external_id,
            employee_number=employee.employee_number,
            rehired=deleted is not None,
        ),
    )
    if deleted is not None and clean.active is not False and employee.has_left:
        _reactivate(client, employee)
    _set_active(client, employee, clean.active)
    return employee


@transaction.atomic
def scim_user_update(*, client: ScimClient, employee: Employee, changes: UserChanges) -> Employee:
    organisation = client.organisation
    clean = _clean_user(changes, creating=False)
    before = {name: getattr(employee, name) for name in clean.fields}
    manager_before = employee.manager_id
    for name, value in clean.fields.items():
        setattr(employee, name, value)
    if clean.manager is not _UNSET:
        _resolve_manager(organisation, employee, clean.manager)
    changed = {
        name: [before[name], value] for name, value in clean.fields.items() if before[name] != value
    }
    if employee.manager_id != manager_before:
        changed["manager"] = [manager_before, employee.manager_id]
    if changed:
        if "email" in changed or "employee_number" in changed:
            _check_unique(organisation, employee)
        _save(employee, list(changed))
        audit_log(
            organisation=organisation,
            actor=client.actor,
            action="scim.user.update",
            target=employee,
            details=client.details(changes=changed),
        )
    _set_active(client, employee, clean.active)
    return employee


@transaction.atomic
def scim_user_delete(*, client: ScimClient, employee: Employee) -> None:
    """End the employee and hide them from SCIM; their history stays (retention removes it)."""
    _deactivate(client, employee)
    employee.scim_deleted_at = timezone.now()
    employee.save(update_fields=["scim_deleted_at"])
    audit_log(
        organisation=client.organisation,
        actor=client.actor,
        action="scim.user.delete",
        target=employee,
        details=client.details(user_name=employee.email, end_date=str(employee.end_date)),
    )


# ---------------------------------------------------------------------------------------------
# Groups


@dataclass
class GroupChanges:
    display_name: str | None = None
    external_id: str | None = None
    # Membership operations in request order: ("add" | "remove" | "replace", ids); "remove"
    # with None removes everyone.
    members: list[tuple[str, list[str] | None]] = field(default_factory=list)


def _member_ids(value: Any) -> list[str]:
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        raise _invalid('members must be a list of {"value": "<user id>"} objects.')
    ids = []
    for item in value:
        if not isinstance(item, dict) or item.get("value") in (None, ""):
            raise _invalid('Each member must be an object with the user id as "value".')
        ids.append(str(item["value"]))
    return ids


def _group_set(changes: GroupChanges, op: str, path: AttrPath, value: Any) -> None:
    if path.schema:
        return
    if path.attr == "displayname":
        if op == "remove":
            raise _invalid("displayName is required and cannot be removed.")
        changes.display_name = _text("displayName", value)
    elif path.attr == "externalid":
        changes.external_id = "" if op == "remove" else _text("externalId", value)
    elif path.attr == "members":
        if path.value_filter is not None:
            # members[value eq "id"]: Entra's way of removing one member.
            if path.value_filter[0] != "value":
                raise ScimError(
                    400, 'Select members by value: members[value eq "id"].', "invalidPath"
                )
            if op != "remove":
                raise ScimError(400, "Only remove takes a filtered members path.", "invalidPath")
            changes.members.append(("remove", [str(path.value_filter[1])]))
        elif op == "remove":
            changes.members.append(("remove", None if value in (None, []) else _member_ids(value)))
        else:
            changes.members.append((op, _member_ids(value)))
    # Other attributes are not held: ignored.


def group_patch_changes(data: dict[str, Any]) -> GroupChanges:
    changes = GroupChanges()
    for name, path, value in _operations(data):
        if path is None:
            for key, item in value.items():
                _group_set(changes, name, parse_path(key), item)
        else:
            _group_set(changes, name, parse_path(path), value)
    return changes


def group_resource_changes(data: dict[str, Any]) -> GroupChanges:
    changes = GroupChanges()
    if not isinstance(data.get("displayName"), str) or not data["displayName"].strip():
        raise _invalid("displayName is required.")
    changes.display_name = data["displayName"].strip()
    changes.external_id = _text("externalId", data.get("externalId"))
    if data.get("members"):
        changes.members.append(("replace", _member_ids(data["members"])))
    return changes


def _check_group_name(organisation: Organisation, team: Team, name: str) -> None:
    if not name:
        raise _invalid("displayName is required.")
    if len(name) > 120:
        raise _invalid("displayName is longer than 120 characters.")
    clash = (
        Team.objects.filter(organisation=organisation, name__iexact=name)
        .exclude(pk=team.pk)
        .first()
    )
    if clash is not None:
        raise ScimError(409, f"A group named {clash.name!r} already exists.", "uniqueness")


def _apply_members(
    client: ScimClient, team: Team, operations: list[tuple[str, list[str] | None]]
) -> dict[str, Any]:
    """Apply membership operations in order; returns what changed, for the audit line."""
    if not operations:
        return {}
    users = scim_users(client.organisation)
    current = set(users.filter(team=team).values_list("pk", flat=True))
    wanted = set(current)
    for op, ids in operations:
        if op == "remove":
            wanted -= wanted if ids is None else {pk for pk in map(_as_id, ids) if pk}
            continue
        pks = {pk for pk in map(_as_id, ids or []) if pk}
        found = set(users.filter(pk__in=pks).values_list("pk", flat=True))
        unknown = sorted(set(ids or []) - {str(pk) for pk in found})
        if unknown:
            raise _invalid(f"Not a user of this organisation: {', '.join(unknown)}.")
        wanted = found if op == "replace" else wanted | found
    added, removed = sorted(wanted - current), sorted(current - wanted)
    moved_from = dict(users.filter(pk__in=added, team__isnull=False).values_list("pk", "team_id"))
    if added:
        users.filter(pk__in=added).update(team=team)
    if removed:
        users.filter(pk__in=removed, team=team).update(team=None)
    if not (added or removed):
        return {}
    return {"added": added, "removed": removed, "moved_from_teams": moved_from}


@transaction.atomic
def scim_group_create(*, client: ScimClient, changes: GroupChanges) -> Team:
    """Create a team, or take back one that SCIM deleted earlier (same name)."""
    organisation = client.organisation
    name = changes.display_name or ""
    deleted = Team.objects.filter(
        organisation=organisation, scim_deleted_at__isnull=False, name__iexact=name
    ).first()
    team = deleted or Team(organisation=organisation)
    _check_group_name(organisation, team, name)
    team.name = name
    team.scim_external_id = changes.external_id or ""
    team.scim_deleted_at = None
    team.full_clean(validate_unique=False, validate_constraints=False)
    team.save()
    members = _apply_members(client, team, changes.members)
    audit_log(
        organisation=organisation,
        actor=client.actor,
        action="scim.group.create",
        target=team,
        details=client.details(
            name=team.name,
            external_id=team.scim_external_id,
            restored=deleted is not None,
            **members,
        ),
    )
    return team


@transaction.atomic
def scim_group_update(*, client: ScimClient, team: Team, changes: GroupChanges) -> Team:
    organisation = client.organisation
    changed: dict[str, Any] = {}
    if changes.display_name is not None and changes.display_name != team.name:
        _check_group_name(organisation, team, changes.display_name)
        changed["name"] = [team.name, changes.display_name]
        team.name = changes.display_name
    if changes.external_id is not None and changes.external_id != team.scim_external_id:
        if len(changes.external_id) > 255:
            raise _invalid("externalId is longer than 255 characters.")
        changed["external_id"] = [team.scim_external_id, changes.external_id]
        team.scim_external_id = changes.external_id
    if changed:
        team.full_clean(validate_unique=False, validate_constraints=False)
        team.save()
    members = _apply_members(client, team, changes.members)
    if changed or members:
        audit_log(
            organisation=organisation,
            actor=client.actor,
            action="scim.group.update",
            target=team,
            details=client.details(changes=changed, **members),
        )
    return team


@transaction.atomic
def scim_group_delete(*, client: ScimClient, team: Team) -> None:
    """The team loses its members and SCIM no longer sees it; the row stays for history."""
    members = list(team.members.values_list("pk", flat=True))
    team.members.update(team=None)
    team.scim_deleted_at = timezone.now()
    team.save(update_fields=["scim_deleted_at"])
    audit_log(
        organisation=client.organisation,
        actor=client.actor,
        action="scim.group.delete",
        target=team,
        details=client.details(name=team.name, removed=members),
    )


# ---------------------------------------------------------------------------------------------
# Discovery: ServiceProviderConfig, ResourceTypes, Schemas (RFC 7643 sections 5 to 7)


def service_provider_config(*, location: str) -> dict[str, Any]:
    """Administrators' documentation: docs/scim-entra.md (Dutch)."""
    return {
        "schemas": [CONFIG_SCHEMA],
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": MAX_COUNT},
        "changePassword": {"supported": False},
        "sort": {"supported": False},
        "etag": {"supported": False},
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "OAuth Bearer Token",
                "description": "An organisation API token with the scim scope, as "
                "'Authorization: Bearer <token>'.",
                "primary": True,
            }
        ],
        "meta": {"resourceType": "ServiceProviderConfig", "location": location},
    }


def resource_types(*, base_url: str) -> list[dict[str, Any]]:
    return [
        {
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": "User",
            "name": "User",
            "endpoint": "/Users",
            "description": "An employee of the organisation.",
            "schema": USER_SCHEMA,
            "schemaExtensions": [{"schema": ENTERPRISE_SCHEMA, "required": False}],
            "meta": {"resourceType": "ResourceType", "location": f"{base_url}/ResourceTypes/User"},
        },
        {
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": "Group",
            "name": "Group",
            "endpoint": "/Groups",
            "description": "A team of the organisation.",
            "schema": GROUP_SCHEMA,
            "meta": {
                "resourceType": "ResourceType",
                "location": f"{base_url}/ResourceTypes/Group",
            },
        },
    ]


def _attribute(
    name: str,
    *,
    kind: str = "string",
    required: bool = False,
    multi: bool = False,
    mutability: str = "readWrite",
    uniqueness: str = "none",
    case_exact: bool = False,
    returned: str = "default",
    sub: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    attribute: dict[str, Any] = {
        "name": name,
        "type": kind,
        "multiValued": multi,
        "required": required,
        "mutability": mutability,
        "returned": returned,
    }
    if kind in ("string", "reference"):
        attribute["caseExact"] = case_exact
        attribute["uniqueness"] = uniqueness
    if sub is not None:
        attribute["subAttributes"] = sub
    return attribute


def schemas(*, base_url: str) -> list[dict[str, Any]]:
    reference = [
        _attribute("value", mutability="immutable"),
        _attribute("display", mutability="readOnly"),
        _attribute("$ref", kind="reference", mutability="immutable"),
    ]
    user = {
        "id": USER_SCHEMA,
        "name": "User",
        "description": "An employee of the organisation.",
        "attributes": [
            _attribute("userName", required=True, uniqueness="server"),
            _attribute(
                "name",
                kind="complex",
                sub=[
                    _attribute("givenName", required=True),
                    _attribute("familyName", required=True),
                    _attribute("formatted", mutability="readOnly"),
                ],
            ),
            _attribute("displayName", mutability="readOnly"),
            _attribute("title"),
            _attribute("active", kind="boolean"),
            _attribute(
                "emails",
                kind="complex",
                multi=True,
                sub=[
                    _attribute("value"),
                    _attribute("type"),
                    _attribute("primary", kind="boolean"),
                ],
            ),
            _attribute("groups", kind="complex", multi=True, mutability="readOnly", sub=reference),
        ],
    }
    enterprise = {
        "id": ENTERPRISE_SCHEMA,
        "name": "EnterpriseUser",
        "description": "Enterprise user: employee number and manager.",
        "attributes": [
            _attribute("employeeNumber", uniqueness="server"),
            _attribute(
                "manager",
                kind="complex",
                sub=[
                    _attribute("value"),
                    _attribute("displayName", mutability="readOnly"),
                    _attribute("$ref", kind="reference"),
                ],
            ),
        ],
    }
    group = {
        "id": GROUP_SCHEMA,
        "name": "Group",
        "description": "A team of the organisation.",
        "attributes": [
            _attribute("displayName", required=True, uniqueness="server"),
            _attribute("members", kind="complex", multi=True, sub=reference),
        ],
    }
    return [
        {
            **schema,
            "schemas": [SCHEMA_SCHEMA],
            "meta": {"resourceType": "Schema", "location": f"{base_url}/Schemas/{schema['id']}"},
        }
        for schema in (user, enterprise, group)
    ]

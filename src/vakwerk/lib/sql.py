"""Plain SQL for the few reads that run on almost every request.

Building a query through the ORM costs several times as much CPU as running it: reading one
attempt with its scenario variant took 1.2-1.4 ms of CPU through the ORM, 0.14-0.18 ms for the
same statement through a cursor and 0.24-0.32 ms with the rows made into instances here
(measured in-process on PostgreSQL). For the handful of statements that run on almost every
request (a scenario step, an answer, the header's unread count), the SQL is written once, with
the table and column names the models give, and rows become model instances through the same
value conversions the ORM applies (JSON, dates and UUIDs on SQLite). A test holds each such
read equal to its ORM form.

Django has no public way to keep a compiled query and run it again with other values, so this
small module stands in for one.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db import connection
from django.db.models import Field, Model


def quote(name: str) -> str:
    return connection.ops.quote_name(name)


def table(model: type[Model]) -> str:
    """The model's table name, quoted."""
    return quote(model._meta.db_table)


def _field(model: type[Model], field_name: str) -> Field:
    field = model._meta.get_field(field_name)
    assert isinstance(field, Field), field_name  # a concrete field, not a reverse relation
    return field


def column(model: type[Model], field_name: str) -> str:
    """The column of one of the model's fields (``"employee"`` gives ``employee_id``), quoted."""
    return quote(str(_field(model, field_name).column))


@dataclass(frozen=True)
class Columns[M: Model]:
    """A model's concrete fields, but ``exclude`` (those are deferred on the instances), in the
    order a SELECT lists them and ``load`` reads them."""

    model: type[M]
    fields: tuple[Field, ...]

    def select(self, alias: str) -> str:
        """The column list, each column prefixed with ``alias``."""
        return ", ".join(f"{alias}.{quote(str(field.column))}" for field in self.fields)

    def load(self, values: Sequence[Any]) -> M:
        """A model instance from the row's values, converted as the ORM converts them."""
        converted = [
            convert(field, value) for field, value in zip(self.fields, values, strict=True)
        ]
        return self.model.from_db(
            connection.alias, [field.attname for field in self.fields], converted
        )


def convert(field: Field, value: Any) -> Any:
    """A column's value as the ORM gives it for ``field`` (also for an aggregate of that
    column, such as the MAX of a date: a string on SQLite)."""
    for converter in _converters(field, connection.vendor):
        value = converter(value, None, connection)
    return value


@cache
def columns[M: Model](model: type[M], exclude: tuple[str, ...] = ()) -> Columns[M]:
    fields = tuple(field for field in model._meta.concrete_fields if field.name not in exclude)
    return Columns(model, fields)


@cache
def _converters(field: Field, vendor: str) -> tuple[Any, ...]:
    """What the ORM's compiler calls on a column's value, backend first, then the field's."""
    expression = field.get_col(field.model._meta.db_table)
    return (
        *connection.ops.get_db_converters(expression),
        *field.get_db_converters(connection),
    )

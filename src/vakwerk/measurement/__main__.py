"""Command line: ``python -m vakwerk.measurement estimate IN.csv OUT.csv``.

Input columns ``person,competency,source,rater,item,score,categories`` (any order, extra columns
ignored); output one row per person x competency:
``person,competency,estimate,sd,lower90,upper90,n_self,n_manager,n_peer,n_external,n_sjt``.
Malformed input exits with code 2 and a message naming the line and column; the output file is
written to a temporary file next to it and renamed only on success.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from vakwerk.measurement.engine import SOURCES, EvidenceBuilder, fit_competency
from vakwerk.measurement.engine.evidence import Evidence

INPUT_COLUMNS = ("person", "competency", "source", "rater", "item", "score", "categories")
OUTPUT_COLUMNS = (
    "person",
    "competency",
    "estimate",
    "sd",
    "lower90",
    "upper90",
    *(f"n_{source}" for source in SOURCES),
)
NEEDS_RATER = frozenset({"manager", "peer", "external"})
# No rating scale has more answers; the bound also keeps every number inside numpy's int64.
MAX_CATEGORIES = 1000


class InputError(Exception):
    """Malformed input; the message names the line and column."""


def _integer(text: str, where: str) -> int:
    body = text[1:] if text[:1] == "-" else text
    if not (body.isascii() and body.isdigit()):
        raise InputError(f"{where}: {text!r} is not an integer")
    if len(body.lstrip("0")) > 9:
        shown = text if len(text) <= 20 else text[:20] + "..."
        raise InputError(f"{where}: {shown!r} is too large")
    return int(text)


def read_evidence(path: Path) -> dict[str, Evidence]:
    """Parse and validate the input CSV into evidence per competency."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputError(f"{path}: cannot read: {error.strerror}") from error
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        position = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        raise InputError(
            f"{path} line {line}, byte {position}: not UTF-8 text "
            f"(byte 0x{data[error.start]:02x}); save the file as CSV UTF-8"
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        return _read_records(path, reader)
    except csv.Error as error:
        raise InputError(f"{path} line {reader.line_num}: {error}") from None


def _read_records(path: Path, reader: Any) -> dict[str, Evidence]:
    """The header and the rows of ``reader`` (a ``csv.reader``), checked."""
    header = next(reader, None)
    if header is None or not any(cell.strip() for cell in header):
        raise InputError(
            f"{path} line 1: empty file, expected the header " + ",".join(INPUT_COLUMNS)
        )
    names = [cell.strip() for cell in header]
    for column in INPUT_COLUMNS:
        if column not in names:
            raise InputError(f"{path} line 1, column '{column}': missing column")
    index = [names.index(column) for column in INPUT_COLUMNS]
    builder = EvidenceBuilder()
    rows = 0
    for record in reader:
        if not any(cell.strip() for cell in record):
            continue
        line = reader.line_num
        if len(record) < len(names):
            raise InputError(
                f"{path} line {line}, column '{names[len(record)]}': missing value "
                f"(expected {len(names)} fields, got {len(record)})"
            )
        person, competency, source, rater, item, score_text, categories_text = (
            record[i].strip() for i in index
        )
        where = f"{path} line {line}, column"
        for name, value in (("person", person), ("competency", competency), ("item", item)):
            if not value:
                raise InputError(f"{where} '{name}': empty")
        if source not in SOURCES:
            raise InputError(f"{where} 'source': {source!r} is not one of {', '.join(SOURCES)}")
        if not rater and source in NEEDS_RATER:
            raise InputError(f"{where} 'rater': empty, required for source {source}")
        categories = _integer(categories_text, f"{where} 'categories'")
        if categories < 2:
            raise InputError(f"{where} 'categories': {categories} is below 2")
        if categories > MAX_CATEGORIES:
            raise InputError(f"{where} 'categories': {categories} is above {MAX_CATEGORIES}")
        score = _integer(score_text, f"{where} 'score'")
        if not 0 <= score < categories:
            raise InputError(
                f"{where} 'score': {score} is out of range 0..{categories - 1} "
                f"(categories={categories})"
            )
        builder.add(competency, person, source, rater, item, score, categories)
        rows += 1
    if rows == 0:
        raise InputError(f"{path} line 2: empty file, no data rows after the header")
    return builder.build()


def estimate(source: Path, target: Path) -> None:
    """Read, fit every competency, and write the output atomically."""
    evidence = read_evidence(source)
    rows: list[list[str]] = []
    for competency, competency_evidence in evidence.items():
        fit = fit_competency(competency_evidence)
        lower, upper = fit.interval(0.9)
        order = sorted(range(len(fit.persons)), key=fit.persons.__getitem__)
        for p in order:
            numbers = (fit.estimate[p], fit.sd[p], lower[p], upper[p])
            rows.append(
                [fit.persons[p], competency, *(f"{x:.6f}" for x in numbers)]
                + [str(int(n)) for n in fit.counts[p]]
            )
    directory = target.parent if str(target.parent) else Path()
    descriptor, temporary = tempfile.mkstemp(
        dir=directory, prefix=f".{target.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(OUTPUT_COLUMNS)
            writer.writerows(rows)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vakwerk.measurement")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("estimate", help="estimate levels from IN.csv into OUT.csv")
    run.add_argument("input", type=Path, metavar="IN.csv")
    run.add_argument("output", type=Path, metavar="OUT.csv")
    args = parser.parse_args(argv)
    try:
        estimate(args.input, args.output)
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

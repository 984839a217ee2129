"""Properties of the engine's command line for arbitrary input files (hypothesis).

Any input gives exit code 0 or 2, never a traceback; with 2 the message names the line and no
output file (nor a temporary one) exists; valid evidence gives one output row per person and
competency (every person in the file, for every competency in it).
"""

import csv
import io
import itertools
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vakwerk.measurement.__main__ import INPUT_COLUMNS, OUTPUT_COLUMNS, main
from vakwerk.measurement.engine import SOURCES


def run(data: bytes, capsys) -> tuple[int, str, list[list[str]]]:
    """Exit code, error message and output rows of the command for a file holding ``data``."""
    with tempfile.TemporaryDirectory(prefix="cli-property-") as name:
        directory = Path(name)
        source, target = directory / "in.csv", directory / "out.csv"
        source.write_bytes(data)
        code = main(["estimate", str(source), str(target)])
        message = capsys.readouterr().err
        if code == 2:
            assert not target.exists()
            assert [p.name for p in directory.iterdir()] == ["in.csv"]  # no temporary file
            assert re.search(r"line \d+", message), message
            return code, message, []
        assert code == 0
        with target.open(newline="") as handle:
            return code, message, list(csv.reader(handle))


def csv_of(rows) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode()


# capsys is only read (and emptied) within each example.
CAPSYS = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
HEADER = list(INPUT_COLUMNS)
field = st.one_of(
    st.text(max_size=6),
    st.sampled_from([*SOURCES, "", "-1", "0", "1", "2", "5", "99999999999999999999", "x"]),
)


@CAPSYS
@given(
    st.binary(max_size=300)
    | st.builds(lambda tail: ",".join(HEADER).encode() + b"\n" + tail, st.binary(max_size=200))
)
def test_arbitrary_bytes_exit_0_or_2(capsys, data):
    run(data, capsys)


@CAPSYS
@given(st.lists(st.lists(field, min_size=0, max_size=8), max_size=5))
def test_arbitrary_rows_under_the_header_exit_0_or_2_naming_line_and_column(capsys, rows):
    code, message, _output = run(csv_of([HEADER, *rows]), capsys)
    if code == 2 and "line 1" not in message and "empty file" not in message:
        assert re.search(r"line \d+, column '[a-z]+'", message), message


evidence_row = st.tuples(
    st.sampled_from(["p1", "p2", "p3"]),
    st.sampled_from(["c1", "c2"]),
    st.sampled_from(SOURCES),
    st.sampled_from(["r1", "r2"]),
    st.sampled_from(["i1", "i2", "i3"]),
    st.integers(min_value=0, max_value=4),
)


@CAPSYS
@given(st.lists(evidence_row, min_size=1, max_size=25))
def test_valid_evidence_gives_a_row_for_every_person_and_competency(capsys, rows):
    records = [
        [person, competency, source, rater, item, str(score), "5"]
        for person, competency, source, rater, item, score in rows
    ]
    code, message, output = run(csv_of([HEADER, *records]), capsys)
    assert code == 0, message
    assert tuple(output[0]) == OUTPUT_COLUMNS
    written = {(row[0], row[1]) for row in output[1:]}
    persons = {person for person, *_ in rows}
    competencies = {competency for _person, competency, *_ in rows}
    assert written == set(itertools.product(persons, competencies))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b"person,competency,source,rater,item,score,categories\nJos\xe9,c1,self,,i1,1,3\n",
            "line 2, byte 4: not UTF-8 text",
        ),
        ("person,competency\n".encode("utf-16"), "line 1, byte 1: not UTF-8 text"),
        (
            ",".join(HEADER).encode() + b"\n" + b"a" * 200_000 + b",c1,self,,i1,1,3\n",
            "line 2: field larger than field limit",
        ),
        (
            ",".join(HEADER).encode() + b"\na,c1,self,,i1,1,99999999999999999999\n",
            "line 2, column 'categories': '99999999999999999999' is too large",
        ),
        (
            ",".join(HEADER).encode() + b"\na,c1,self,,i1,1," + b"9" * 5000 + b"\n",
            "line 2, column 'categories': '99999999999999999999...' is too large",
        ),
        (
            ",".join(HEADER).encode() + b"\na,c1,self,,i1,1,1001\n",
            "line 2, column 'categories': 1001 is above 1000",
        ),
    ],
)
def test_input_that_used_to_crash_exits_2_naming_the_line(capsys, data, message):
    code, error, _output = run(data, capsys)
    assert code == 2
    assert message in error

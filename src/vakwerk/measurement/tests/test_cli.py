"""The command line contract: happy path and malformed input."""

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from vakwerk.measurement.__main__ import INPUT_COLUMNS, OUTPUT_COLUMNS, main
from vakwerk.measurement.engine import SOURCES
from vakwerk.measurement.engine.simulate import FULL_360, simulate

HEADER = ",".join(INPUT_COLUMNS)


def _write_org(path: Path, n_persons: int = 60) -> None:
    org = simulate(n_persons, FULL_360, 31, n_competencies=2)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(INPUT_COLUMNS)
        for name, ev in org.evidence.items():
            for p, s, r, i, x, k in zip(
                ev.person, ev.source, ev.rater, ev.item, ev.score, ev.categories, strict=True
            ):
                rater = ev.raters[r] if r >= 0 else ""
                writer.writerow([ev.persons[p], name, SOURCES[s], rater, ev.items[i], x, k])


def test_happy_path(tmp_path):
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    _write_org(source)
    assert main(["estimate", str(source), str(target)]) == 0
    with target.open(newline="") as handle:
        reader = csv.reader(handle)
        assert tuple(next(reader)) == OUTPUT_COLUMNS
        rows = list(reader)
    assert len(rows) == 60 * 2
    assert {row[1] for row in rows} == {"c1", "c2"}
    for row in rows:
        estimate, sd, lower, upper = map(float, row[2:6])
        assert lower < estimate < upper
        assert sd > 0
        assert upper - lower == pytest.approx(2 * 1.6448536 * sd, abs=1e-5)
        n_self, n_manager, n_peer, n_external, n_sjt = map(int, row[6:])
        assert (n_self, n_manager, n_external, n_sjt) == (5, 5, 0, 12)
        assert 15 <= n_peer <= 35
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_runs_as_a_module_and_is_deterministic(tmp_path):
    source = tmp_path / "in.csv"
    _write_org(source, n_persons=40)
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[3]))
    outputs = []
    for name in ("a.csv", "b.csv"):
        done = subprocess.run(  # noqa: S603
            [
                sys.executable,
                "-m",
                "vakwerk.measurement",
                "estimate",
                str(source),
                str(tmp_path / name),
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        outputs.append((tmp_path / name).read_text())
    assert outputs[0] == outputs[1]


@pytest.mark.parametrize(
    ("content", "line", "column"),
    [
        ("", 1, None),
        ("\n", 1, None),
        (HEADER + "\n", 2, None),
        ("person,competency,source,rater,item,categories\np,c,peer,r,i,5\n", 1, "score"),
        (HEADER + "\np,c,peer,r,i,3,5\np,c,peer,r,i,5,5\n", 3, "score"),
        (HEADER + "\np,c,peer,r,i,-1,5\n", 2, "score"),
        (HEADER + "\np,c,peer,r,i,2.5,5\n", 2, "score"),
        (HEADER + "\np,c,peer,r,i,x,5\n", 2, "score"),
        (HEADER + "\np,c,peer,r,i,1,five\n", 2, "categories"),
        (HEADER + "\np,c,peer,r,i,0,1\n", 2, "categories"),
        (HEADER + "\np,c,boss,r,i,1,5\n", 2, "source"),
        (HEADER + "\np,c,peer,,i,1,5\n", 2, "rater"),
        (HEADER + "\n,c,peer,r,i,1,5\n", 2, "person"),
        (HEADER + "\np,c,peer,r\n", 2, "item"),
    ],
)
def test_malformed_input_exits_2_and_writes_nothing(tmp_path, capsys, content, line, column):
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    source.write_text(content)
    assert main(["estimate", str(source), str(target)]) == 2
    message = capsys.readouterr().err
    assert f"line {line}" in message
    if column is not None:
        assert f"column '{column}'" in message
    assert not target.exists()
    assert list(tmp_path.iterdir()) == [source]


def test_failed_run_keeps_an_existing_output(tmp_path):
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    source.write_text(HEADER + "\np,c,peer,r,i,9,5\n")
    target.write_text("previous\n")
    assert main(["estimate", str(source), str(target)]) == 2
    assert target.read_text() == "previous\n"


def test_sjt_and_self_rows_need_no_rater(tmp_path):
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    rows = [f"p{p},c,self,,i{i},{(p + i) % 5},5" for p in range(8) for i in range(3)]
    rows += [f"p{p},c,sjt,,s{i},{(p * i) % 4},4" for p in range(8) for i in range(4)]
    source.write_text(HEADER + "\n" + "\n".join(rows) + "\n")
    assert main(["estimate", str(source), str(target)]) == 0
    assert len(target.read_text().splitlines()) == 9

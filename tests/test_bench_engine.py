"""The engine benchmark's quick mode runs and prints well-formed tables (no timing is asserted)."""

import importlib.util
import pathlib
import re
import sys

import pytest

SCRIPT = pathlib.Path(__file__).resolve().parents[1] / "benchmarks" / "bench_engine.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_engine", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look their module up there
    spec.loader.exec_module(module)
    yield module
    monkeypatch.undo()


def _tables(text):
    """Each GitHub table as a list of rows of cells."""
    tables, current = [], []
    for line in text.splitlines() + [""]:
        if line.startswith("|"):
            current.append([c.strip() for c in line.strip("|").split("|")])
        elif current:
            tables.append(current)
            current = []
    return tables


def test_quick_mode_prints_well_formed_tables(bench, monkeypatch, capsys):
    # JAX and PyTorch stand absent (their columns print "-"): the smoke test stays fast and
    # does not depend on the bench extra.
    monkeypatch.setattr(bench, "jax_gd", lambda *a: None)
    monkeypatch.setattr(bench, "torch_gd", lambda *a: None)
    assert bench.main(["--quick"]) == 0
    out = capsys.readouterr().out
    tables = _tables(out)
    assert len(tables) == 5  # sweep, single, batched, Arb vs mpmath, mpmath path vs mpmath.matrix
    for table in tables:
        header, rule, *rows = table
        assert rows and all(re.fullmatch(r"-+", c) for c in rule)
        assert all(len(row) == len(header) for row in rows)
    sweep, single = tables[0], tables[1]
    assert [row[0] for row in sweep[2:]] == ["2", "3"]
    for row in single[2:] + tables[2][2:]:
        cells = dict(zip(single[0], row))
        assert cells["jax it/s"] == "-" and cells["lintheory/jax"] == "-"
        assert re.fullmatch(r"[\d,]+(\.\d+)?", cells["lintheory it/s"])
        assert re.fullmatch(r"[\d.]+x", cells["lintheory/numpy"])
    for table in tables[1:]:
        assert all(row[-1] == "yes" for row in table[2:])  # every contender took the same steps
    assert "targets: all met" in out  # quick mode sets no targets


def test_only_precision_prints_just_the_high_precision_tables(bench, monkeypatch, capsys):
    monkeypatch.setattr(bench, "float_tables", lambda *a: pytest.fail("float tables ran"))
    monkeypatch.setattr(bench, "sweep_table", lambda *a: pytest.fail("sweep ran"))
    assert bench.main(["--quick", "--only", "precision"]) == 0
    out = capsys.readouterr().out
    tables = _tables(out)
    assert len(tables) == 2  # Arb vs mpmath, mpmath path vs mpmath.matrix
    assert tables[0][0][:4] == ["case", "lintheory it/s", "mpmath it/s", "lintheory/mpmath"]
    assert tables[1][0][:3] == ["case", "lintheory it/s", "mpmath.matrix it/s"]
    assert all(row[-1] == "yes" for table in tables for row in table[2:])


def test_products_per_step_is_the_kernels_count(bench):
    # L-1 prefixes, L-1 back-propagated products, L-1 gradient products (the lowest is B_1).
    assert [bench.products_per_step(L) for L in (1, 2, 8)] == [0, 3, 21]


def test_bad_arguments_exit_2(bench):
    for argv in (["--threads", "0"], ["--rounds", "0"], ["--only", "float"], ["--only", "precision", "--sweep"]):
        with pytest.raises(SystemExit) as exc:
            bench.main(argv)
        assert exc.value.code == 2

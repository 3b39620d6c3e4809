"""The segment package's rooms, checked on the source (``ast``, not grep): the language is pure and
no reader imports the daily job. See docs/architecture.md."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SEGMENTS = Path(__file__).resolve().parents[1] / "jobs" / "segments"

# Modules of the project that read or write files or tables; the language imports none of them.
IO_MODULES = (
    "jobs.delta_io", "jobs.storage", "jobs.tables", "jobs.publish", "jobs.visibility",
    "jobs.segments.sources", "jobs.segments.inputs", "jobs.segments.import_match", "jobs.segments.outputs",
    "jobs.segments.daily", "jobs.segments.readers",
)
# Calls that open, list or stat files.
IO_CALLS = {"open", "os.open", "os.fdopen", "io.open", "os.walk", "os.listdir", "os.scandir", "os.stat", "os.lstat",
            "tempfile.mkdtemp", "tempfile.NamedTemporaryFile", "shutil.rmtree"}
IO_METHODS = {"read_text", "read_bytes", "write_text", "write_bytes"}
# The daily job, however it is reached.
JOB_MODULES = ("jobs.segments.daily",)
JOB_NAMES = {("jobs.segments", "evaluate_segments"), ("jobs.segments", "daily")}


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def imports(tree: ast.AST) -> list[tuple[str, str | None, int]]:
    """(module, imported name or None, line) of every import anywhere in the tree (functions too)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, None, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found += [(node.module, a.name, node.lineno) for a in node.names]
    return found


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return f"{inner}.{node.attr}" if inner else None
    return None


def _shipped(node: ast.AST) -> bool:
    """``shipped(NAME)``: a resource shipped inside the package (the language's own JSON Schema), not
    a file people write nor a table."""
    return isinstance(node, ast.Call) and _dotted(node.func) == "shipped"


def language_violations(source: str) -> list[str]:
    """Why a language module's source breaks the rule (no Spark session, no file or table I/O)."""
    tree = ast.parse(source)
    out = []
    for module, name, line in imports(tree):
        if "SparkSession" in (module.split(".") + [name or ""]):
            out.append(f"line {line}: imports SparkSession")
        if _within(module, IO_MODULES) or (name and _within(f"{module}.{name}", IO_MODULES)):
            out.append(f"line {line}: imports {module}{'.' + name if name else ''} (I/O)")
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ("builder", "getActiveSession", "active") \
                and _dotted(node.value) == "SparkSession":
            out.append(f"line {node.lineno}: uses a Spark session")
        if isinstance(node, ast.Call):
            called = _dotted(node.func)
            if called in IO_CALLS:
                out.append(f"line {node.lineno}: calls {called}()")
            elif isinstance(node.func, ast.Attribute) and node.func.attr in IO_METHODS and not _shipped(node.func.value):
                out.append(f"line {node.lineno}: calls .{node.func.attr}()")
    return out


def reader_violations(source: str) -> list[str]:
    """Why a reader module's source breaks the rule (no import of the daily job)."""
    out = []
    for module, name, line in imports(ast.parse(source)):
        if _within(module, JOB_MODULES) or (module, name) in JOB_NAMES:
            out.append(f"line {line}: imports the daily job ({module}{'.' + name if name else ''})")
    return out


# The published history: the run catalog and the publications log (and what reads them) are named
# only by the history module of the readers.
HISTORY_MODULE = "published.py"
HISTORY_TABLES = {"GOLD_SEGMENT_RUNS", "GOLD_PUBLICATIONS"}
HISTORY_TABLE_NAMES = {"gold.segment_runs", "gold.publications"}
HISTORY_READS = {("jobs.visibility", None), ("jobs.segments.inputs", "previous_runs")}


def history_violations(source: str) -> list[str]:
    """Why a reader module other than the history module reads the run catalog or the publications
    log itself (names the tables, spells their names, or imports what reads them)."""
    tree = ast.parse(source)
    out = []
    for module, name, line in imports(tree):
        if name in HISTORY_TABLES or (module, None) in HISTORY_READS or (module, name) in HISTORY_READS:
            out.append(f"line {line}: imports {module}{'.' + name if name else ''}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in HISTORY_TABLES:
            out.append(f"line {node.lineno}: reads {node.id}")
        elif isinstance(node, ast.Attribute) and node.attr in HISTORY_TABLES:
            out.append(f"line {node.lineno}: reads {_dotted(node) or node.attr}")
        elif isinstance(node, ast.Constant) and node.value in HISTORY_TABLE_NAMES:
            out.append(f"line {node.lineno}: names the table {node.value}")
    return out


def _modules(room: str) -> list[Path]:
    found = sorted((SEGMENTS / room).rglob("*.py"))
    assert found, f"no modules in jobs/segments/{room}"
    return found


def test_the_walker_detects_violations():
    bad_language = (
        "from pyspark.sql import SparkSession\n"
        "import jobs.delta_io\n"
        "def f(path):\n"
        "    from jobs.publish import stage\n"
        "    with open(path) as fh:\n"
        "        return fh.read()\n"
    )
    found = language_violations(bad_language)
    assert [v.split(":")[0] for v in found] == ["line 1", "line 2", "line 4", "line 5"], found
    assert language_violations("import pyspark.sql.SparkSession\n")
    assert language_violations("from jobs.segments.sources import load_document\n")
    assert language_violations("import os\nos.walk('.')\n")
    assert language_violations("from pyspark.sql import Column, functions as F\n") == []
    assert language_violations("Path(p).read_text()\n")
    assert language_violations("shipped(SCHEMA).read_text()\n") == []
    assert reader_violations("def f():\n    from jobs.segments.daily.job import run_imports\n")
    assert reader_violations("from jobs.segments import evaluate_segments\n")
    assert reader_violations("import jobs.segments.daily\n")
    assert reader_violations("from jobs.segments.inputs import run_imports\n") == []
    assert history_violations("def f(root):\n    from jobs.tables import GOLD_SEGMENT_RUNS\n")
    assert history_violations("import jobs.tables\nrows = read_arrow(jobs.tables.GOLD_PUBLICATIONS, root)\n")
    assert history_violations("from jobs.visibility import read_log\n")
    assert history_violations("from jobs.segments.inputs import previous_runs\n")
    assert history_violations("TABLE = 'gold.segment_runs'\n")
    assert history_violations('"""Rows of gold.segment_runs, read through the history."""\n') == []
    assert history_violations("from jobs.tables import GOLD_SEGMENT_MEMBERSHIP\n") == []


@pytest.mark.parametrize("path", _modules("language"), ids=lambda p: str(p.relative_to(SEGMENTS)))
def test_the_language_has_no_session_and_no_io(path):
    assert language_violations(path.read_text()) == []


@pytest.mark.parametrize("path", _modules("readers"), ids=lambda p: str(p.relative_to(SEGMENTS)))
def test_no_reader_imports_the_daily_job(path):
    assert reader_violations(path.read_text()) == []


@pytest.mark.parametrize("path", [p for p in _modules("readers") if p.name != HISTORY_MODULE],
                         ids=lambda p: str(p.relative_to(SEGMENTS)))
def test_only_the_history_module_reads_the_run_catalog(path):
    """Readers ask ``published.PublishedHistory`` (read once per command), never the tables themselves."""
    assert history_violations(path.read_text()) == []


def test_every_module_lives_in_a_room():
    """Next to the rooms only the package's front door and the shared boundary modules."""
    shared = {"__init__.py", "validate.py", "sources.py", "inputs.py", "import_match.py", "outputs.py"}
    assert {p.name for p in SEGMENTS.glob("*.py")} == shared


@pytest.mark.parametrize("rel", ["language/compile.py", "language/evaluate.py"])
def test_aggregate_column_names_have_one_owner(rel):
    """The compiler and the evaluator name behavior-aggregate columns through ``columns.AggregateColumns``."""
    tree = ast.parse((SEGMENTS / rel).read_text())
    assert ("jobs.segments.language.columns", "AggregateColumns") in {(m, n) for m, n, _ in imports(tree)}
    spelled = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.JoinedStr)
               and any(isinstance(v, ast.Constant) and any(w in str(v.value) for w in ("_times", "_days", "_sum", "_count"))
                       for v in n.values)]
    assert spelled == [], f"{rel} spells aggregate column names itself at lines {spelled}"


def test_run_records_are_built_by_name():
    """``RunRecord.published/failed/blocked/retired``: no ``RunRecord(...)`` call, positional or not, in jobs/."""
    calls = []
    for path in sorted((SEGMENTS.parent).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "RunRecord":
                calls.append(f"{path.relative_to(SEGMENTS.parent)}:{node.lineno}")
    assert calls == []


def test_the_architecture_map_names_every_module_of_the_rooms():
    """docs/architecture.md matches the code: every module of a room is named there, as ``module``
    (or ``module.function``), and every function it names in a step of the daily job exists."""
    import importlib
    import re

    text = (SEGMENTS.parents[1] / "docs" / "architecture.md").read_text()
    for room in ("language", "daily", "readers"):
        for path in (SEGMENTS / room).rglob("*.py"):
            if path.name != "__init__.py":
                assert re.search(rf"[`/]{path.stem}\b", text), f"docs/architecture.md does not name {room}/{path.name}"

    for module, function in re.findall(r"`(read|plan|evaluate|stage|publication|records)\.(\w+)`", text):
        assert hasattr(importlib.import_module(f"jobs.segments.daily.{module}"), function), (module, function)

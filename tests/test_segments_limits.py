"""Definition limits (PRODUCT.md): checked before parsing (a regular file inside the folder, 1 MiB)
and while parsing (64 levels, 10,000 alias nodes), each a located DefinitionError; import files
(64 MiB, 1,000,000 lines, no FIFO or device); a hostile folder is reported in bounded time and memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from jobs.segments import format_errors, validate

REPO = Path(__file__).resolve().parents[1]
GOOD = "id: good\napp_id: smartlife\nname: Good\nrule: {type: label, label: has_gateway, op: eq, value: true}\n"
LEAF = "{type: label, label: has_gateway, op: eq, value: true}"
# 616 bytes: nine anchors of nine aliases each expand to 9^9 (387 million) strings
ALIAS_BOMB = "".join(
    [f'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n']
    + [f"{c}: &{c} [{','.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi")]
    + ["id: bomb\napp_id: smartlife\nname: Bomb\n", "rule: {type: label, label: city_en, op: in, value: *i}\n",
       "description: " + "x" * 167 + "\n"]
)


def _folder(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    defs = tmp_path / "segment_defs"
    for name, text in {"smartlife/good.yaml": GOOD, **files}.items():
        (defs / name).parent.mkdir(parents=True, exist_ok=True)
        (defs / name).write_bytes(text if isinstance(text, bytes) else text.encode())
    return defs


def _report(defs: Path) -> str:
    return format_errors(validate(str(defs)))


def _deep(levels: int) -> str:
    return f"id: deep\napp_id: smartlife\nname: Deep\nrule: {'{not: ' * levels}{LEAF}{'}' * levels}\n"


def test_the_alias_bomb_is_616_bytes():
    assert len(ALIAS_BOMB.encode()) == 616


def test_limits_while_parsing(tmp_path):
    defs = _folder(tmp_path, {"smartlife/bomb.yaml": ALIAS_BOMB, "smartlife/deep.yaml": _deep(62),
                              "smartlife/deeper.yaml": _deep(63).replace("id: deep", "id: deeper").replace("Deep", "Deeper")})
    assert _report(defs) == (
        "smartlife/bomb.yaml:5:8: aliases expand to more than 10,000 nodes\n\n"
        "smartlife/deeper.yaml:4:385: nesting deeper than 64 levels\n\n"
        "2 errors in 2 files"
    )  # 62 `not`s: 64 levels with the document and the leaf, the most allowed


def test_nesting_through_aliases_counts_expanded(tmp_path):
    inner = "[" * 40 + "1" + "]" * 40
    text = f"x: &x {inner}\nid: a\napp_id: smartlife\nname: A\nrule: {'[' * 30}*x{']' * 30}\n"
    assert _report(_folder(tmp_path, {"smartlife/a.yaml": text})) == (
        "smartlife/a.yaml:5:37: nesting deeper than 64 levels\n\n1 error in 1 file")


def test_a_tag_that_does_not_construct(tmp_path):
    text = "id: a\napp_id: smartlife\nname: A\nrule: {type: label, label: bound_devices, op: ge, value: !!float x}\n"
    assert _report(_folder(tmp_path, {"smartlife/a.yaml": text})) == (
        "smartlife/a.yaml:4:58: value 'x' is not a valid !!float\n  at: rule.value\n\n1 error in 1 file")


def test_files_refused_before_reading(tmp_path):
    outside = tmp_path / "outside.yaml"
    outside.write_text(GOOD.replace("good", "outside"))
    defs = _folder(tmp_path, {"smartlife/big.yaml": b"#" + b"x" * (1024 * 1024 - 1) + b"\n",
                              "smartlife/latin1.yaml": "id: a\nname: caf\xe9\n".encode("latin-1")})
    (defs / "smartlife" / "zero.yaml").symlink_to("/dev/zero")
    (defs / "smartlife" / "out.yaml").symlink_to(outside)
    (defs / "smartlife" / "broken.yaml").symlink_to(defs / "smartlife" / "gone.yaml")
    (defs / "smartlife" / "same.yaml").symlink_to(defs / "smartlife" / "good.yaml")  # inside: read like a file
    os.mkfifo(defs / "smartlife" / "pipe.yaml")
    assert _report(defs) == (
        "smartlife/big.yaml:0:0: the definition file is 1,048,577 bytes, over the limit of 1 MiB\n\n"
        "smartlife/broken.yaml:0:0: the definition file is a broken symlink\n\n"
        "smartlife/latin1.yaml:2:10: the file is not UTF-8 text\n\n"
        "smartlife/out.yaml:0:0: the definition file is a symlink that leads outside the definitions folder\n\n"
        "smartlife/pipe.yaml:0:0: the definition file is a FIFO, not a regular file\n\n"
        "smartlife/same.yaml:1:5: duplicate id 'good' in app 'smartlife'\n"
        "  at: id\n"
        "  expected: an id not used by smartlife/good.yaml\n\n"
        "smartlife/same.yaml:3:7: duplicate name 'Good' in app 'smartlife'\n"
        "  at: name\n"
        "  expected: a name not used by smartlife/good.yaml (names are compared ignoring case)\n\n"
        "smartlife/zero.yaml:0:0: the definition file is a symlink that leads outside the definitions folder\n\n"
        "8 errors in 7 files"
    )


def test_import_files_are_checked_before_they_are_hashed(tmp_path):
    imp = "id: {0}\napp_id: smartlife\nname: {0}\nsource: {{csv: {1}}}\n"
    defs = _folder(tmp_path, {
        "smartlife/lines.yaml": imp.format("lines", "lines.csv"), "smartlife/lines.csv": b"uid,u1\n" * 1_000_001,
        "smartlife/huge.yaml": imp.format("huge", "huge.csv"), "smartlife/pipe.yaml": imp.format("pipe", "pipe.csv"),
        "smartlife/zero.yaml": imp.format("zero", "zero.csv"), "smartlife/dir.yaml": imp.format("dir", "sub"),
        "smartlife/exact.yaml": imp.format("exact", "exact.csv"), "smartlife/exact.csv": b"uid,u1\n" * 1_000_000,
    })
    with open(defs / "smartlife" / "huge.csv", "wb") as fh:
        fh.truncate(64 * 1024 * 1024 + 1)  # sparse: nothing is written
    os.mkfifo(defs / "smartlife" / "pipe.csv")
    (defs / "smartlife" / "zero.csv").symlink_to("/dev/zero")
    (defs / "smartlife" / "sub").mkdir()
    expected = "a regular CSV file of at most 1,000,000 lines and 64 MiB next to the definition"
    assert _report(defs) == "\n\n".join([
        f"smartlife/dir.yaml:4:15: import file 'sub' is a folder, not a regular file\n  at: source.csv\n  expected: {expected}",
        f"smartlife/huge.yaml:4:15: import file 'huge.csv' is 67,108,865 bytes, over the limit of 64 MiB\n  at: source.csv\n  expected: {expected}",
        f"smartlife/lines.yaml:4:15: import file 'lines.csv' has more than 1,000,000 lines\n  at: source.csv\n  expected: {expected}",
        f"smartlife/pipe.yaml:4:15: import file 'pipe.csv' is a FIFO, not a regular file\n  at: source.csv\n  expected: {expected}",
        "smartlife/zero.yaml:4:15: import file 'zero.csv' is a symlink that leads outside the definition's folder\n"
        "  at: source.csv\n  expected: a CSV file next to the definition",
        "5 errors in 5 files",
    ])


_MEASURE = """
import datetime as dt, json, resource, sys, time
from jobs.segments.daily.records import unbuilt_runs
from jobs.segments.validate import check_definitions
started = time.monotonic()
program, errors = check_definitions(sys.argv[1])
now = dt.datetime(2026, 1, 1)
runs = unbuilt_runs(program, errors, ["smartlife"], now, now, dt.date(2026, 1, 1))
usage = resource.getrusage(resource.RUSAGE_SELF)
# the peak of this process's own memory (VmHWM): ru_maxrss keeps the parent's peak across
# fork + exec, so under a large pytest process it would measure pytest, not the validator
with open("/proc/self/status") as fh:
    peak_kb = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))
print(json.dumps({"seconds": time.monotonic() - started, "cpu_seconds": usage.ru_utime + usage.ru_stime,
                  "max_rss_mb": peak_kb / 1024,
                  "errors": [e.one_line() for e in errors],
                  "failed_runs": sorted((r.segment_id, r.status) for r in runs),
                  "valid": [s.id for s in program.segments]}))
"""


def test_a_hostile_folder_is_reported_in_bounded_time_and_memory(tmp_path):
    """Acceptance: an alias bomb, a 50 MB file, a 5,000-deep rule, a symlink to /dev/zero and a
    FIFO, validated (and turned into failed runs) in a fresh process: < 10 s, < 500 MB."""
    defs = _folder(tmp_path, {"smartlife/bomb.yaml": ALIAS_BOMB, "smartlife/deep.yaml": _deep(5_000)})
    with open(defs / "smartlife" / "big.yaml", "wb") as fh:
        fh.write(b"id: big\napp_id: smartlife\nname: Big\ndescription: '" + b"x" * 50_000_000 + b"'\n")
    (defs / "smartlife" / "zero.yaml").symlink_to("/dev/zero")
    os.mkfifo(defs / "smartlife" / "fifo.yaml")
    out = subprocess.run([sys.executable, "-c", _MEASURE, str(defs)], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout)
    assert result["errors"] == [
        "smartlife/big.yaml:0:0: the definition file is 50,000,052 bytes, over the limit of 1 MiB",
        "smartlife/bomb.yaml:5:8: aliases expand to more than 10,000 nodes",
        "smartlife/deep.yaml:4:385: nesting deeper than 64 levels",
        "smartlife/fifo.yaml:0:0: the definition file is a FIFO, not a regular file",
        "smartlife/zero.yaml:0:0: the definition file is a symlink that leads outside the definitions folder",
    ]
    assert result["failed_runs"] == [[sid, "failed"] for sid in ("big", "bomb", "deep", "fifo", "zero")]
    assert result["valid"] == ["good"]
    # wall time of the checks, and CPU time of the whole process with its imports (the machine is
    # shared: its wall time also measures the other jobs)
    assert result["seconds"] < 10 and result["cpu_seconds"] < 10, result
    assert result["max_rss_mb"] < 500, result


@pytest.mark.parametrize("command", ["validate"])
def test_the_cli_reports_a_hostile_folder(tmp_path, command):
    defs = _folder(tmp_path, {"smartlife/bomb.yaml": ALIAS_BOMB})
    os.mkfifo(defs / "smartlife" / "fifo.yaml")
    out = subprocess.run([sys.executable, "-m", "jobs.cli", command, "--defs", str(defs)],
                         capture_output=True, text=True, cwd=REPO, timeout=60)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert out.stdout.strip().endswith("2 errors in 2 files")

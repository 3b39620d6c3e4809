"""Hostile definitions in a daily run: each fails alone as its own `failed` run with a located
reason, and every other segment of the day publishes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from segments_data import DS, label, user, write_inputs

from jobs.segments import evaluate_segments

GOOD = "id: good\napp_id: smartlife\nname: Good\nrule: {type: label, label: has_gateway, op: eq, value: true}\n"
LEAF = "{type: label, label: has_gateway, op: eq, value: true}"


def _defs(tmp_path: Path, files: dict[str, str | bytes]) -> str:
    defs = tmp_path / "segment_defs"
    for name, text in {"smartlife/good.yaml": GOOD, **files}.items():
        (defs / name).parent.mkdir(parents=True, exist_ok=True)
        (defs / name).write_bytes(text if isinstance(text, bytes) else text.encode())
    return str(defs)


def _deep(levels: int) -> str:
    return "{not: " * levels + LEAF + "}" * levels


def _run(spark, root, defs: str) -> dict[str, tuple[str, str | None, int | None]]:
    write_inputs(spark, root, [label("u1", has_gateway=True), label("u2")], users=[user("u1"), user("u2")])
    return {r.segment_id: (r.status, r.reason, r.member_count) for r in evaluate_segments(spark, root, DS, defs)}


def test_each_hostile_definition_fails_alone(spark, root, tmp_path):
    defs = _defs(tmp_path, {
        "smartlife/bad_int.yaml": "id: bad_int\napp_id: smartlife\nname: Bad int\n"
                                  "rule: {type: label, label: bound_devices, op: ge, value: !!int 12.5}\n",
        "smartlife/deep40.yaml": f"id: deep40\napp_id: smartlife\nname: Deep 40\nrule: {_deep(40)}\n",
        "smartlife/deep70.yaml": f"id: deep70\napp_id: smartlife\nname: Deep 70\nrule: {_deep(70)}\n",
        "smartlife/nul.yaml": 'id: nul\napp_id: smartlife\nname: Nul\nsource: {csv: "a\\u0000.csv"}\n',
    })
    runs = _run(spark, root, defs)
    assert runs["good"] == ("published", None, 1)
    assert runs["bad_int"] == ("failed", "smartlife/bad_int.yaml:4:58: value '12.5' is not a valid !!int", None)
    assert runs["nul"] == ("failed", "smartlife/nul.yaml:4:15: import file 'a\\x00.csv' contains a NUL byte", None)
    assert runs["deep70"] == ("failed", "smartlife/deep70.yaml:4:385: nesting deeper than 64 levels", None)
    # 40 levels are within the limits: the segment is evaluated (an even number of `not`s)
    assert runs["deep40"][0] == "published" and runs["deep40"][2] == 1


def test_an_import_of_a_million_lines_publishes(spark, root, tmp_path):
    body = b"type,value,param1\n" + b"".join(b"uid,u%d,p\n" % i for i in range(999_999))
    defs = _defs(tmp_path, {
        "smartlife/big.yaml": "id: big\napp_id: smartlife\nname: Big\nsource: {csv: big.csv}\n",
        "smartlife/big.csv": body,
        "smartlife/over.yaml": "id: over\napp_id: smartlife\nname: Over\nsource: {csv: over.csv}\n",
        "smartlife/over.csv": body + b"uid,u1\nuid,u2\n",
    })
    runs = _run(spark, root, defs)
    assert runs["good"] == ("published", None, 1)
    assert runs["big"] == ("published", None, 2)  # u0..u2 exist: u1, u2 (u0 is not a user)
    assert runs["over"] == ("failed", "smartlife/over.yaml:4:15: import file 'over.csv' has more than 1,000,000 lines", None)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_refused_files_fail_alone_without_being_read(spark, root, tmp_path):
    defs = _defs(tmp_path, {"smartlife/fifo_csv.yaml": "id: fifo_csv\napp_id: smartlife\nname: Fifo csv\nsource: {csv: pipe.csv}\n"})
    os.mkfifo(os.path.join(defs, "smartlife", "pipe.csv"))
    os.mkfifo(os.path.join(defs, "smartlife", "pipe.yaml"))
    os.symlink("/dev/zero", os.path.join(defs, "smartlife", "zero.yaml"))
    runs = _run(spark, root, defs)
    assert runs["good"] == ("published", None, 1)
    assert runs["fifo_csv"] == ("failed", "smartlife/fifo_csv.yaml:4:15: import file 'pipe.csv' is a FIFO, not a regular file", None)
    assert runs["pipe"] == ("failed", "smartlife/pipe.yaml:0:0: the definition file is a FIFO, not a regular file", None)
    assert runs["zero"] == ("failed", "smartlife/zero.yaml:0:0: the definition file is a symlink that leads outside "
                                      "the definitions folder", None)

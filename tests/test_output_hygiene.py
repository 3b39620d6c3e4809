"""Output hygiene: control characters of data values never reach the terminal raw, CSV cells and
import params never start a spreadsheet formula, and ``export --out <folder>`` is a clear error."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pyarrow as pa
from deltalake import DeltaTable, write_deltalake

from jobs.safe_text import TerminalStream, spreadsheet_cell, terminal_text, terminal_value
from jobs.segments.readers.export import csv_text
from jobs.segments.inputs import formula_safe_params
from jobs.segments.readers.members import MemberPage, format_page

REPO = Path(__file__).resolve().parents[1]
DS = dt.date(2026, 6, 30)
ANSI_UID = "u\x1b[31mred\x1b[0m"  # would recolour the terminal
TITLE = "\x1b]0;owned\x07"  # would retitle the terminal window
FORMULA = "=HYPERLINK(\"http://evil\",\"click\")"


def test_terminal_escapes():
    assert terminal_value(ANSI_UID) == "u\\x1b[31mred\\x1b[0m"
    assert terminal_value("a\nb\tc\rd\x00\x7f\x9b") == "a\\nb\\tc\\rd\\x00\\x7f\\x9b"
    assert terminal_value("abc\u202edcba\u2066\u2028") == "abc\\u202edcba\\u2066\\u2028"  # bidi tricks, separators
    assert terminal_value("Zoë 北京 🙂") == "Zoë 北京 🙂"  # printable text is untouched
    assert terminal_text("line 1\nline \x1b[2J2\n") == "line 1\nline \\x1b[2J2\n"  # newlines of a message stay
    assert terminal_text(terminal_text(TITLE)) == terminal_text(TITLE) == "\\x1b]0;owned\\x07"  # idempotent


def test_terminal_stream_escapes_what_passes_through_it():
    out = io.StringIO()
    stream = TerminalStream(out)
    assert stream.write(f"Error: no such option {TITLE}\n") == len(f"Error: no such option {TITLE}\n")
    assert out.getvalue() == "Error: no such option \\x1b]0;owned\\x07\n"
    assert not stream.isatty()


def test_spreadsheet_formula_rule():
    for text in ("=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", FORMULA):
        assert spreadsheet_cell(text) == "'" + text
    for text in ("", "u001", "a=b", "1-2", "'=already quoted", " =1"):
        assert spreadsheet_cell(text) == text


def test_export_csv_guards_text_cells_only():
    text = csv_text(["uid", "city_en", "unused_coupons", "mall_amount_paid_180d", "accept_marketing"],
                    [("=u1", "@Paris", -3, -0.5, True), ("u2", "-Oslo", 0, 1.5, None)])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [
        ["uid", "city_en", "unused_coupons", "mall_amount_paid_180d", "accept_marketing"],
        ["'=u1", "'@Paris", "-3", "-0.5", "true"],  # numbers stay numbers
        ["u2", "'-Oslo", "0", "1.5", ""],
    ]


def test_import_params_are_formula_safe(spark):
    frame = spark.createDataFrame(
        [("a", "s", "u1", None, FORMULA, "+33 6 12", "plain"), ("a", "s", "u2", None, None, "-5", "@here")],
        "app_id string, segment_id string, uid string, email string, param1 string, param2 string, param3 string")
    rows = [r.asDict() for r in formula_safe_params(frame).orderBy("uid").collect()]
    assert [(r["param1"], r["param2"], r["param3"]) for r in rows] == [
        ("'" + FORMULA, "'+33 6 12", "plain"), (None, "'-5", "'@here")]


def test_member_page_escapes_uids_and_params():
    page = MemberPage("smartlife", "vip_import", "imported", DS, 1, 1, 2, (
        {"uid": ANSI_UID, "email": None, "param1": TITLE, "param2": "two\nlines", "param3": None},
        {"uid": None, "email": "v\x1b[8m@example.com", "param1": None, "param2": None, "param3": None},
    ))
    assert format_page(page, show_email=True).splitlines() == [
        "smartlife/vip_import on 2026-06-30: page 1 of 1, 2 members",
        "uid                  email                 param1            param2      param3",
        "u\\x1b[31mred\\x1b[0m  -                     \\x1b]0;owned\\x07  two\\nlines  -",
        "-                    v\\x1b[8m@example.com  -                 -           -",
    ]


def _hostile_lake(sample_lake: str, root: Path) -> str:
    """A copy of the sample lakehouse whose vip_import membership of DS has a hostile member."""
    shutil.copytree(sample_lake, root)
    membership = DeltaTable(f"{root}/gold/segment_membership")
    row = membership.to_pyarrow_table(filters=[("ds", "=", DS), ("segment_id", "=", "vip_import")]).slice(0, 1)
    row = row.set_column(row.schema.get_field_index("uid"), "uid", pa.array(["!" + ANSI_UID]))
    row = row.set_column(row.schema.get_field_index("param1"), "param1", pa.array([TITLE]))
    write_deltalake(membership, row, mode="append")
    return str(root)


def _lakehouse(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "jobs.cli", *args], capture_output=True, text=True, cwd=REPO,
                          timeout=300)


def test_cli_output_never_carries_control_characters(sample_lake, tmp_path):
    root = _hostile_lake(sample_lake, tmp_path / "lake")
    members = _lakehouse("members", "vip_import", "--root", root)
    assert members.returncode == 0, members.stderr
    assert "\x1b" not in members.stdout and "\x07" not in members.stdout
    first = members.stdout.splitlines()[2]  # "!" sorts first
    assert first.startswith("!u\\x1b[31mred\\x1b[0m  ") and "\\x1b]0;owned\\x07" in first

    unknown = _lakehouse("show", f"x{ANSI_UID}", "--root", root)  # the argument comes back in the error
    assert unknown.returncode == 2 and "\x1b" not in unknown.stderr
    assert unknown.stderr.startswith("error: unknown segment 'xu\\x1b[31mred\\x1b[0m' for app smartlife")

    bad_date = _lakehouse("members", "vip_import", "--ds", f"2026-06-30{TITLE}", "--root", root)  # click's own error
    assert bad_date.returncode == 2 and "\x1b" not in bad_date.stderr and "\\x1b]0;owned\\x07" in bad_date.stderr


def test_export_out_folder_is_a_clear_error(sample_lake, tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    result = _lakehouse("export", "gateway_owners", "--labels", "country_en", "--out", str(folder),
                        "--root", sample_lake)
    assert result.returncode == 2
    assert result.stderr == (f"error: --out {folder} is a folder: give the zip file to write, "
                             f"e.g. --out {folder}/audience.zip\n")
    assert list(folder.iterdir()) == []

    target = tmp_path / "audience.zip"
    assert _lakehouse("export", "gateway_owners", "--labels", "city_en", "--out", str(target),
                      "--root", sample_lake).returncode == 0
    with zipfile.ZipFile(target) as archive:
        cells = [c for row in csv.reader(io.StringIO(archive.read("gateway_owners.csv").decode())) for c in row]
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells)

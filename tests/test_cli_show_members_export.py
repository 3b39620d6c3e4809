"""`lakehouse show`, `members` and `export` through the real CLI on the sample lakehouse, and
their pure functions. The commands read with delta-rs only: no engine is started."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
import subprocess
import sys
import zipfile
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake

from jobs.segments.readers.export import check_labels, csv_text, export_rows, latest_common_ds, refuse_imported
from jobs.segments.readers.members import MemberPage, format_page, mask_email, member_order, page_of
from jobs.segments.readers.published import NotPublishedError, SegmentLookupError, choose_ds, unknown_segment_message
from jobs.segments.readers.show import Shown, block_text, format_show, run_checks

REPO = Path(__file__).resolve().parents[1]
DS = dt.date(2026, 6, 30)
APP = "smartlife"


def table(root: str, name: str, filters=None) -> list[dict]:
    return DeltaTable(f"{root}/{name}").to_pyarrow_table(filters=filters).to_pylist()


def member_uids(root: str, segment: str, ds: dt.date = DS) -> list[str]:
    rows = table(root, "gold/segment_membership", [("ds", "=", ds), ("app_id", "=", APP), ("segment_id", "=", segment)])
    return sorted(r["uid"] for r in rows)


def with_deleted_member(sample_lake: str, root: str) -> str:
    """Copies the lakehouse and slips a user deleted on DS into gateway_owners (the gates would
    never publish that); returns the uid."""
    shutil.copytree(sample_lake, root)
    users = table(root, "bronze/users", [("dt", "=", DS), ("app_id", "=", APP)])
    deleted = sorted(u["uid"] for u in users if u["user_type"] == "deleted")[0]
    membership = DeltaTable(f"{root}/gold/segment_membership")
    row = membership.to_pyarrow_table(filters=[("ds", "=", DS), ("segment_id", "=", "gateway_owners")]).slice(0, 1)
    write_deltalake(membership, row.set_column(row.schema.get_field_index("uid"), "uid", pa.array([deleted])),
                    mode="append")
    return deleted


@pytest.fixture(scope="module")
def cli(sample_lake, tmp_path_factory):
    """Every command line of this file, run at once (each is a process that only reads with
    delta-rs; together they take about as long as the slowest), by name."""
    work = tmp_path_factory.mktemp("exports")
    deleted = with_deleted_member(sample_lake, str(work / "lake_with_deleted"))
    size = len(member_uids(sample_lake, "gateway_owners"))
    half = str((size + 1) // 2)
    labels = ",".join(EXPORTED_LABELS)
    commands = {
        "show": ["show", "churn_stage", "--from", "2026-06-28", "--to", "2026-06-30"],
        "show_unknown": ["show", "churn_stag"],
        "page1": ["members", "gateway_owners", "--page-size", half],  # default: the latest published ds
        "page2": ["members", "gateway_owners", "--page-size", half, "--page", "2", "--ds", "2026-06-30"],
        "unpublished": ["members", "gateway_owners", "--ds", "2026-07-01"],
        "imported_members": ["members", "vip_import"],
        "export": ["export", "gateway_owners", "churn_stage", "--ds", "2026-06-30", "--labels", labels,
                   "--out", str(work / "out" / "audience.zip")],
        "export_latest": ["export", "gateway_owners", "churn_stage", "--labels", "country_en",
                          "--out", str(work / "latest.zip")],  # default: the latest ds published for both
        "export_imported": ["export", "vip_import", "--ds", "2026-06-30", "--labels", "country_en",
                            "--out", str(work / "refused" / "a.zip")],
        "export_labels": ["export", "gateway_owners", "--ds", "2026-06-30", "--labels", "acept_marketing,country_en,zzz",
                          "--out", str(work / "refused" / "b.zip")],
        "export_unknown": ["export", "gateway_ownrs", "--ds", "2026-06-30", "--labels", "country_en",
                           "--out", str(work / "refused" / "c.zip")],
    }
    argv = {name: [*args, "--root", sample_lake] for name, args in commands.items()}
    argv["export_deleted"] = ["export", "gateway_owners", "--ds", "2026-06-30", "--labels", "user_type",
                              "--out", str(work / "deleted.zip"), "--root", str(work / "lake_with_deleted")]
    started = {name: subprocess.Popen([sys.executable, "-m", "jobs.cli", *args], stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True, cwd=REPO) for name, args in argv.items()}
    done = {}
    for name, process in started.items():
        stdout, stderr = process.communicate(timeout=300)
        done[name] = subprocess.CompletedProcess(argv[name], process.returncode, stdout, stderr)
    return {"out": done, "work": work, "deleted": deleted, "root": sample_lake}


EXPORTED_LABELS = ["country_en", "accept_marketing", "bound_devices"]


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def csv_rows(archive: zipfile.ZipFile, name: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8"))))


# --- through the CLI -----------------------------------------------------------------------------

def test_show_prints_definition_sizes_changes_and_last_run(cli):
    text = ok(cli["out"]["show"])
    assert "file:        _predefined/churn_stage.yaml" in text and "kind:        predefined" in text
    assert "        - {type: label, label: lifecycle, op: eq, value: churn}\n" in text  # the rule as written
    root = cli["root"]
    runs = table(root, "gold/segment_runs", [("app_id", "=", APP), ("segment_id", "=", "churn_stage")])
    changes = Counter((r["ds"], r["change"]) for r in table(
        root, "gold/segment_changes", [("app_id", "=", APP), ("segment_id", "=", "churn_stage")]))
    lines = [line.split() for line in text.splitlines() if line[:4] == "2026"]
    in_range = sorted((r for r in runs if r["ds"] >= dt.date(2026, 6, 28)), key=lambda r: r["ds"])
    assert lines == [[r["ds"].isoformat(), str(r["member_count"]), r["status"], str(changes[(r["ds"], "entered")]),
                      str(changes[(r["ds"], "exited")])] for r in in_range]
    assert len(lines) == 3  # --from left 2026-06-27 out
    last = max(runs, key=lambda r: r["ds"])
    assert f"last run: {last['ds']}" in text and f"definition hash: {last['definition_hash']}" in text
    assert "checks (audit 2026-06-30-" in text and "row_count_vs_previous" in text and "0 failed" in text


def test_show_of_an_unknown_segment(cli):
    out = cli["out"]["show_unknown"]
    assert (out.returncode, out.stdout) == (2, "")
    assert out.stderr == "error: unknown segment 'churn_stag' for app smartlife; did you mean: churn_stage?\n"


def test_members_pages_are_disjoint_and_cover_the_membership(cli):
    expected = member_uids(cli["root"], "gateway_owners")
    pages = []
    for number, name in ((1, "page1"), (2, "page2")):
        lines = ok(cli["out"][name]).splitlines()
        assert lines[0] == f"smartlife/gateway_owners on 2026-06-30: page {number} of 2, {len(expected)} members"
        assert lines[1] == "uid"
        pages.append(lines[2:])
    assert pages[0] and pages[1] and not set(pages[0]) & set(pages[1])
    assert pages[0] + pages[1] == expected  # stable order: by uid


def test_members_only_of_a_published_ds(cli):
    out = cli["out"]["unpublished"]
    assert out.returncode == 1
    assert out.stderr == ("error: smartlife/gateway_owners has no published members on 2026-07-01 (no run on that ds); "
                          "latest published ds: 2026-06-30\n")


def test_members_of_an_imported_segment_mask_emails(cli):
    text = ok(cli["out"]["imported_members"])
    assert text.splitlines()[:2] == ["smartlife/vip_import on 2026-06-30: page 1 of 1, 1 member",
                                     "uid  email             param1  param2  param3"]
    assert "v***@example.com" in text and "vip@example.com" not in text


def test_export_writes_members_with_their_labels_and_a_manifest(cli):
    ok(cli["out"]["export"])
    root, zip_path = cli["root"], cli["work"] / "out" / "audience.zip"
    archive = zipfile.ZipFile(zip_path)
    assert sorted(archive.namelist()) == ["churn_stage.csv", "gateway_owners.csv", "manifest.json"]
    label_rows = {r["uid"]: r for r in table(root, "gold/user_labels", [("ds", "=", DS), ("app_id", "=", APP)])}
    runs = {r["segment_id"]: r for r in table(root, "gold/segment_runs", [("ds", "=", DS), ("app_id", "=", APP)])}
    manifest = json.loads(archive.read("manifest.json"))
    assert {k: manifest[k] for k in ("app_id", "ds", "labels", "tool", "tool_version")} == {
        "app_id": APP, "ds": "2026-06-30", "labels": EXPORTED_LABELS, "tool": "lakehouse export",
        "tool_version": "0.1.0"}
    dt.datetime.fromisoformat(manifest["generated_at"])
    for entry, segment in zip(manifest["segments"], ("gateway_owners", "churn_stage"), strict=True):
        rows = csv_rows(archive, f"{segment}.csv")
        assert [r["uid"] for r in rows] == member_uids(root, segment)
        for row in rows:
            want = label_rows[row["uid"]]
            assert row["country_en"] == (want["country_en"] or "")
            assert row["accept_marketing"] == {True: "true", False: "false", None: ""}[want["accept_marketing"]]
            assert row["bound_devices"] == str(want["bound_devices"])
        assert entry == {"segment_id": segment, "definition_hash": runs[segment]["definition_hash"],
                         "file": f"{segment}.csv", "columns": ["uid", *EXPORTED_LABELS], "row_count": len(rows),
                         "members_without_label_row": 0}
    assert [p.name for p in zip_path.parent.iterdir()] == ["audience.zip"]  # no temporary file left


def test_export_without_ds_takes_the_latest_ds_published_for_every_segment(cli):
    assert ok(cli["out"]["export_latest"]) == (
        f"wrote {cli['work'] / 'latest.zip'}: gateway_owners {len(member_uids(cli['root'], 'gateway_owners')):,} rows, "
        f"churn_stage {len(member_uids(cli['root'], 'churn_stage')):,} rows (ds 2026-06-30, labels country_en)\n")
    manifest = json.loads(zipfile.ZipFile(cli["work"] / "latest.zip").read("manifest.json"))
    assert manifest["ds"] == "2026-06-30"


def test_export_refusals_are_exact(cli):
    expected = {
        "export_imported": (1, "error: cannot export vip_import: imported segments cannot be exported\n"),
        "export_labels": (2, "error: unknown label 'acept_marketing'; did you mean: accept_marketing?\n"
                             "error: unknown label 'zzz'\n"),
        "export_unknown": (2, "error: unknown segment 'gateway_ownrs' for app smartlife; did you mean: gateway_owners?\n"),
    }
    for name, (code, message) in expected.items():
        assert (cli["out"][name].returncode, cli["out"][name].stderr) == (code, message)
    assert not (cli["work"] / "refused").exists()


def test_a_deleted_user_is_never_exported(cli):
    """A deleted user slipped into the membership (the gates would block that) is still left out:
    the export keeps only members with a label row of the ds."""
    ok(cli["out"]["export_deleted"])
    root, deleted = str(cli["work"] / "lake_with_deleted"), cli["deleted"]
    assert deleted in member_uids(root, "gateway_owners")
    users = table(root, "bronze/users", [("dt", "=", DS), ("app_id", "=", APP)])
    gone = {u["uid"] for u in users if u["user_type"] == "deleted"}
    archive = zipfile.ZipFile(cli["work"] / "deleted.zip")
    exported = [r["uid"] for r in csv_rows(archive, "gateway_owners.csv")]
    assert exported and not set(exported) & gone
    assert exported == [u for u in member_uids(root, "gateway_owners") if u != deleted]
    assert json.loads(archive.read("manifest.json"))["segments"][0]["members_without_label_row"] == 1


# --- pure functions ------------------------------------------------------------------------------

def test_block_text_is_the_rule_as_written():
    text = "id: x\nrule:\n  all:\n    # why\n    - {a: 1}\n\nrefresh: once\n"
    assert block_text(text, 2) == "rule:\n  all:\n    # why\n    - {a: 1}"
    assert block_text("rule: {type: label}\nid: x\n", 1) == "rule: {type: label}"


def test_run_checks_picks_the_audit_of_the_run_and_its_scope():
    t = dt.datetime(2026, 7, 1, 3, tzinfo=dt.timezone.utc)
    run = {"app_id": APP, "segment_id": "s", "ds": DS, "started_at": t, "finished_at": t + dt.timedelta(minutes=5)}

    def check(run_id, minute, segment=None, success=True, check_id="a#1"):
        return {"run_id": run_id, "table_name": "gold.segment_membership", "ds": DS, "app_id": segment and APP,
                "segment_id": segment, "checked_at": t + dt.timedelta(minutes=minute), "success": success,
                "check_id": check_id}

    checks = [check("old", -60), check("mine", 2), check("mine", 2, "s", False, "b#1"), check("mine", 2, "other")]
    picked = run_checks(checks, run)
    assert [(c["run_id"], c["segment_id"]) for c in picked] == [("mine", "s"), ("mine", None)]  # failed first
    assert [c["run_id"] for c in run_checks([check("old", -60)], run)] == ["old"]  # no audit in the run: the last one
    assert run_checks([check("later", 30)], run) == []


def test_choose_ds_messages():
    runs = [{"ds": dt.date(2026, 6, 29), "status": "published"}, {"ds": DS, "status": "blocked"}]
    assert choose_ds("a/s", runs, [dt.date(2026, 6, 29)], None) == dt.date(2026, 6, 29)
    with pytest.raises(NotPublishedError) as blocked:
        choose_ds("a/s", runs, [dt.date(2026, 6, 29)], DS)
    assert str(blocked.value) == ("a/s has no published members on 2026-06-30 (its run of that ds is blocked); "
                                  "latest published ds: 2026-06-29")
    with pytest.raises(NotPublishedError, match=r"^a/s has no published members; no published ds yet$"):
        choose_ds("a/s", [], [], None)
    assert unknown_segment_message("xyz", APP, ["churn_stage"]) == "unknown segment 'xyz' for app smartlife"


def test_paging_masking_and_order():
    rows = sorted([{"uid": None, "email": "b@x"}, {"uid": "u2", "email": None}, {"uid": "u1", "email": None}],
                  key=member_order)
    assert [r["uid"] for r in rows] == ["u1", "u2", None]
    assert page_of(rows, 2, 2) == ([rows[2]], 2)
    assert page_of([], 1, 50) == ([], 1)
    with pytest.raises(SegmentLookupError, match=r"^page 3 is past the last page \(2\)$"):
        page_of(rows, 3, 2)
    assert (mask_email("vip@example.com"), mask_email("nodomain"), mask_email(None)) == ("v***@example.com", "***", None)
    page = MemberPage(APP, "vip", "imported", DS, 1, 1, 1, ({"uid": None, "email": "vip@example.com", "param1": "gold",
                                                              "param2": None, "param3": None},))
    assert format_page(page, show_email=True).splitlines()[2] == "-    vip@example.com  gold    -       -"
    assert format_page(page).splitlines()[2] == "-    v***@example.com  gold    -       -"


def test_export_pure_parts():
    assert check_labels([" platform", "country_en", "platform", ""], ["country_en", "platform"]) == ["platform", "country_en"]
    with pytest.raises(SegmentLookupError, match="^no label to export"):
        check_labels([""], ["country_en"])
    with pytest.raises(Exception, match="^cannot export v: imported segments cannot be exported$"):
        refuse_imported("v", "imported")
    labels = {"u1": {"uid": "u1", "a": True, "b": None}, "u2": {"uid": "u2", "a": False, "b": 1.5}}
    rows, dropped = export_rows(["u2", "gone", None, "u1"], labels, ["a", "b"])
    assert (rows, dropped) == ([("u1", True, None), ("u2", False, 1.5)], 1)
    assert csv_text(["uid", "a", "b"], rows) == "uid,a,b\r\nu1,true,\r\nu2,false,1.5\r\n"
    d = dt.date.fromisoformat
    assert latest_common_ds({"app/a": [d("2026-06-28"), d("2026-06-29"), d("2026-06-30")],
                             "app/b": [d("2026-06-28"), d("2026-06-29")]}) == d("2026-06-29")
    with pytest.raises(Exception) as none_in_common:
        latest_common_ds({"app/a": [d("2026-06-30")], "app/b": [d("2026-06-29")], "app/c": []})
    assert str(none_in_common.value) == ("no ds is published for every one of app/a, app/b, app/c "
                                         "(latest published: app/a 2026-06-30, app/b 2026-06-29, app/c none)")


def test_show_text_of_a_failed_run_without_definition():
    t = dt.datetime(2026, 7, 1, 3, tzinfo=dt.timezone.utc)
    run = {"app_id": APP, "segment_id": "s", "ds": DS, "member_count": None, "status": "failed",
           "reason": "smartlife/s.yaml:9:16: unknown label 'x'\nmore", "definition_hash": None, "evaluated_ds": None,
           "started_at": t, "finished_at": t}
    text = format_show(Shown(APP, "s", None, (run,), {}, run, ()))
    assert "definition: not found in the definitions folder (removed or renamed?)" in text
    assert "\n2026-06-30        -  failed        -       -\n" in text
    assert "  reason:\n    smartlife/s.yaml:9:16: unknown label 'x'\n    more\n" in text
    assert text.endswith("  checks: none recorded for this run")

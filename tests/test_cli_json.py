"""CLI conventions on the sample lakehouse: `--json` of the read commands parsed back, `latest` as a
date, dates typed as dates, results on stdout and errors on stderr."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
from deltalake import DeltaTable

REPO = Path(__file__).resolve().parents[1]
APP = "smartlife"


@pytest.fixture(scope="module")
def ran(sample_lake):
    commands = {
        "show": ["show", "churn_stage", "--from", "2026-06-28", "--to", "latest", "--json"],
        "members": ["members", "vip_import", "--ds", "latest", "--json"],
        "members_text": ["members", "vip_import"],
        "sizes": ["sizes", "2026-06-29", "--to", "2026-06-30", "--json"],
        "reconcile": ["reconcile", "2026-06-29", "--json"],
        "sizes_none": ["sizes", "2020-01-01"],
        "bad_date": ["members", "gateway_owners", "--ds", "2026-02-30"],
        "unknown": ["members", "gateway_ownerz", "--json"],
    }
    started = {name: subprocess.Popen([sys.executable, "-m", "jobs.cli", *args, "--root", sample_lake],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
               for name, args in commands.items()}
    out = {}
    for name, process in started.items():
        stdout, stderr = process.communicate(timeout=600)
        out[name] = (process.returncode, stdout, stderr)
    return out, sample_lake


def rows(root, name, filters):
    return DeltaTable(f"{root}/{name}").to_pyarrow_table(filters=filters).to_pylist()


def test_show_json(ran):
    out, root = ran
    code, stdout, _ = out["show"]
    assert code == 0
    shown = json.loads(stdout)
    runs = rows(root, "gold/segment_runs", [("app_id", "=", APP), ("segment_id", "=", "churn_stage")])
    assert [(r["ds"], r["member_count"]) for r in shown["runs"]] == [
        (r["ds"].isoformat(), r["member_count"]) for r in sorted(runs, key=lambda r: r["ds"]) if r["ds"] >= dt.date(2026, 6, 28)]
    assert shown["definition"]["file"] == "_predefined/churn_stage.yaml" and shown["last_run"]["ds"] == "2026-06-30"
    assert all(isinstance(r["entered"], int) for r in shown["runs"] if r["status"] == "published")


def test_members_json_masks_emails_like_the_text(ran):
    out, root = ran
    page = json.loads(out["members"][1])
    members = rows(root, "gold/segment_membership", [("ds", "=", dt.date(2026, 6, 30)), ("segment_id", "=", "vip_import")])
    assert (page["ds"], page["total"], page["kind"]) == ("2026-06-30", len(members), "imported")
    emails = [m["email"] for m in page["members"] if m["email"]]
    assert emails and all("***@" in e for e in emails)
    assert [e for e in emails if e in out["members_text"][1]] == emails  # the same masking as the text


def test_sizes_and_reconcile_json(ran):
    out, root = ran
    sizes = json.loads(out["sizes"][1])
    recorded = rows(root, "gold/segment_runs", [("ds", ">=", dt.date(2026, 6, 29))])
    assert len(sizes["runs"]) == len(recorded) and {r["ds"] for r in sizes["runs"]} == {"2026-06-29", "2026-06-30"}
    code, stdout, _ = out["reconcile"]
    assert code == 0
    reconciled = json.loads(stdout)
    assert reconciled["reconciles"] is True and {r["feed"] for r in reconciled["runs"]} == {"users", "events"}
    assert all(r["lines_read"] == r["accepted"] + r["duplicates"] + r["quarantined"] for r in reconciled["runs"])


def test_errors_go_to_stderr_and_dates_are_typed(ran):
    out, root = ran
    assert out["sizes_none"] == (1, "", f"error: no segment run recorded for 2020-01-01..2020-01-01 under {root}\n")
    code, stdout, stderr = out["bad_date"]
    assert (code, stdout) == (2, "")
    assert "Invalid value for '--ds': not a date (expected YYYY-MM-DD): '2026-02-30'" in stderr
    code, stdout, stderr = out["unknown"]
    assert (code, stdout) == (2, "")
    assert stderr == "error: unknown segment 'gateway_ownerz' for app smartlife; did you mean: gateway_owners?\n"


def test_explain_json_of_a_published_segment(sample_lake):
    members = rows(sample_lake, "gold/segment_membership", [("ds", "=", dt.date(2026, 6, 30)),
                                                             ("segment_id", "=", "gateway_owners")])
    uid = sorted(r["uid"] for r in members)[0]
    out = subprocess.run([sys.executable, "-m", "jobs.cli", "explain", "gateway_owners", uid, "--ds", "latest", "--json",
                          "--root", sample_lake], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    explained = json.loads(out.stdout)
    assert (explained["uid"], explained["member"], explained["ds"], explained["rule"]["type"]) == (
        uid, True, "2026-06-30", "all")
    assert [i["condition"] for i in explained["rule"]["items"]] == ["user_type = 'registered'", "has_gateway = true"]
    assert all(i["held"] for i in explained["rule"]["items"]) and explained["accept_marketing"] is True

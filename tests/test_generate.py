"""The sample data generator: determinism, the raw input contract, exact fault accounting, realism."""

from __future__ import annotations

import collections
import datetime as dt
import gzip
import hashlib
import logging
import socket
from pathlib import Path

import orjson
import pytest

from jobs.catalogs import event_catalog
from jobs.generate import FAULT_TYPES, FaultRates, GeneratorConfig, generate

DAY_MS = 86_400_000
EPOCH = dt.date(1970, 1, 1)
CATALOG = event_catalog()
EVENT_REQUIRED = ("event_id", "app_id", "event", "ts")
USER_REQUIRED = ("uid", "app_id", "user_type")
HIGH_FAULTS = FaultRates(duplicate=0.03, late=0.04, malformed=0.01, unknown_event=0.01, wrong_type=0.02,
                         missing_field=0.01, out_of_range=0.01)


# ---- reading what was written ------------------------------------------------------------------

def landing_lines(root: str, feed: str, date: str) -> list[bytes]:
    """Lines of every file of a feed and date, files in name order."""
    lines = []
    for path in sorted(Path(root, "landing", feed, f"dt={date}").iterdir()):
        data = gzip.decompress(path.read_bytes()) if path.name.endswith(".gz") else path.read_bytes()
        assert data == b"" or data.endswith(b"\n"), path
        lines += data.split(b"\n")[:-1] if data else []
    return lines


def tree_digest(root: str) -> str:
    digest = hashlib.sha256()
    for path in sorted(Path(root, "landing").rglob("*")):
        if path.is_file() and not path.name.startswith("_"):
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def dates_of(config: GeneratorConfig) -> list[str]:
    return [(config.end - dt.timedelta(days=i)).isoformat() for i in reversed(range(config.days))]


# ---- the contract, checked independently of the ingestion code ----------------------------------

def event_fault(line: bytes, arrival: str) -> str | None:
    """The fault of one event line per the raw input contract (None: valid)."""
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError:
        return "malformed"
    if not isinstance(obj, dict):
        return "malformed"
    if any(obj.get(name) in (None, "") for name in EVENT_REQUIRED):
        return "missing_field"
    strings = all(type(obj[name]) is str for name in ("event_id", "app_id", "event"))
    optional = all(type(obj.get(n)) in (str, type(None)) for n in ("uid", "platform", "app_version", "phone_model"))
    props = obj.get("props")
    if not strings or type(obj["ts"]) is not int or not optional or type(props) not in (dict, type(None)):
        return "wrong_type"
    spec = CATALOG.get(obj["event"])
    if spec is None:
        return "unknown_event"
    for name, measure in spec.measures.items():
        value = (props or {}).get(name)
        wanted = (int,) if measure.type == "integer" else (int, float)
        if value is not None and type(value) not in wanted:
            return "wrong_type"
    if any(type((props or {}).get(name)) not in (str, type(None)) for name in spec.dimensions):
        return "wrong_type"
    day = (dt.date.fromisoformat(arrival) - EPOCH).days
    if not (day - 3) * DAY_MS <= obj["ts"] < (day + 1) * DAY_MS:
        return "out_of_range"
    return None


def user_fault(line: bytes) -> str | None:
    """The fault of one snapshot line (None: valid), with every field's type checked."""
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError:
        return "malformed"
    if not isinstance(obj, dict):
        return "malformed"
    if any(obj.get(name) in (None, "") for name in USER_REQUIRED):
        return "missing_field"
    ok = (
        all(type(obj[name]) is str for name in USER_REQUIRED)
        and obj["user_type"] in ("guest", "registered", "deleted")
        and type(obj["register_time"]) in (int, type(None))
        and all(type(obj[n]) in (str, type(None)) for n in ("register_method", "country_code", "city_en", "city_zh",
                                                              "email", "phone"))
        and type(obj["accept_marketing"]) is bool
        and type(obj["devices"]) is list
        and all(set(d) == {"device_id", "category", "relation", "bind_time"} and d["relation"] in ("owner", "shared")
                and type(d["bind_time"]) is int for d in obj["devices"])
        and (obj["cloud_storage"] is None or (type(obj["cloud_storage"]["expire_time"]) is int
                                               and type(obj["cloud_storage"]["renewed"]) is bool))
        and type(obj["mall"]["has_delivery_address"]) is bool
        and all(type(obj["mall"][n]) is int and obj["mall"][n] >= 0 for n in ("unused_coupons", "cart_items", "unpaid_orders"))
    )
    return None if ok else "wrong_type"


def recount(root: str, config: GeneratorConfig) -> dict[str, dict]:
    """Per arrival date: lines and faults found in the files (duplicates: valid ids seen before)."""
    seen: set[str] = set()
    found = {}
    for date in dates_of(config):
        events, users = collections.Counter(), collections.Counter()
        event_lines = landing_lines(root, "events", date)
        for line in event_lines:
            fault = event_fault(line, date)
            if fault is None:
                obj = orjson.loads(line)
                if obj["event_id"] in seen:
                    fault = "duplicate"
                else:
                    seen.add(obj["event_id"])
                    fault = "late" if obj["ts"] < (dt.date.fromisoformat(date) - EPOCH).days * DAY_MS else None
            events[fault] += 1
        user_lines = landing_lines(root, "users", date)
        for line in user_lines:
            users[user_fault(line)] += 1
        found[date] = {
            "event_lines": len(event_lines), "user_lines": len(user_lines),
            "injected": {"events": {f: events[f] for f in FAULT_TYPES}, "users": {f: users[f] for f in FAULT_TYPES}},
        }
    return found


# ---- tests ------------------------------------------------------------------------------------

def test_same_seed_writes_the_same_bytes_and_another_seed_does_not(tmp_path):
    config = GeneratorConfig(users=300, days=4, apps=("smartlife", "homeplus"), files_per_day=2, compress=True)
    generate(config, str(tmp_path / "a"))
    generate(config, str(tmp_path / "b"))
    generate(GeneratorConfig(**{**config.__dict__, "seed": 8}), str(tmp_path / "c"))
    assert tree_digest(str(tmp_path / "a")) == tree_digest(str(tmp_path / "b"))
    assert tree_digest(str(tmp_path / "a")) != tree_digest(str(tmp_path / "c"))


def test_a_run_without_faults_writes_only_valid_lines(tmp_path):
    config = GeneratorConfig(users=400, days=5, faults=FaultRates.none(), files_per_day=3)
    report = generate(config, str(tmp_path))
    ids = set()
    for date in dates_of(config):
        day = (dt.date.fromisoformat(date) - EPOCH).days
        events = landing_lines(str(tmp_path), "events", date)
        assert events and all(event_fault(line, date) is None for line in events)
        parsed = [orjson.loads(line) for line in events]
        assert all(day * DAY_MS <= e["ts"] < (day + 1) * DAY_MS for e in parsed)  # no late events either
        assert all(e["app_id"] == "smartlife" for e in parsed)
        ids.update(e["event_id"] for e in parsed)
        users = landing_lines(str(tmp_path), "users", date)
        assert users and all(user_fault(line) is None for line in users)
        uids = [orjson.loads(line)["uid"] for line in users]
        assert len(uids) == len(set(uids))
    assert len(ids) == report.event_lines  # every event once
    assert report.injected == {feed: {f: 0 for f in FAULT_TYPES} for feed in ("events", "users")}


def test_injected_faults_are_exactly_what_the_files_hold(tmp_path):
    config = GeneratorConfig(users=300, days=6, apps=("smartlife", "homeplus"), faults=HIGH_FAULTS, files_per_day=2)
    report = generate(config, str(tmp_path))
    assert recount(str(tmp_path), config) == report.per_date
    assert all(report.injected["events"][f] > 0 for f in FAULT_TYPES)
    assert all(report.injected["users"][f] > 0 for f in ("malformed", "wrong_type", "missing_field"))
    assert report.event_lines == sum(d["event_lines"] for d in report.per_date.values())
    manifest = orjson.loads((tmp_path / "landing" / "_generator_manifest.json").read_bytes())
    assert manifest == orjson.loads(orjson.dumps(report.as_dict()))


def test_faulty_lines_never_reuse_the_id_of_a_valid_line(tmp_path):
    config = GeneratorConfig(users=300, days=4, faults=HIGH_FAULTS)
    generate(config, str(tmp_path))
    valid, faulty = set(), []
    for date in dates_of(config):
        for line in landing_lines(str(tmp_path), "events", date):
            fault = event_fault(line, date)
            if fault is None:
                valid.add(orjson.loads(line)["event_id"])
            elif fault != "malformed":
                faulty.append(orjson.loads(line).get("event_id"))
    assert faulty and not valid.intersection(faulty)


def test_rerun_replaces_the_files_of_an_earlier_run(tmp_path):
    generate(GeneratorConfig(users=100, days=4, files_per_day=3), str(tmp_path))
    generate(GeneratorConfig(users=100, days=2, compress=True), str(tmp_path))
    for feed in ("events", "users"):
        folders = sorted(p.name for p in (tmp_path / "landing" / feed).iterdir())
        assert folders == ["dt=2026-06-29", "dt=2026-06-30"]
        assert sorted(p.name for p in (tmp_path / "landing" / feed / "dt=2026-06-30").iterdir()) == [
            "_SUCCESS", "part-00000.jsonl.gz"]


def test_progress_reports_each_app_and_each_day(tmp_path):
    calls = []
    generate(GeneratorConfig(users=50, days=3, apps=("a", "b")), str(tmp_path), progress=lambda *c: calls.append(c))
    assert calls == [("population", 1, 2), ("population", 2, 2), ("days", 1, 3), ("days", 2, 3), ("days", 3, 3)]


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    """The default config (2000 users x 14 days, default fault rates), read back once."""
    root = str(tmp_path_factory.mktemp("default"))
    config = GeneratorConfig()
    generate(config, root)
    events, snapshots = {}, {}
    for date in dates_of(config):
        events[date] = [orjson.loads(l) for l in landing_lines(root, "events", date) if event_fault(l, date) is None]
        snapshots[date] = [orjson.loads(l) for l in landing_lines(root, "users", date) if user_fault(l) is None]
    return events, snapshots


def test_every_catalog_event_appears_in_a_default_run(default_run):
    events, _ = default_run
    seen = {e["event"] for day in events.values() for e in day}
    assert set(CATALOG) - seen == set()


def test_events_reference_users_of_that_day_or_an_earlier_snapshot(default_run):
    events, snapshots = default_run
    known: set[str] = set()
    deleted_since: dict[str, int] = {}
    for date in sorted(events):
        known.update(u["uid"] for u in snapshots[date])
        for u in snapshots[date]:
            if u["user_type"] == "deleted":
                deleted_since.setdefault(u["uid"], (dt.date.fromisoformat(date) - EPOCH).days)
        assert {e["uid"] for e in events[date] if e["uid"] is not None} <= known, date
    # No event of a deleted account from the date its snapshot says "deleted" on.
    everything = [e for day in events.values() for e in day if e["uid"] in deleted_since]
    assert everything and all(e["ts"] // DAY_MS < deleted_since[e["uid"]] for e in everything)


def test_the_population_has_the_mix_the_labels_need(default_run):
    events, snapshots = default_run
    last = snapshots[max(snapshots)]
    first = snapshots[min(snapshots)]
    types = collections.Counter(u["user_type"] for u in last)
    assert types["guest"] > 0 and types["deleted"] > 0 and types["registered"] > 0
    became_deleted = {u["uid"] for u in last if u["user_type"] == "deleted"} - {
        u["uid"] for u in first if u["user_type"] == "deleted"}
    assert became_deleted  # some accounts are deleted during the period
    assert len(last) > len(first)  # users keep registering
    consent = sum(u["accept_marketing"] for u in last if u["user_type"] == "registered")
    assert 0.5 < consent / types["registered"] < 0.7
    devices = collections.Counter(min(len(u["devices"]), 10) for u in last)
    assert devices[0] and devices[1] and devices[5] + devices[6] and devices[10]
    assert {d["relation"] for u in last for d in u["devices"]} == {"owner", "shared"}
    assert any(u["cloud_storage"] for u in last) and any(u["country_code"] is None for u in last)
    everything = [e for day in events.values() for e in day]
    assert any(e["uid"] is None for e in everything)
    assert {e.get("platform") for e in everything} >= {"ios", "android", "harmony"}
    results = collections.Counter(e["props"]["result"] for e in everything if e["event"] == "pairing_end")
    assert results["success"] > 0 and results["fail"] > 0
    # Devices appear in the snapshot from their bind date: a bind in the window shows as a pairing.
    binds = sum(1 for u in last for d in u["devices"] if d["bind_time"] >= (dt.date.fromisoformat(min(snapshots)) - EPOCH).days * DAY_MS)
    assert binds > 0


def test_user_snapshots_change_from_day_to_day(default_run):
    _, snapshots = default_run
    dates = sorted(snapshots)
    before = {u["uid"]: u for u in snapshots[dates[0]]}
    after = {u["uid"]: u for u in snapshots[dates[-1]]}
    changed = collections.Counter(
        field for uid, u in after.items() if uid in before for field in ("devices", "mall", "cloud_storage", "user_type")
        if u[field] != before[uid][field]
    )
    assert all(changed[f] > 0 for f in ("devices", "mall", "cloud_storage", "user_type")), changed


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_s3_root_gets_the_same_files(tmp_path, monkeypatch):
    boto3 = pytest.importorskip("boto3")
    server_module = pytest.importorskip("moto.server")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    port = _free_port()
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        for key, value in {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_ALLOW_HTTP": "true",
                           "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                           "AWS_REGION": "us-east-1"}.items():
            monkeypatch.setenv(key, value)
        client = boto3.client("s3")
        client.create_bucket(Bucket="lake")
        config = GeneratorConfig(users=100, days=2, compress=True)
        generate(config, "s3://lake/sample")
        generate(config, str(tmp_path))
        generate(config, "s3://lake/sample")  # a re-run replaces the objects
        listed = client.list_objects_v2(Bucket="lake", Prefix="sample/")["Contents"]
        keys = sorted(o["Key"] for o in listed if not o["Key"].endswith("/"))  # pyarrow's folder markers
        local = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
        assert keys == [f"sample/{k}" for k in local]
        key = "sample/landing/events/dt=2026-06-30/part-00000.jsonl.gz"
        body = client.get_object(Bucket="lake", Key=key)["Body"].read()
        assert body == (tmp_path / key.removeprefix("sample/")).read_bytes()
    finally:
        server.stop()

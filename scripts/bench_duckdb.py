"""The hand-written DuckDB pipeline scripts/bench_pipeline.py measures the project against (benchmark only).

Same landing files, same rules (docs/ingestion.md, PRODUCT.md's label table), plain DuckDB SQL:
per-line validation with the project's quarantine reasons, dedupe against the 3 arrival dates
before, bronze and quarantine as Parquet per date, then the labels of a ds straight from the
deduplicated events (every day rescans all of them: no compact tables, no state).

Known differences from the project, none of which the generated data exercises: props nested
deeper than 32 levels are not quarantined as ``too_deep`` (no depth function in DuckDB's JSON);
a number out of range (``1e400``), ``NaN`` and duplicate keys are valid JSON to DuckDB (orjson
rejects the first two; with duplicate keys DuckDB keeps the first value, orjson the last);
invalid UTF-8 fails ``read_text``; ``.jsonl.gz`` files are not read (generate without ``--compress``); props
are kept as received, not re-serialised with sorted keys.
"""

from __future__ import annotations

import datetime as dt
import pathlib

import duckdb

from jobs.catalogs import event_catalog

DAY_MS = 86_400_000
MAX_LINE_BYTES = 1_048_576  # a longer line is quarantined as too_long
EPOCH = dt.date(1970, 1, 1)
EVENT_FIELDS = ("event_id", "app_id", "event", "ts", "uid", "platform", "app_version", "phone_model", "props")
INTS = "('BIGINT', 'UBIGINT')"
VARCHAR, BOOLEAN = "'VARCHAR'", "'BOOLEAN'"


def landing_files(root: str, feed: str, day: dt.date) -> list[str]:
    """The date folder's ``*.jsonl`` files in name order (markers and dot files skipped)."""
    folder = pathlib.Path(root, "landing", feed, f"dt={day.isoformat()}")
    names = sorted(p.name for p in folder.iterdir() if p.is_file() and not p.name.startswith((".", "_")))
    if any(n.endswith(".jsonl.gz") for n in names):
        raise SystemExit("the DuckDB pipeline reads uncompressed landing files: generate without --compress")
    return [str(folder / n) for n in names if n.endswith(".jsonl")]


def _lines_sql(root: str) -> str:
    """Numbered non-blank lines of the files bound as $files (line numbers count every physical line)."""
    prefix = str(pathlib.Path(root).resolve()) + "/"
    return f"""
      WITH parts AS (SELECT filename, string_split(content, chr(10)) AS p FROM read_text($files)),
      numbered AS (SELECT replace(filename, '{prefix}', '') AS source_file,
                          unnest(generate_series(1, len(p))) AS source_line, unnest(p) AS raw FROM parts)
      SELECT source_file, source_line,
             rtrim(CASE WHEN source_line = 1 THEN ltrim(raw, chr(65279)) ELSE raw END, chr(13)) AS line
      FROM numbered WHERE trim(raw, ' ' || chr(9) || chr(13) || chr(65279)) <> ''"""


def _missing(i: int) -> str:
    return f"(t[{i}] IS NULL OR t[{i}] = 'NULL' OR (t[{i}] = 'VARCHAR' AND v[{i}] = ''))"


def _optional(i: int, allowed: str) -> str:
    return f"coalesce(t[{i}], 'NULL') NOT IN ('NULL', {allowed})"


def _props_rules() -> tuple[list[str], str]:
    """The props paths to read and the CASE branches of the catalog's checks: every measure's and
    dimension's type first, then every measure's range (as in ``jobs.bronze.events._check_props``)."""
    catalog = event_catalog()
    names = sorted({n for s in catalog.values() for n in (*s.measures, *s.dimensions)})
    types, ranges = [], []
    for code, spec in catalog.items():
        checks = [(m, INTS if spec.measures[m].type == "integer" else "('BIGINT', 'UBIGINT', 'DOUBLE')") for m in spec.measures]
        checks += [(d, "('VARCHAR')") for d in spec.dimensions]
        for name, allowed in checks:
            i = names.index(name) + 1
            types.append(f"WHEN event_code = '{code}' AND coalesce(pt[{i}], 'NULL') <> 'NULL' "
                         f"AND pt[{i}] NOT IN {allowed} THEN 'wrong_type'")
        for name, rule in spec.measures.items():
            i = names.index(name) + 1
            ranges.append(f"WHEN event_code = '{code}' AND coalesce(pt[{i}], 'NULL') <> 'NULL' AND "
                          f"NOT (TRY_CAST(pv[{i}] AS DOUBLE) BETWEEN {rule.minimum} AND {rule.maximum}) THEN 'invalid_value'")
    return [f"$.props.{n}" for n in names], "\n".join(types + ranges)


def _event_reason_sql(day: dt.date) -> str:
    start, end = ((day - EPOCH).days - 3) * DAY_MS, ((day - EPOCH).days + 1) * DAY_MS
    prop_paths, prop_branches = _props_rules()
    codes = ", ".join(f"('{c}')" for c in event_catalog())
    required = "\n".join(f"WHEN {_missing(i + 1)} THEN 'missing_field'" for i in range(4))
    strings = "\n".join(f"WHEN t[{i}] <> 'VARCHAR' THEN 'wrong_type'" for i in (1, 2, 3))
    optional = "\n".join(f"WHEN {_optional(i, VARCHAR)} THEN 'wrong_type'" for i in (5, 6, 7, 8))
    paths = ", ".join(f"'$.{f}'" for f in EVENT_FIELDS)
    return f"""
      WITH typed AS (
        SELECT *, CASE WHEN ok AND obj = 'OBJECT' THEN json_type(line, [{paths}]) END AS t,
                  CASE WHEN ok AND obj = 'OBJECT' THEN json_extract_string(line, [{paths}]) END AS v,
                  CASE WHEN ok AND obj = 'OBJECT' THEN json_type(line, {prop_paths!r}) END AS pt,
                  CASE WHEN ok AND obj = 'OBJECT' THEN json_extract_string(line, {prop_paths!r}) END AS pv
        FROM (SELECT *, CASE WHEN ok THEN json_type(line) END AS obj
              FROM (SELECT *, json_valid(line) AS ok FROM lines))),
      coded AS (SELECT typed.*, v[3] AS event_code, c.code IS NOT NULL AS known,
                       TRY_CAST(v[4] AS BIGINT) AS ts_value
                FROM typed LEFT JOIN (VALUES {codes}) c(code) ON c.code = typed.v[3])
      SELECT *, CASE
        WHEN strlen(line) > {MAX_LINE_BYTES} THEN 'too_long'
        WHEN NOT ok OR obj <> 'OBJECT' THEN 'invalid_json'
        {required}
        {strings}
        WHEN t[4] NOT IN {INTS} THEN 'wrong_type'
        {optional}
        WHEN {_optional(9, "'OBJECT'")} THEN 'wrong_type'
        WHEN NOT known THEN 'unknown_event'
        {prop_branches}
        WHEN ts_value IS NOT NULL AND ts_value < {start} THEN 'ts_too_old'
        WHEN ts_value IS NULL OR ts_value >= {end} THEN 'ts_in_future'
      END AS reason FROM coded"""


def ingest_events(con: duckdb.DuckDBPyConnection, root: str, out: str, day: dt.date) -> dict:
    """Validates, dedupes and writes one arrival date of events: Parquet bronze and quarantine."""
    files = landing_files(root, "events", day)
    con.execute(f"CREATE OR REPLACE TEMP TABLE lines AS {_lines_sql(root)}", {"files": files})
    con.execute(f"CREATE OR REPLACE TEMP TABLE parsed AS {_event_reason_sql(day)}")
    before = [p for n in (1, 2, 3) if (p := pathlib.Path(out, "bronze_events", f"dt={day - dt.timedelta(days=n)}")).exists()]
    seen = (" UNION ALL ".join(f"SELECT event_id FROM read_parquet('{p}/*.parquet')" for p in before)
            or "SELECT NULL::VARCHAR AS event_id WHERE false")
    target = pathlib.Path(out, "bronze_events", f"dt={day}")
    target.mkdir(parents=True, exist_ok=True)
    con.execute(f"""
      COPY (WITH accepted AS (
              SELECT v[1] AS event_id, v[2] AS app_id, v[5] AS uid, v[3] AS event, ts_value AS ts,
                     DATE '1970-01-01' + CAST(ts_value // {DAY_MS} AS INTEGER) AS event_date,
                     v[6] AS platform, v[7] AS app_version, v[8] AS phone_model,
                     CASE WHEN t[9] = 'OBJECT' THEN json_extract(line, '$.props')::VARCHAR END AS props,
                     source_file, source_line,
                     row_number() OVER (PARTITION BY v[1] ORDER BY source_file, source_line) AS copy
              FROM parsed WHERE reason IS NULL)
            SELECT * EXCLUDE (copy) FROM accepted
            WHERE copy = 1 AND event_id NOT IN (SELECT event_id FROM ({seen})))
      TO '{target}/part-0.parquet' (FORMAT parquet)""")
    return _write_quarantine(con, out, "events", day)


def _write_quarantine(con: duckdb.DuckDBPyConnection, out: str, feed: str, day: dt.date) -> dict:
    target = pathlib.Path(out, f"{feed}_quarantine", f"dt={day}")
    target.mkdir(parents=True, exist_ok=True)
    con.execute(f"COPY (SELECT source_file, source_line, left(line, 65536) AS raw_line, reason FROM parsed "
                f"WHERE reason IS NOT NULL) TO '{target}/part-0.parquet' (FORMAT parquet)")
    return dict(con.execute("SELECT coalesce(reason, 'accepted'), count(*) FROM parsed GROUP BY ALL").fetchall())


USER_FIELDS = ("uid", "app_id", "user_type", "register_time", "register_method", "city_en", "city_zh", "email",
               "phone", "country_code", "accept_marketing", "devices", "cloud_storage", "mall",
               "cloud_storage.expire_time", "cloud_storage.renewed", "mall.has_delivery_address",
               "mall.unused_coupons", "mall.cart_items", "mall.unpaid_orders")  # fmt: skip


def _device_reason() -> str:
    """Per device element: its first failure (reason), or null."""
    fields = "\n".join(
        f"WHEN coalesce(json_type(d, '$.{f}'), 'NULL') = 'NULL' THEN 'missing_field' "
        f"WHEN json_type(d, '$.{f}') <> 'VARCHAR' THEN 'wrong_type'" for f in ("device_id", "category", "relation"))
    return f"""list_filter(list_transform(coalesce(json_extract(line, '$.devices[*]'), []), lambda d: CASE
        WHEN json_type(d) <> 'OBJECT' THEN 'wrong_type'
        {fields}
        WHEN json_extract_string(d, '$.relation') NOT IN ('owner', 'shared') THEN 'invalid_value'
        WHEN coalesce(json_type(d, '$.bind_time'), 'NULL') NOT IN ('NULL', 'BIGINT', 'UBIGINT') THEN 'wrong_type'
        WHEN json_type(d, '$.bind_time') = 'UBIGINT' AND TRY_CAST(json_extract_string(d, '$.bind_time') AS BIGINT) IS NULL
          THEN 'invalid_value' END), lambda r: r IS NOT NULL)[1]"""


def _user_reason_sql() -> str:
    paths = ", ".join(f"'$.{f}'" for f in USER_FIELDS)
    i = {f: n + 1 for n, f in enumerate(USER_FIELDS)}

    def long(f: str) -> str:
        return (f"WHEN {_optional(i[f], INTS[1:-1])} THEN 'wrong_type' "
                f"WHEN t[{i[f]}] = 'UBIGINT' AND TRY_CAST(v[{i[f]}] AS BIGINT) IS NULL THEN 'invalid_value'")

    def boolean(f: str) -> str:
        return f"WHEN {_optional(i[f], BOOLEAN)} THEN 'wrong_type'"

    counts = "\n".join(f"{long(f)} WHEN TRY_CAST(v[{i[f]}] AS BIGINT) < 0 THEN 'invalid_value'"
                       for f in ("mall.unused_coupons", "mall.cart_items", "mall.unpaid_orders"))
    return f"""
      WITH typed AS (
        SELECT *, CASE WHEN ok AND obj = 'OBJECT' THEN json_type(line, [{paths}]) END AS t,
                  CASE WHEN ok AND obj = 'OBJECT' THEN json_extract_string(line, [{paths}]) END AS v
        FROM (SELECT *, CASE WHEN ok THEN json_type(line) END AS obj
              FROM (SELECT *, json_valid(line) AS ok FROM lines))),
      checked AS (SELECT *, CASE WHEN t[12] = 'ARRAY' THEN {_device_reason()} END AS device_reason FROM typed)
      SELECT *, CASE
        WHEN strlen(line) > {MAX_LINE_BYTES} THEN 'too_long'
        WHEN NOT ok OR obj <> 'OBJECT' THEN 'invalid_json'
        WHEN {_missing(1)} OR {_missing(2)} OR {_missing(3)} THEN 'missing_field'
        WHEN t[1] <> 'VARCHAR' OR t[2] <> 'VARCHAR' OR t[3] <> 'VARCHAR' THEN 'wrong_type'
        WHEN v[3] NOT IN ('guest', 'registered', 'deleted') THEN 'invalid_value'
        {long("register_time")}
        {" ".join(f"WHEN {_optional(i[f], VARCHAR)} THEN 'wrong_type'" for f in USER_FIELDS[4:9])}
        WHEN {_optional(10, "'VARCHAR'")} THEN 'wrong_type'
        WHEN t[10] = 'VARCHAR' AND NOT regexp_full_match(v[10], '[A-Z]{{2}}') THEN 'invalid_value'
        {boolean("accept_marketing")}
        WHEN {_optional(12, "'ARRAY'")} THEN 'wrong_type'
        WHEN device_reason IS NOT NULL THEN device_reason
        WHEN {_optional(13, "'OBJECT'")} THEN 'wrong_type'
        {long("cloud_storage.expire_time")} {boolean("cloud_storage.renewed")}
        WHEN {_optional(14, "'OBJECT'")} THEN 'wrong_type'
        {boolean("mall.has_delivery_address")}
        {counts}
      END AS reason FROM checked"""


def ingest_users(con: duckdb.DuckDBPyConnection, root: str, out: str, day: dt.date) -> dict:
    """Validates and dedupes one user snapshot into typed Parquet rows (first line per user wins)."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE lines AS {_lines_sql(root)}", {"files": landing_files(root, "users", day)})
    con.execute(f"CREATE OR REPLACE TEMP TABLE parsed AS {_user_reason_sql()}")
    target = pathlib.Path(out, "bronze_users", f"dt={day}")
    target.mkdir(parents=True, exist_ok=True)
    con.execute(f"""
      COPY (SELECT * EXCLUDE (copy) FROM (
              SELECT v[2] AS app_id, v[1] AS uid, v[3] AS user_type, TRY_CAST(v[4] AS BIGINT) AS register_time,
                     v[5] AS register_method, v[10] AS country_code, v[6] AS city_en, v[7] AS city_zh,
                     v[8] AS email, v[9] AS phone, TRY_CAST(v[11] AS BOOLEAN) AS accept_marketing,
                     CASE WHEN t[12] = 'ARRAY' THEN list_transform(json_extract(line, '$.devices[*]'), lambda d: {{
                       'device_id': json_extract_string(d, '$.device_id'), 'category': json_extract_string(d, '$.category'),
                       'relation': json_extract_string(d, '$.relation'),
                       'bind_time': TRY_CAST(json_extract_string(d, '$.bind_time') AS BIGINT)}}) END AS devices,
                     CASE WHEN t[13] = 'OBJECT' THEN {{'expire_time': TRY_CAST(v[15] AS BIGINT),
                       'renewed': TRY_CAST(v[16] AS BOOLEAN)}} END AS cloud_storage,
                     CASE WHEN t[14] = 'OBJECT' THEN {{'has_delivery_address': TRY_CAST(v[17] AS BOOLEAN),
                       'unused_coupons': TRY_CAST(v[18] AS BIGINT), 'cart_items': TRY_CAST(v[19] AS BIGINT),
                       'unpaid_orders': TRY_CAST(v[20] AS BIGINT)}} END AS mall,
                     source_file, source_line,
                     row_number() OVER (PARTITION BY v[2], v[1] ORDER BY source_file, source_line) AS copy
              FROM parsed WHERE reason IS NULL) WHERE copy = 1)
      TO '{target}/part-0.parquet' (FORMAT parquet)""")
    return _write_quarantine(con, out, "users", day)

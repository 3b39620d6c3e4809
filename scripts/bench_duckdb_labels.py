"""The label table of PRODUCT.md in DuckDB SQL, straight from deduplicated events (benchmark only).

No compact tables and no all-time state: every run rescans every bronze event up to ds+3, keeps
the first copy of each event_id (earliest arrival date, then file and line) of signed-in users,
and computes every label of ``gold.user_labels`` for the non-deleted users of the ds snapshot.
"""

from __future__ import annotations

import datetime as dt
import pathlib

import duckdb

from jobs.labels.country import country_names
from jobs.tables import GOLD_USER_LABELS

DAY_MS = 86_400_000
EPOCH = dt.date(1970, 1, 1)
MONEY = "DECIMAL(38, 6)"


def silver_events_sql(out: str, ds: dt.date) -> str:
    """First copies of signed-in users' events with event dates up to ds (props read as the catalog says)."""
    last_arrival = ds + dt.timedelta(days=3)
    return f"""
      SELECT * EXCLUDE (raw_items, raw_amount),
             CASE WHEN event IN ('mall_order_placed', 'mall_order_paid') AND isfinite(raw_items) AND raw_items % 1 = 0
                  THEN raw_items END AS items,
             CASE WHEN event IN ('mall_order_placed', 'mall_order_paid', 'vas_order_placed', 'vas_order_completed')
                  AND isfinite(raw_amount) THEN raw_amount END AS amount
      FROM (SELECT app_id, uid, event, ts, event_date, platform, app_version, phone_model,
                   CASE WHEN event = 'pairing_end' THEN props->>'$.result' END AS dim_result,
                   TRY_CAST(props->>'$.items' AS DOUBLE) AS raw_items, TRY_CAST(props->>'$.amount' AS DOUBLE) AS raw_amount,
                   row_number() OVER (PARTITION BY event_id ORDER BY dt, source_file, source_line) AS copy
            FROM read_parquet('{out}/bronze_events/*/*.parquet', hive_partitioning = true)
            WHERE dt <= DATE '{last_arrival}' AND uid IS NOT NULL)
      WHERE copy = 1 AND event_date <= DATE '{ds}'"""


def _in(days: int, ds: dt.date) -> str:
    return f"event_date BETWEEN DATE '{ds - dt.timedelta(days=days - 1)}' AND DATE '{ds}'"


def per_user_sql(ds: dt.date) -> str:
    """Every event-derived label input per (app_id, uid), in one grouping of the events."""
    w30, w90, w180 = _in(30, ds), _in(90, ds), _in(180, ds)
    tenths = "CASE event WHEN 'mall_browse' THEN 1 WHEN 'mall_item_tap' THEN 2 WHEN 'mall_favorite' THEN 3 WHEN 'mall_add_cart' THEN 4 ELSE 0 END"
    counts = {n: e for n, e in (("vas_placed", "vas_order_placed"), ("vas_completed", "vas_order_completed"),
                                ("fb_submit", "feedback_submit"), ("fb_resolved", "feedback_resolved"),
                                ("sat", "cs_chat_satisfied"), ("dissat", "cs_chat_dissatisfied"), ("fair", "cs_chat_fair"),
                                ("coupons", "coupon_received"))}  # fmt: skip
    alltime = ",\n".join(f"count(*) FILTER (WHERE event = '{e}') AS {n}" for n, e in counts.items())
    return f"""
      SELECT app_id, uid,
        count(DISTINCT event_date) FILTER (WHERE {w30}) AS active_days_30d,
        max(ts) FILTER (WHERE {w180}) AS last_active_time,
        max(event_date) FILTER (WHERE {w180}) AS last_active_date,
        max({{'ts': ts, 'v': app_version}}) FILTER (WHERE {w180} AND trim(app_version) <> '') AS app_version,
        max({{'ts': ts, 'v': phone_model}}) FILTER (WHERE {w180} AND trim(phone_model) <> '') AS phone_model,
        count(*) FILTER (WHERE {w30} AND event = 'voice_control') AS voice,
        count(*) FILTER (WHERE {w30} AND event = 'panel_control') AS panel,
        count(*) FILTER (WHERE {w90} AND event = 'pairing_end') AS pair_all,
        count(*) FILTER (WHERE {w90} AND event = 'pairing_end' AND dim_result = 'success') AS pair_ok,
        max(ts) FILTER (WHERE {w180} AND starts_with(event, 'mall_')) AS last_mall_visit_time,
        sum({tenths}) FILTER (WHERE {w30}) AS tenths,
        count(DISTINCT event_date) FILTER (WHERE {w30} AND event = 'mall_browse') AS mall_visit_days_30d,
        count(*) FILTER (WHERE {w180} AND event = 'coupon_received') AS coupons_180d,
        sum(items) FILTER (WHERE {w180} AND event = 'mall_order_placed') AS items_ordered,
        sum(amount::{MONEY}) FILTER (WHERE {w180} AND event = 'mall_order_placed') AS amount_ordered,
        sum(items) FILTER (WHERE {w180} AND event = 'mall_order_paid') AS items_paid,
        sum(amount::{MONEY}) FILTER (WHERE {w180} AND event = 'mall_order_paid') AS amount_paid,
        sum(coalesce(amount::{MONEY}, 0)) FILTER (WHERE event = 'vas_order_placed') AS vas_amount_placed,
        sum(coalesce(amount::{MONEY}, 0)) FILTER (WHERE event = 'vas_order_completed') AS vas_amount_completed,
        {alltime}
      FROM events GROUP BY app_id, uid"""


def platforms_sql(ds: dt.date) -> str:
    """The most frequent raw platform in 180 days (tie: seen latest, then greatest), per user."""
    return f"""
      SELECT app_id, uid, max({{'n': n, 'last': last, 'p': platform}}).p AS raw_platform
      FROM (SELECT app_id, uid, platform, count(*) AS n, max(ts) AS last FROM events
            WHERE {_in(180, ds)} AND trim(platform) <> '' GROUP BY ALL)
      GROUP BY app_id, uid"""


def labels_sql(ds: dt.date) -> str:
    """The ``gold.user_labels`` rows of ds from tables ``events``, ``users`` (the ds snapshot) and ``countries``."""
    day = (ds - EPOCH).days
    cats = {c: f"len(list_filter(devices, lambda d: d.relation IN ('owner', 'shared') AND d.category = '{c}')) > 0"
            for c in ("gateway", "ipc", "lock", "speaker", "panel")}
    columns = {
        "country_en": "c.country_en", "country_zh": "c.country_zh", "city_en": "s.city_en", "city_zh": "s.city_zh",
        "user_type": "s.user_type", "register_time": "s.register_time", "register_method": "s.register_method",
        "accept_marketing": "s.accept_marketing",
        "has_email": "coalesce(trim(s.email) <> '', false)", "has_phone": "coalesce(trim(s.phone) <> '', false)",
        "platform": "CASE WHEN p.raw_platform IN ('ios', 'android') THEN p.raw_platform WHEN p.raw_platform IS NULL THEN 'Unknown' ELSE 'Others' END",
        "app_version": "coalesce(e.app_version.v, 'NA')", "phone_model": "coalesce(e.phone_model.v, 'NA')",
        "active_days_30d": "coalesce(e.active_days_30d, 0)", "last_active_time": "e.last_active_time",
        "voice_control_daily_avg_30d": "coalesce(e.voice, 0)::DOUBLE / 30.0::DOUBLE", "panel_control_daily_avg_30d": "coalesce(e.panel, 0)::DOUBLE / 30.0::DOUBLE",
        **{f"has_{c}": f"coalesce({test}, false)" for c, test in cats.items()},
        "bound_devices": "coalesce(len(list_filter(devices, lambda d: d.relation = 'owner')), 0)",
        "pairing_success_rate_90d": "CASE WHEN e.pair_all > 0 THEN e.pair_ok::DOUBLE / e.pair_all::DOUBLE END",
        "pairing_level_90d": "CASE WHEN coalesce(e.pair_all, 0) = 0 THEN 'unpaired' WHEN e.pair_ok * 5 >= e.pair_all * 4 THEN 'high' "
                             "WHEN e.pair_ok * 2 >= e.pair_all THEN 'medium' ELSE 'low' END",
        "vas_subscribed": "coalesce(e.vas_completed > 0, false)", "vas_orders_placed": "coalesce(e.vas_placed, 0)",
        "vas_amount_placed": "coalesce(e.vas_amount_placed, 0)::DOUBLE", "vas_orders_completed": "coalesce(e.vas_completed, 0)",
        "vas_amount_completed": "coalesce(e.vas_amount_completed, 0)::DOUBLE",
        "cloud_storage_purchased": "s.cloud_storage IS NOT NULL", "cloud_storage_expire_time": "s.cloud_storage.expire_time",
        "cloud_storage_renewed": "s.cloud_storage.renewed", "feedback_count": "coalesce(e.fb_submit, 0)",
        "positive_review_pct": "CASE WHEN e.sat + e.dissat + e.fair > 0 THEN e.sat::DOUBLE / (e.sat + e.dissat + e.fair)::DOUBLE END",
        "resolved_issue_pct": "CASE WHEN e.fb_submit > 0 THEN least(e.fb_resolved::DOUBLE / e.fb_submit::DOUBLE, 1.0::DOUBLE) END",
        "has_delivery_address": "s.mall.has_delivery_address", "unused_coupons": "s.mall.unused_coupons",
        "cart_items": "s.mall.cart_items", "has_unpaid_orders": "coalesce(s.mall.unpaid_orders > 0, false)",
        "last_mall_visit_time": "e.last_mall_visit_time", "mall_activity_30d": "coalesce(e.tenths, 0)::DOUBLE / 10.0::DOUBLE",
        "mall_visit_days_30d": "coalesce(e.mall_visit_days_30d, 0)", "coupon_received_180d": "coalesce(e.coupons_180d > 0, false)",
        "coupon_received_ever": "coalesce(e.coupons > 0, false)",
        "mall_items_ordered_180d": "coalesce(e.items_ordered, 0)::BIGINT", "mall_amount_ordered_180d": "coalesce(e.amount_ordered, 0)::DOUBLE",
        "mall_items_paid_180d": "coalesce(e.items_paid, 0)::BIGINT", "mall_amount_paid_180d": "coalesce(e.amount_paid, 0)::DOUBLE",
        "lifecycle": f"""CASE WHEN device_count >= 1 AND (e.last_active_date IS NULL OR DATE '{ds}' - e.last_active_date > 30) THEN 'churn'
                              WHEN device_count >= 1 AND DATE '{ds}' - e.last_active_date > 7 THEN 'silence'
                              WHEN device_count >= 1 AND coalesce({day} - floor(s.register_time / {DAY_MS}) > 30, false) THEN 'growth'
                              ELSE 'novice' END""",
        "user_distribution": "CASE WHEN device_count = 0 THEN 'none' WHEN device_count <= 3 THEN 'elementary' "
                             "WHEN device_count <= 9 THEN 'intermediate' ELSE 'advanced' END",
    }  # fmt: skip
    names = [f.name for f in GOLD_USER_LABELS.schema.fields if f.name not in ("app_id", "uid", "ds")]
    missing = set(names) - set(columns)
    if missing:
        raise SystemExit(f"the DuckDB label SQL lacks {sorted(missing)}: add them to scripts/bench_duckdb_labels.py")
    select = ",\n".join(f"{columns[n]} AS {n}" for n in names)
    return f"""
      WITH e AS ({per_user_sql(ds)}), p AS ({platforms_sql(ds)}),
      s AS (SELECT *, coalesce(len(list_filter(devices, lambda d: d.relation IN ('owner', 'shared'))), 0) AS device_count
            FROM users WHERE user_type <> 'deleted')
      SELECT s.app_id, s.uid, {select}, DATE '{ds}' AS ds
      FROM s LEFT JOIN countries c ON upper(trim(s.country_code)) = c.country_code
      LEFT JOIN e ON e.app_id = s.app_id AND e.uid = s.uid
      LEFT JOIN p ON p.app_id = s.app_id AND p.uid = s.uid"""


def build_labels(con: duckdb.DuckDBPyConnection, out: str, ds: dt.date) -> int:
    """Silver events and the labels of ds, written to ``<out>/labels/ds=<ds>.parquet``; returns the rows."""
    con.execute("CREATE OR REPLACE TEMP TABLE countries (country_code VARCHAR, country_en VARCHAR, country_zh VARCHAR)")
    con.executemany("INSERT INTO countries VALUES (?, ?, ?)", list(country_names()))
    con.execute(f"CREATE OR REPLACE TEMP TABLE events AS {silver_events_sql(out, ds)}")
    con.execute(f"CREATE OR REPLACE TEMP VIEW users AS SELECT * FROM read_parquet('{out}/bronze_users/dt={ds}/*.parquet')")
    target = pathlib.Path(out, "labels")
    target.mkdir(parents=True, exist_ok=True)
    con.execute(f"COPY ({labels_sql(ds)}) TO '{target}/ds={ds}.parquet' (FORMAT parquet)")
    return con.execute(f"SELECT count(*) FROM '{target}/ds={ds}.parquet'").fetchall()[0][0]

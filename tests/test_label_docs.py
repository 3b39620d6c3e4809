"""docs/labels.md holds the reference generated from the label catalog, and the catalog is complete."""

from __future__ import annotations

import pathlib

from jobs.catalogs import label_catalog
from jobs.labels.reference import replace_reference
from jobs.tables import GOLD_USER_LABELS

DOC = pathlib.Path(__file__).resolve().parents[1] / "docs" / "labels.md"


def test_committed_reference_matches_the_catalog():
    current = DOC.read_text(encoding="utf-8")
    assert replace_reference(current) == current, "docs/labels.md is stale: run python scripts/gen_label_docs.py"


def test_every_product_label_is_in_the_catalog_and_the_gold_table():
    product = """country_en country_zh city_en city_zh user_type register_time register_method accept_marketing
    has_email has_phone platform app_version phone_model active_days_30d last_active_time
    voice_control_daily_avg_30d panel_control_daily_avg_30d has_gateway has_ipc has_lock has_speaker has_panel
    bound_devices pairing_success_rate_90d pairing_level_90d vas_subscribed vas_orders_placed vas_amount_placed
    vas_orders_completed vas_amount_completed cloud_storage_purchased cloud_storage_expire_time
    cloud_storage_renewed feedback_count positive_review_pct resolved_issue_pct has_delivery_address
    unused_coupons cart_items has_unpaid_orders last_mall_visit_time mall_activity_30d mall_visit_days_30d
    coupon_received_180d coupon_received_ever mall_items_ordered_180d mall_amount_ordered_180d
    mall_items_paid_180d mall_amount_paid_180d lifecycle user_distribution""".split()
    assert sorted(label_catalog()) == sorted(product)
    assert [f.name for f in GOLD_USER_LABELS.schema.fields] == ["app_id", "uid", *label_catalog(), "ds"]


def test_catalog_entries_have_only_known_keys():
    # An unquoted comma in a YAML flow mapping ends the description and adds a stray key.
    import yaml
    from importlib import resources

    raw = yaml.safe_load(resources.files("jobs.catalogs").joinpath("labels.yaml").read_text(encoding="utf-8"))
    known = {"category", "type", "values", "unit", "description"}
    assert {name: sorted(set(spec) - known) for name, spec in raw["labels"].items() if set(spec) - known} == {}

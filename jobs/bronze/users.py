"""Validation of one landing user-snapshot line into a bronze.users record or a quarantine rejection."""

from __future__ import annotations

import re

from jobs.bronze.parse import (
    INVALID_VALUE,
    MISSING_FIELD,
    WRONG_TYPE,
    Rejected,
    Rejection,
    load_object,
    optional_bool,
    optional_long,
    optional_object,
    optional_string,
    quote,
    require_present,
)

REQUIRED = ("uid", "app_id", "user_type")
USER_TYPES = ("guest", "registered", "deleted")
RELATIONS = ("owner", "shared")
OPTIONAL_STRINGS = ("register_method", "city_en", "city_zh", "email", "phone")
DEVICE_REQUIRED = ("device_id", "category", "relation")
MALL_COUNTS = ("unused_coupons", "cart_items", "unpaid_orders")
_COUNTRY_CODE = re.compile(r"[A-Z]{2}")


def parse_user(line: bytes) -> dict | Rejection:
    """Validates one snapshot line (checks in the order documented in docs/ingestion.md).

    Returns:
        The bronze.users fields (nested ``devices``, ``cloud_storage``, ``mall`` as dicts), or
        the first rejection found.
    """
    try:
        return _user(line)
    except Rejected as rejected:
        return rejected.rejection


def _user(line: bytes) -> dict:
    obj = load_object(line)
    require_present(obj, REQUIRED)
    for name in REQUIRED:
        if type(obj[name]) is not str:
            raise Rejected(WRONG_TYPE, name)
    if obj["user_type"] not in USER_TYPES:
        raise Rejected(INVALID_VALUE, f"user_type={quote(obj['user_type'])}")
    record = {name: obj[name] for name in REQUIRED}
    record["register_time"] = optional_long(obj, "register_time")
    record.update((name, optional_string(obj, name)) for name in OPTIONAL_STRINGS)
    record["country_code"] = _country_code(obj)
    record["accept_marketing"] = optional_bool(obj, "accept_marketing")
    record["devices"] = _devices(obj)
    record["cloud_storage"] = _cloud_storage(obj)
    record["mall"] = _mall(obj)
    return record


def _country_code(obj: dict) -> str | None:
    code = optional_string(obj, "country_code")
    if code is not None and not _COUNTRY_CODE.fullmatch(code):
        raise Rejected(INVALID_VALUE, f"country_code={quote(code)}")
    return code


def _devices(obj: dict) -> list[dict] | None:
    devices = obj.get("devices")
    if devices is None:
        return None
    if type(devices) is not list:
        raise Rejected(WRONG_TYPE, "devices")
    return [_device(device, f"devices[{i}]") for i, device in enumerate(devices)]


def _device(device: object, path: str) -> dict:
    if type(device) is not dict:
        raise Rejected(WRONG_TYPE, path)
    for name in DEVICE_REQUIRED:
        value = device.get(name)
        if value is None:
            raise Rejected(MISSING_FIELD, f"{path}.{name}")
        if type(value) is not str:
            raise Rejected(WRONG_TYPE, f"{path}.{name}")
    if device["relation"] not in RELATIONS:
        raise Rejected(INVALID_VALUE, f"{path}.relation={quote(device['relation'])}")
    return {
        "device_id": device["device_id"],
        "category": device["category"],
        "relation": device["relation"],
        "bind_time": optional_long(device, "bind_time", f"{path}.bind_time"),
    }


def _cloud_storage(obj: dict) -> dict | None:
    cloud = optional_object(obj, "cloud_storage")
    if cloud is None:
        return None
    return {
        "expire_time": optional_long(cloud, "expire_time", "cloud_storage.expire_time"),
        "renewed": optional_bool(cloud, "renewed", "cloud_storage.renewed"),
    }


def _mall(obj: dict) -> dict | None:
    mall = optional_object(obj, "mall")
    if mall is None:
        return None
    record = {"has_delivery_address": optional_bool(mall, "has_delivery_address", "mall.has_delivery_address")}
    for name in MALL_COUNTS:
        record[name] = optional_long(mall, name, f"mall.{name}", minimum=0)
    return record

"""Vocabularies of the sample population: countries and cities, phones, platforms, devices, props values."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Country:
    """A home location: ISO alpha-2 code, share of users, mobile number formats and cities.

    Args:
        phone_prefixes: E.164 prefixes of mobile numbers; each is followed by ``phone_digits`` digits.
        cities: (English name, Chinese name) pairs.
        east_asian_login: register methods lean to phone and WeChat instead of email and social logins.
    """

    code: str
    weight: float
    phone_prefixes: tuple[str, ...]
    phone_digits: int
    cities: tuple[tuple[str, str], ...]
    east_asian_login: bool = False


COUNTRIES: tuple[Country, ...] = (
    Country("CN", 0.30, ("+86138", "+86139", "+86186", "+86135", "+86159"), 8,
            (("Shenzhen", "深圳"), ("Shanghai", "上海"), ("Beijing", "北京"), ("Hangzhou", "杭州"),
             ("Guangzhou", "广州"), ("Chengdu", "成都")), east_asian_login=True),
    Country("US", 0.16, ("+12125", "+14155", "+16462", "+13128"), 6,
            (("New York", "纽约"), ("Los Angeles", "洛杉矶"), ("Chicago", "芝加哥"), ("Houston", "休斯敦"),
             ("San Francisco", "旧金山"))),
    Country("DE", 0.07, ("+49151", "+49160", "+49176"), 8, (("Berlin", "柏林"), ("Munich", "慕尼黑"), ("Hamburg", "汉堡"))),
    Country("GB", 0.06, ("+4479", "+4477"), 8, (("London", "伦敦"), ("Manchester", "曼彻斯特"))),
    Country("FR", 0.05, ("+336",), 8, (("Paris", "巴黎"), ("Lyon", "里昂"))),
    Country("ES", 0.04, ("+346",), 8, (("Madrid", "马德里"), ("Barcelona", "巴塞罗那"))),
    Country("IT", 0.04, ("+39347", "+39333"), 7, (("Rome", "罗马"), ("Milan", "米兰"))),
    Country("IN", 0.07, ("+9198", "+9197"), 8, (("Mumbai", "孟买"), ("Bangalore", "班加罗尔"), ("New Delhi", "新德里"))),
    Country("BR", 0.05, ("+55119", "+55219"), 8, (("São Paulo", "圣保罗"), ("Rio de Janeiro", "里约热内卢"))),
    Country("JP", 0.04, ("+8190", "+8180"), 8, (("Tokyo", "东京"), ("Osaka", "大阪")), east_asian_login=True),
    Country("MX", 0.03, ("+5255",), 8, (("Mexico City", "墨西哥城"), ("Guadalajara", "瓜达拉哈拉"))),
    Country("KR", 0.03, ("+8210",), 8, (("Seoul", "首尔"), ("Busan", "釜山")), east_asian_login=True),
    Country("AU", 0.03, ("+614",), 8, (("Sydney", "悉尼"), ("Melbourne", "墨尔本"))),
)
NO_COUNTRY_SHARE = 0.03  # users without a home location: country_code and cities null
NO_CITY_SHARE = 0.05  # users with a country but no city

REGISTER_METHODS = ("phone", "email", "google", "apple", "facebook", "wechat")
REGISTER_METHOD_WEIGHTS = {  # east-asian logins vs the rest
    True: (0.60, 0.10, 0.0, 0.05, 0.0, 0.25),
    False: (0.12, 0.38, 0.25, 0.17, 0.08, 0.0),
}
EMAIL_NAMES = ("alex", "mia", "wei", "li.na", "chen", "anna", "john", "sara", "yuki", "omar", "lucas", "emma")
EMAIL_DOMAINS = ("gmail.com", "outlook.com", "icloud.com", "qq.com", "163.com", "yahoo.com", "gmx.de")

# platform -> (share of users, phone model codes); "harmony" and "web" are the "Others" of the label.
PLATFORMS: tuple[tuple[str, float, tuple[str, ...]], ...] = (
    ("ios", 0.38, ("iPhone14,2", "iPhone14,5", "iPhone15,2", "iPhone15,3", "iPhone16,1", "iPhone16,2",
                   "iPhone13,2", "iPhone12,1", "iPad13,4")),
    ("android", 0.53, ("SM-G9910", "SM-S9180", "SM-A5460", "SM-G991B", "SM-S911B", "M2102K1C", "2201123C",
                       "23049RAD8C", "V2148A", "PGT-AN10", "CPH2449", "Pixel 7", "Pixel 8 Pro", "LE2120", "RMX3310")),
    ("harmony", 0.06, ("TAS-AL00", "NOH-AN00", "ALN-AL00", "ELS-AN00", "LIO-AL00", "BRA-AL00")),
    ("web", 0.02, ()),  # no phone model
)
NO_PLATFORM_SHARE = 0.01  # users whose events carry no platform, version or model
APP_VERSIONS = ("5.8.0", "5.9.0", "5.10.0", "5.10.2", "5.11.0", "5.11.1", "5.12.0", "5.12.1")
APP_VERSION_WEIGHTS = (0.03, 0.04, 0.06, 0.07, 0.12, 0.18, 0.35, 0.15)

# Level-2 device categories and their share of devices.
DEVICE_CATEGORIES = ("light", "plug", "sensor", "ipc", "gateway", "lock", "speaker", "panel", "curtain")
DEVICE_CATEGORY_WEIGHTS = (0.22, 0.18, 0.15, 0.12, 0.08, 0.07, 0.07, 0.06, 0.05)
SHARED_DEVICE_SHARE = 0.18  # devices shared with the user rather than owned

ISSUE_TYPES = ("device_offline", "pairing_failed", "app_crash", "account_login", "firmware_update", "billing", "other")
ISSUE_TYPE_WEIGHTS = (0.28, 0.2, 0.12, 0.1, 0.1, 0.08, 0.12)

# Value-added services: name -> (prices in cents, cloud-storage days bought per price or 0).
VAS_SERVICES = ("cloud_storage", "sms_alert", "ai_detection", "voice_pack")
VAS_PRICES_CENTS = {
    "cloud_storage": (299, 499, 2999, 4999),
    "sms_alert": (99, 199),
    "ai_detection": (199, 999),
    "voice_pack": (99,),
}
CLOUD_STORAGE_DAYS = {299: 30, 499: 30, 2999: 365, 4999: 365}

# Event codes that are not in the catalog (an SDK newer than the catalog, a typo, another product).
UNKNOWN_EVENTS = ("push_open", "app_crash_report", "ota_upgrade_start", "widget_tap", "mall_refund_request",
                  "pairing_end_v2", "PageView", "scene_share")

# Not JSON at all: what a broken proxy or a half-written upload leaves in a file.
GARBAGE_LINES = ("<html><body>502 Bad Gateway</body></html>", "event=page_view&uid=&ts=",
                 "ERROR upstream timeout after 30000 ms", "\\x00\\x00\\x00 binary chunk \\x1f\\x8b")

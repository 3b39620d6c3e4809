"""Country names in English and Chinese from ISO 3166-1 (pycountry and its zh_CN translations)."""

from __future__ import annotations

import gettext
from functools import cache

import pycountry
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

COUNTRY_SCHEMA = "country_code string, country_en string, country_zh string"


@cache
def country_names() -> tuple[tuple[str, str, str], ...]:
    """(alpha-2 code, English name, Chinese name) of every ISO 3166-1 country, e.g.
    ``("CN", "China", "中国")``. The names are ISO's short names (``name``), translated with the
    iso3166-1 catalog that pycountry ships for zh_CN (English when it has no translation)."""
    zh = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["zh_CN"])
    return tuple((c.alpha_2, c.name, zh.gettext(c.name)) for c in pycountry.countries)


def country_lookup(spark: SparkSession) -> DataFrame:
    """The small lookup table the label build joins on (built by the entry point, ~250 rows)."""
    return spark.createDataFrame(list(country_names()), COUNTRY_SCHEMA)


def with_country_names(users: DataFrame, countries: DataFrame) -> DataFrame:
    """Adds country_en and country_zh for the snapshot's country_code (trimmed, upper-cased);
    null for a null code or one ISO 3166-1 does not list."""
    code = F.upper(F.trim(F.col("country_code")))
    lookup = F.broadcast(countries.withColumnRenamed("country_code", "_iso_code"))
    return users.join(lookup, code == F.col("_iso_code"), "left").drop("_iso_code")

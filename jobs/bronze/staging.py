"""The one materialised parse of a run: parsed and duplicate-marked lines written once, read by every pass."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from pyarrow import fs as pafs
from pyspark.sql import DataFrame, SparkSession

from jobs.storage import filesystem

log = logging.getLogger(__name__)

SCRATCH = "_scratch/ingest"  # under the root (not _staging/: the publication twins live there); removed after each run


@contextmanager
def staged(spark: SparkSession, marked: DataFrame, root: str, feed: str, arrival: dt.date) -> Iterator[DataFrame]:
    """Writes ``marked`` (the lazy parse, duplicates marked) to Parquet once and yields it read back.

    The counts, the accepted rows and the quarantine then read columnar files instead of each
    running the Python line parser again: Sail 0.7.2 ignores ``persist`` (a no-op), so without
    this every action re-read and re-parsed every landing file.

    The folder is the run's own (``<root>/_scratch/ingest/<feed>/dt=<arrival>/<uuid>``) and is
    removed when the block ends, also on failure; a folder left by a killed run is harmless
    (nothing reads it) and removed by the next run of the same feed and date.
    """
    parent = f"{root.rstrip('/')}/{SCRATCH}/{feed}/dt={arrival.isoformat()}"
    _remove(parent)  # leftovers of a killed run
    location = f"{parent}/{uuid.uuid4().hex}"
    marked.write.parquet(location)  # the default mode: fail if the folder exists (a fresh uuid)
    try:
        yield spark.read.schema(marked.schema).parquet(location)
    finally:
        _remove(parent)


def _remove(uri: str) -> None:
    fs, path = filesystem(uri)
    try:
        if fs.get_file_info(path).type != pafs.FileType.NotFound:
            fs.delete_dir(path)
    except OSError as exc:  # a leftover folder costs disk, not correctness
        log.warning("could not remove the staging folder %s: %s", uri, exc)

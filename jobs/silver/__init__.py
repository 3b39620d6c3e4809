"""Silver layer: clean deduplicated events, compact daily aggregates and all-time state."""

from jobs.silver.job import build_silver, rebuild_silver

__all__ = ["build_silver", "rebuild_silver"]

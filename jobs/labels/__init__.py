"""Daily user labels (gold.user_labels): pure transforms per label group and the job entry points."""

from jobs.labels.job import build_labels, rebuild_labels

__all__ = ["build_labels", "rebuild_labels"]

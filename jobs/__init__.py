"""User-segmentation lakehouse: ingestion, labels, segments and publication jobs."""

__version__ = "0.1.0"

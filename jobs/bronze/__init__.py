"""Bronze ingestion: landing JSONL files -> bronze Delta tables, their quarantine and a reconciliation."""

from jobs.bronze.ingest import IngestError, ingest_date, ingest_events, ingest_users
from jobs.bronze.report import IngestReport, format_report

__all__ = ["IngestError", "IngestReport", "format_report", "ingest_date", "ingest_events", "ingest_users"]

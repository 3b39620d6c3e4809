"""The label reference page (docs/labels.md) rendered from the label catalog."""

from __future__ import annotations

from jobs.catalogs import label_catalog, label_categories

BEGIN = "<!-- BEGIN GENERATED: label reference (scripts/gen_label_docs.py) -->"
END = "<!-- END GENERATED: label reference -->"
TYPE_NOTES = {"timestamp": "timestamp (epoch ms, UTC)"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_reference() -> str:
    """Markdown: one table per label category, in catalog order, between the BEGIN/END markers."""
    lines = [BEGIN, ""]
    labels = list(label_catalog().values())
    lines.append(f"{len(labels)} labels, one row per (app_id, uid, ds) in `gold.user_labels`.")
    for key, title in label_categories().items():
        lines += ["", f"### {title}", "", "| label | type | allowed values | unit | description |", "|---|---|---|---|---|"]
        for spec in (s for s in labels if s.category == key):
            values = ", ".join(f"`{v}`" for v in spec.values) if spec.values else ""
            kind = TYPE_NOTES.get(spec.type, spec.type)
            lines.append(f"| `{spec.name}` | {kind} | {values} | {_cell(spec.unit or '')} | {_cell(spec.description)} |")
    lines += ["", END]
    return "\n".join(lines)


def replace_reference(document: str) -> str:
    """``document`` with the text between the markers replaced by a fresh rendering."""
    start, end = document.find(BEGIN), document.find(END)
    if start < 0 or end < start:
        raise ValueError("the document has no generated label reference block (markers missing)")
    return document[:start] + render_reference() + document[end + len(END) :]

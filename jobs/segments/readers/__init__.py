"""The reader tools (explain, preview, plan, show, members, export, sizes, ...): they read what the
daily job published, or evaluate drafts with the language, and never import the daily job.
See docs/architecture.md.
"""

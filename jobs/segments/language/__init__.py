"""The segment language: text -> document (load) -> schema -> typed tree (build, model) -> program ->
passes -> compiled Columns (compile) -> the evaluator's query (evaluate). Pure: no Spark session, no
file or table I/O (``jobs.segments.sources`` reads the files, ``jobs.segments.inputs`` the tables).
See docs/architecture.md.
"""

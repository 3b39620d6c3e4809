"""The daily segment job: read inputs -> plan the run -> evaluate -> stage outputs -> audit and
publish -> record runs (``job.evaluate_segments``). See docs/architecture.md.
"""

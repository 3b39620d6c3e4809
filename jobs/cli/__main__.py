"""``python -m jobs.cli``: the `lakehouse` command."""

from jobs.cli import main

main()

"""`python -m autograde`: the command line (autograde/cli.py)."""

from autograde.cli import main

main()

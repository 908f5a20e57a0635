"""`python -m kiosk.cli ...`: the same as the `savepets` command."""

from kiosk.cli import main

main()

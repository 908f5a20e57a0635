"""Entry point of the bundled executable: the same `savepets` command as the Python install."""

import multiprocessing

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from kiosk.cli import main

    main()

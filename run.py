#!/usr/bin/env python
"""alliance-sim command line. `python run.py` runs the calibrated scenario (= `python run.py run
calibrated`); `python run.py --help` lists the commands."""

import sys

if __name__ == "__main__":
    try:  # Ctrl-C while the libraries load (the first seconds) is no error either
        from model.cli import main
    except KeyboardInterrupt:
        print("interrupted; nothing was written", file=sys.stderr)
        sys.exit(130)
    sys.exit(main())

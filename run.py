#!/usr/bin/env python
"""alliance-sim command line. `python run.py` runs the baseline; `python run.py --help`."""

import sys

from model.cli import main

if __name__ == "__main__":
    sys.exit(main())

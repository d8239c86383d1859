#!/usr/bin/env python
"""alliance-sim command line. `python run.py` runs the calibrated scenario (= `python run.py run
calibrated`); `python run.py --help` lists the commands."""

import signal
import sys


def _terminated(signum, frame):  # SIGTERM while the libraries load: nothing written yet
    print("terminated; nothing was written", file=sys.stderr)
    sys.exit(128 + signum)


if __name__ == "__main__":
    loading = signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    if loading:
        signal.signal(signal.SIGTERM, _terminated)
    try:  # Ctrl-C while the libraries load (the first seconds) is no error either
        from model.cli import main
    except KeyboardInterrupt:
        print("interrupted; nothing was written", file=sys.stderr)
        sys.exit(130)
    if loading:  # main() handles it from here (model.cli.main.terminate_like_ctrl_c)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    sys.exit(main())

#!/usr/bin/env python
"""alliance-sim command line. `python run.py` runs the calibrated scenario (= `python run.py run
calibrated`); `python run.py --help` lists the commands."""

import signal
import sys

#: What a signal received while the libraries load says (nothing is written before then).
_LOADING_MESSAGES = {signal.SIGINT: "interrupted; nothing was written",
                     signal.SIGTERM: "terminated; nothing was written"}
_received: list[int] = []


def _note(signum, frame):
    _received.append(signum)


if __name__ == "__main__":
    # Ctrl-C or SIGTERM while the libraries load (the first seconds) is no error either. The
    # signal is noted and acted on once they are loaded: raised inside a compiled module's
    # import, it would surface as that library's ImportError with a page of advice.
    defaults = {signal.SIGINT: signal.default_int_handler, signal.SIGTERM: signal.SIG_DFL}
    noted = [s for s, default in defaults.items() if signal.getsignal(s) is default]
    for signum in noted:
        signal.signal(signum, _note)
    try:
        from model.cli import main
    except KeyboardInterrupt:  # raised all the same (a handler other than Python's own)
        _received.append(signal.SIGINT)
    for signum in noted:  # main() handles them from here (model.cli.main)
        signal.signal(signum, defaults[signum])
    if _received:
        print(_LOADING_MESSAGES[_received[0]], file=sys.stderr)
        sys.exit(128 + _received[0])
    sys.exit(main())

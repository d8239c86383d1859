"""Write each experiment's folder: figures, the data behind them, manifest and report.md.

One module per experiment (``comparison``, ``sweep``, ``claims``, ``sensitivity``,
``equilibria``; discovery and robust policies write theirs in their own modules). The
command line and the scripts in ``experiments/`` both call these writers, so a script and a
command given the same inputs write the same outputs. Import the one you need: each pulls
in only its own experiment's libraries.
"""

"""Write each experiment's folder: figures, the data behind them, manifest and report.md.

One module per experiment (``comparison``, ``sweep``, ``claims``, ``sensitivity``,
``equilibria``, ``discovery``, ``robust``, ``calibration``, ``whatif``, ``score``),
holding its writer; what the experiment computes is ``model.analysis.<name>``, functions
of tables. ``discovery``, ``robust``, ``sensitivity`` and ``score`` hold their figures
here too (compute modules without figures, the shape
every experiment is to take); ``compare``, ``sweep``, ``claims`` and ``equilibria`` still
draw theirs beside their compute. The
command line and the scripts in ``experiments/`` both call these writers, so a script and a
command given the same inputs write the same outputs. Import the one you need: each pulls
in only its own experiment's libraries.
"""

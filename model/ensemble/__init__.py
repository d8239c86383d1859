"""The vectorized driver: N runs of a scenario as arrays over a run axis (no mesa)."""

from .driver import EnsembleArrays, make_streams, run_ensemble, simulate

__all__ = ["EnsembleArrays", "make_streams", "run_ensemble", "simulate"]

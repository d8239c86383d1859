"""Experiments as functions: compare, sweep, sensitivity, claims, equilibria, metrics."""

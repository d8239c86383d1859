"""The model's vocabulary and inputs: actors and options, state variables, parameters with
provenance, the scenario schema and loader, per-run sampling and the calendar."""

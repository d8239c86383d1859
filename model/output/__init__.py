"""What users read: result folders and manifests, summaries, intervals, plots, reports."""

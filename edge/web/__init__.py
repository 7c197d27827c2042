"""The box's console: the console app (console/web) with the box's own parts — its store,
its evidence files, its live health and metrics — and box-only routes (frames, zone editor)."""

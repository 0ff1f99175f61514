"""Station readings, series and early warnings (预警)."""

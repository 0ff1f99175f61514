"""Analyses over validated layers: what the maps, dashboards and reports show.

- `compliance`: joins layers with their rules into status columns (stage, overdue, class vs target);
- `sections`: per-section water-quality assessment from samples;
- `ledger_checks`: the ledger sweep (codes, dates, stage order) behind the 台账 findings;
- `tracing`: upstream outlets of a section along the river network;
- `stats`: the KPIs and shares that reports and the dashboard print.
"""

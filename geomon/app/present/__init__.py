"""Turning library results into what pages show: view models, charts, tables, the printable
sheet and map styles. Pure where possible (testable without a running app)."""

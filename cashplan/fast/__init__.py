"""The ledger as arrays and the compiled loops (numba) that every layer above runs on
million-row frames, a module per concern: scoring, delays, payment runs, calendar, grouping,
text; ``config`` decides how they are compiled and share the cores."""

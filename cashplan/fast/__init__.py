"""The ledger as arrays and the compiled loops (numba) that every layer above runs on
million-row frames: text hashing, group codes, day numbers, the scoring and forecast passes."""

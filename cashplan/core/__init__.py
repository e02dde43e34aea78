"""The data contract and its checks: errors, the book's schema, cell parsing, validation and
its rules, FX conversion, dates and keys, the parameters' ranges. Pure; imports only ``fast``."""

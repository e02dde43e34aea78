"""The open book at a date: open items, sales and collections, the aged balance, the KPIs."""

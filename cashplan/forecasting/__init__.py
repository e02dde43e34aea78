"""What the ledger says about cash to come: payer scores, the collection forecast (delay
model, promises and adjustments, payment runs) and its backtest."""

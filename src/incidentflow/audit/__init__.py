"""The audit trail: hash-chained events and the stores that keep them."""

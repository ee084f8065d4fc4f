"""Governance: the hash-chained decision ledger (fairness, erasure and audit export follow)."""

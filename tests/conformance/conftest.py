from tests.conformance.backends import ledger, stores

__all__ = ["ledger", "stores"]

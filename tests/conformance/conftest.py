from tests.conformance.backends import stores

__all__ = ["stores"]

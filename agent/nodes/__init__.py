"""The graph's nodes: small typed functions ``(state, runtime, deps) -> state update``."""

"""The igproof version, in a leaf module (standard library only) that any layer may import."""

__version__ = "0.1.0"

"""Proof layer: claims built on the symbolic and numeric layers."""

"""The independent checker: Python standard library only (see checker/README in docs)."""

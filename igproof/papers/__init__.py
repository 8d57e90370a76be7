"""The catalogue: one module per paper, each a list of claims."""

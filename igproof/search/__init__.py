"""Search layer: Hypothesis strategies, properties and the counterexample driver."""

"""Certificate layer: schema, writer, and the safe expression language."""

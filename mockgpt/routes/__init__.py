"""HTTP handlers, thin: one module per API family, plus admin."""

"""The built-in checks, one module per feature (imported by ``registry.load_checks``)."""

"""Forms of the report pages, one module per feature."""

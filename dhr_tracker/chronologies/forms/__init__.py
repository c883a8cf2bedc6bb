"""Forms of the chronology pages, by feature."""

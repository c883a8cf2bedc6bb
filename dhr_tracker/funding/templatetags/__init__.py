"""Template filters of the funding pages."""

"""Forms of the review pages, by feature."""

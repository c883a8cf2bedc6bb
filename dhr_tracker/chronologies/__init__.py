"""Requests to agencies, chronology and IMR submissions, import and export, and the combined chronology."""

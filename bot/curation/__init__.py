"""The educators' curation workflow: drafting, importing, publishing, gaps and trends.

Nothing here answers questions; it prepares and observes the corpus the engine serves.
"""

"""The vetted corpus: documents, validation, embeddings and the search index."""

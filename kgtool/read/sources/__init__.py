"""Readers that turn a source (a file, an API payload) into model records."""

"""Stage 6, push: an export -> a named graph of a remote SPARQL store (replace, merge, sync).

Previous stage: kgtool.serialize (files); the endpoint client is shared with kgtool.store.
"""

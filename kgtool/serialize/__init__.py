"""Stage 4, serialize: triples -> deterministic bytes (Turtle, JSON-LD, N-Triples, N-Quads).

Previous stage: kgtool.map/kgtool.validate; the files feed kgtool.store, push and publish.
"""

"""Stage 1, read: files, API answers and dumps in; model records (or RDF lines) out.

Next stage: kgtool.map. Sources live in kgtool.read.sources (one module per source).
"""

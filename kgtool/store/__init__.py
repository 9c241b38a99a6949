"""Stage 5, store and query: exported files -> an embedded Oxigraph store or a graph -> SPARQL.

Also the shipped named queries (queries/*.rq) and graph statistics.
"""

"""Stage 2, map: records -> one node per paper (resolve, enrich) -> RDF triples (mapping).

The engine plan sits beside the mapping: convert (and its engines) map whole dumps at
scale. Previous stage: kgtool.read; next: kgtool.validate and kgtool.serialize.
"""

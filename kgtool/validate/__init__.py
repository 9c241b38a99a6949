"""Stage 3, validate: triples + kgtool's SHACL shapes -> a report (conforms, results).

Previous stage: kgtool.map; the report goes to the CLI, the triples on to kgtool.serialize.
"""

"""Compile SHACL shapes into checks that a partitioned, streaming validator can run.

The shapes are read by pySHACL itself (pyshacl.shapes_graph.ShapesGraph), so targets, paths,
severities and messages mean what they mean to pySHACL, and every constraint that depends on a
value alone (sh:datatype, sh:pattern, sh:in, sh:or of such shapes, ...) is evaluated by pySHACL's
own constraint component, on the distinct values. What needs the graph is evaluated by
validate_scale.py: counts and sh:disjoint on a focus node's own triples, sh:class through a join
on the value's types, sh:sparql on the focus node's neighbourhood.

Supported: targets sh:targetClass (with rdfs:subClassOf from the data), sh:targetNode,
sh:targetSubjectsOf, implicit class targets; paths that are a predicate or an sh:alternativePath
of predicates; node shapes with sh:property shapes one level deep. Anything else raises
UsageError naming the shape, so that nothing is silently left unchecked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import SH

from .errors import UsageError
from .terms import nt_term

#: Components that look at one value node at a time (evaluated by pySHACL on distinct values).
VALUE_COMPONENTS = {
    "DatatypeConstraintComponent",
    "NodeKindConstraintComponent",
    "PatternConstraintComponent",
    "MinLengthConstraintComponent",
    "MaxLengthConstraintComponent",
    "LanguageInConstraintComponent",
    "InConstraintComponent",
    "MinInclusiveConstraintComponent",
    "MaxInclusiveConstraintComponent",
    "MinExclusiveConstraintComponent",
    "MaxExclusiveConstraintComponent",
}
#: Logical components: value-level when every shape they name is.
LOGICAL_COMPONENTS = {"OrConstraintComponent", "AndConstraintComponent", "XoneConstraintComponent",
                      "NotConstraintComponent"}
COUNT_COMPONENTS = {"MinCountConstraintComponent", "MaxCountConstraintComponent"}
#: Parameters handled as part of another construct, not as constraints of their own.
STRUCTURAL = {SH.property, SH.sparql}


@dataclass
class Constraint:
    """One constraint component of one shape."""

    kind: str  # "value" | "count" | "disjoint" | "class" | "sparql"
    name: str  # e.g. "MinCountConstraintComponent"
    component: Any  # the pySHACL ConstraintComponent instance (None for sparql)
    shape: Any  # the pySHACL Shape it belongs to
    key: int = 0  # unique id within a plan (for caches)
    bound: int = 0  # minCount/maxCount
    is_min: bool = False  # minCount (else maxCount)
    predicates: tuple[str, ...] = ()  # disjoint: the other predicates (N-Triples text)
    classes: tuple[str, ...] = ()  # class: the required classes (N-Triples text)
    sparql: "SparqlConstraint | None" = None


@dataclass
class SparqlConstraint:
    node: Any  # the sh:SPARQLConstraint node
    prologue: str  # PREFIX declarations from sh:prefixes
    select: str  # the SELECT query, $this written ?this
    messages: tuple[Literal, ...]
    predicates: frozenset[str] | None  # IRIs it mentions (None: it uses a variable predicate)


@dataclass
class Check:
    """A shape applied to focus nodes: the node itself (path None) or a property shape's values."""

    shape: Any  # pySHACL Shape
    shape_node: Any
    predicates: tuple[str, ...] | None  # N-Triples text of the path's predicates; None = the focus
    path_node: Any = None
    constraints: list[Constraint] = field(default_factory=list)


@dataclass
class TargetedShape:
    """A shape with targets, and the checks to run on each of its focus nodes."""

    shape: Any
    classes: frozenset[str]  # target classes (N-Triples text), before the subclass closure
    nodes: frozenset[str]
    subjects_of: frozenset[str]
    checks: list[Check]


@dataclass
class Plan:
    shapes_graph: Graph
    targeted: list[TargetedShape]
    constraints: list[Constraint]

    def sparql_constraints(self) -> list[tuple[TargetedShape, Constraint]]:
        return [(t, c) for t in self.targeted for ch in t.checks for c in ch.constraints if c.kind == "sparql"]


def _unsupported(shape: Any, what: str) -> UsageError:
    return UsageError(
        f"the streaming validator does not support {what} (shape {shape.node}); "
        "validate with --engine pyshacl instead"
    )


def _path_predicates(sg: Graph, shape: Any) -> tuple[tuple[str, ...], Any]:
    path = shape.path()
    if isinstance(path, URIRef):
        return (nt_term(path),), path
    alt = sg.value(path, SH.alternativePath)
    if alt is not None:
        items = list(sg.items(alt))
        if items and all(isinstance(i, URIRef) for i in items):
            return tuple(dict.fromkeys(nt_term(i) for i in items)), path
    raise _unsupported(shape, "this sh:path (only a predicate or an sh:alternativePath of predicates)")


def _is_value_level(shape: Any, sg_obj: Any, params_map: dict, depth: int = 0) -> bool:
    """True when a (nested) shape's constraints all depend on the value alone."""
    if depth > 8:
        return False
    for p in set(sg_obj.graph.predicates(shape.node)):
        comp = params_map.get(p)
        if comp is None:
            continue
        name = comp.constraint_name()
        if name in VALUE_COMPONENTS:
            continue
        if name in LOGICAL_COMPONENTS:
            for nested in _logical_shapes(sg_obj.graph, shape.node, p):
                if not _is_value_level(sg_obj.lookup_shape_from_node(nested), sg_obj, params_map, depth + 1):
                    return False
            continue
        return False
    return not shape.is_property_shape


def _logical_shapes(g: Graph, node: Any, param: Any) -> list:
    out = []
    for o in g.objects(node, param):
        if param == SH["not"]:
            out.append(o)
        else:
            out.extend(g.items(o))
    return out


def _prefixes_for(sg: Graph, node: Any) -> dict[str, str]:
    prefixes: dict[str, str] = {}
    for pnode in sg.objects(node, SH.prefixes):
        for decl in sg.objects(pnode, SH.declare):
            pre, ns = sg.value(decl, SH.prefix), sg.value(decl, SH.namespace)
            if pre is not None and ns is not None:
                prefixes[str(pre)] = str(ns)
    return prefixes


def _sparql_constraint(sg: Graph, shape: Any, node: Any) -> SparqlConstraint:
    import re

    select = sg.value(node, SH.select)
    if select is None:
        raise _unsupported(shape, "an sh:sparql constraint without sh:select")
    text = str(select)
    if re.search(r"\$(PATH|currentShape|shapesGraph)\b", text):
        raise _unsupported(shape, "$PATH, $currentShape or $shapesGraph in sh:select")
    prefixes = _prefixes_for(sg, node)
    head = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in sorted(prefixes.items()))
    # Predicates the query can touch: full IRIs and prefixed names; a variable in predicate
    # position means any predicate.
    iris = set(re.findall(r"<([^<>\s]+)>", text))
    for pre, local in re.findall(r"\b([A-Za-z][\w-]*)?:([A-Za-z_][\w.-]*)", text):
        if pre in prefixes:
            iris.add(prefixes[pre] + local)
    body = text[text.find("{") + 1:]
    if re.search(r"[\s;{]a\s", body):  # the keyword 'a' is rdf:type
        iris.add("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    term = r"(?:[?$]\w+|<[^<>\s]*>|[\w-]*:[\w.-]*|\"|\d)"
    variable_predicate = re.search(rf"(?:{term}\s+|;\s*)[?$]\w+\s+{term}", body) is not None
    preds = None if variable_predicate else frozenset(f"<{i}>" for i in iris)
    msgs = tuple(m for m in sg.objects(node, SH.message) if isinstance(m, Literal))
    return SparqlConstraint(node, head, text.replace("$this", "?this"), msgs, preds)


def compile_plan(shapes_graph: Graph) -> Plan:
    """Read the shapes with pySHACL and sort their constraints by how they are evaluated."""
    try:
        from pyshacl.constraints import CONSTRAINT_PARAMETERS_MAP
        from pyshacl.shapes_graph import ShapesGraph
    except ImportError as e:  # pragma: no cover - pyshacl is a dependency
        raise UsageError(f"pySHACL is needed to read the shapes ({e})") from None
    sg_obj = ShapesGraph(shapes_graph)
    sg = sg_obj.graph
    params_map = dict(CONSTRAINT_PARAMETERS_MAP)
    constraints: list[Constraint] = []

    def make_check(shape: Any, parent: Any) -> Check:
        if shape.is_property_shape:
            preds, path_node = _path_predicates(sg, shape)
        else:
            preds, path_node = None, None
        check = Check(shape, shape.node, preds, path_node)
        done = set()
        for p in sorted(set(sg.predicates(shape.node)), key=str):
            if p == SH.property:
                if shape.is_property_shape:
                    raise _unsupported(shape, "sh:property inside a property shape")
                continue
            if p == SH.sparql:
                if shape.is_property_shape:
                    raise _unsupported(shape, "sh:sparql on a property shape")
                for node in sorted(sg.objects(shape.node, SH.sparql), key=str):
                    if sg.value(node, SH.deactivated) == Literal(True):
                        continue
                    c = Constraint("sparql", "SPARQLConstraintComponent", None, shape,
                                   sparql=_sparql_constraint(sg, shape, node))
                    check.constraints.append(c)
                continue
            comp_cls = params_map.get(p)
            if comp_cls is None or comp_cls in done:
                continue
            done.add(comp_cls)
            name = comp_cls.constraint_name()
            comp = comp_cls(shape)
            if name in VALUE_COMPONENTS or (name in LOGICAL_COMPONENTS and all(
                _is_value_level(sg_obj.lookup_shape_from_node(n), sg_obj, params_map)
                for n in _logical_shapes(sg, shape.node, p)
            )):
                c = Constraint("value", name, comp, shape)
            elif name == "MinCountConstraintComponent":
                c = Constraint("count", name, comp, shape, bound=int(comp.min_count.value), is_min=True)
            elif name == "MaxCountConstraintComponent":
                c = Constraint("count", name, comp, shape, bound=int(comp.max_count.value))
            elif name == "ClassConstraintComponent":
                c = Constraint("class", name, comp, shape, classes=tuple(nt_term(x) for x in comp.class_rules))
            elif name == "DisjointConstraintComponent":
                others = []
                for other in comp.property_compare_set:
                    if not isinstance(other, URIRef):
                        raise _unsupported(shape, "sh:disjoint with a complex path")
                    others.append(nt_term(other))
                c = Constraint("disjoint", name, comp, shape, predicates=tuple(others))
            else:
                raise _unsupported(shape, f"sh:{str(p).rsplit('#', 1)[-1]}")
            check.constraints.append(c)
        return check

    targeted = []
    for shape in sorted(sg_obj.shapes, key=lambda s: str(s.node)):
        if shape.deactivated:
            continue
        if list(sg.objects(shape.node, SH.target)) or list(sg.objects(shape.node, SH.targetObjectsOf)):
            raise _unsupported(shape, "sh:target / sh:targetObjectsOf")
        classes = set(shape.target_classes()) | set(shape.implicit_class_targets())
        nodes = set(shape.target_nodes())
        subjects_of = set(shape.target_subjects_of())
        if not (classes or nodes or subjects_of):
            continue
        checks = [make_check(shape, None)]
        if not shape.is_property_shape:
            for pnode in sorted(sg.objects(shape.node, SH.property), key=str):
                pshape = sg_obj.lookup_shape_from_node(pnode)
                if pshape.deactivated:
                    continue
                checks.append(make_check(pshape, shape))
        targeted.append(TargetedShape(
            shape,
            frozenset(nt_term(c) for c in classes),
            frozenset(nt_term(n) for n in nodes if not isinstance(n, Literal)),
            frozenset(nt_term(p) for p in subjects_of),
            checks,
        ))
    for t in targeted:
        for ch in t.checks:
            for c in ch.constraints:
                c.key = len(constraints)
                constraints.append(c)
    return Plan(sg, targeted, constraints)


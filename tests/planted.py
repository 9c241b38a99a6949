"""A seeded generator of kgtool-style graphs with planted violations of every shape constraint.

Used by the differential tests (the streaming validator against pySHACL on the whole graph) and
by the benchmark. ``planted_graph(n)`` returns N-Triples text: n valid citations among works,
receptions and shares, then every case in PLANTS added a few times at random places.
"""

from __future__ import annotations

import random
from collections.abc import Callable

B = "https://w3id.org/kgtool/data/"
CITO = "http://purl.org/spar/cito/"
FABIO = "http://purl.org/spar/fabio/"
PRISM = "http://prismstandard.org/namespaces/basic/2.0/"
DCT = "http://purl.org/dc/terms/"
PROV = "http://www.w3.org/ns/prov#"
KG = "https://w3id.org/kgtool/ns#"
ROLE = "https://w3id.org/kgtool/role/"
POL = "https://w3id.org/kgtool/polarity/"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
SUBCLASS = "<http://www.w3.org/2000/01/rdf-schema#subClassOf>"
SRC = f"<{B}source/sha256-{'ab' * 32}>"


def iri(x: str) -> str:
    return f"<{x}>"


def lit(text: str, dt: str | None = None, lang: str | None = None) -> str:
    body = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if lang:
        return f"{body}@{lang}"
    return f"{body}^^<{XSD}{dt}>" if dt else body


def t(s: str, p: str, o: str) -> str:
    return f"{s} {p} {o} .\n"


class Graph:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.lines: list[str] = []
        self.works = 0
        self.citations = 0

    def add(self, s: str, p: str, o: str) -> str:
        """Add the triple; its line."""
        self.lines.append(t(s, p, o))
        return self.lines[-1]

    def work(self, *, title: bool = True, doi: bool = True, node: str | None = None, typ: str = FABIO + "Expression",
             prov: bool = True) -> str:
        self.works += 1
        w = node or iri(f"{B}work/doi/10.1000/w{self.works}")
        self.add(w, RDF_TYPE, iri(typ))
        if title:
            self.add(w, iri(DCT + "title"), lit(f"Work number {self.works}"))
        if doi:
            self.add(w, iri(PRISM + "doi"), lit(f"10.1000/w{self.works}"))
        if prov:
            self.add(w, iri(PROV + "wasDerivedFrom"), SRC)
        return w

    def citation(self, citing: str, cited: str, *, node: str | None = None, cites: bool = True,
                 extra: bool = True) -> str:
        self.citations += 1
        c = node or iri(f"{B}citation/c{self.citations:08d}")
        if cites:
            self.add(citing, iri(CITO + "cites"), cited)
        self.add(c, RDF_TYPE, iri(CITO + "Citation"))
        self.add(c, iri(CITO + "hasCitingEntity"), citing)
        self.add(c, iri(CITO + "hasCitedEntity"), cited)
        if extra:
            self.add(c, iri(CITO + "hasCitationCreationDate"), lit(f"20{self.rng.randrange(10, 24)}-0{self.rng.randrange(1, 10)}-1{self.rng.randrange(0, 9)}", "date"))
            self.add(c, iri(CITO + "hasCitationTimeSpan"), lit(f"P{self.rng.randrange(0, 30)}Y{self.rng.randrange(0, 12)}M", "duration"))
            self.add(c, iri(PROV + "wasDerivedFrom"), SRC)
        return c


def _baseline(g: Graph, n: int) -> list[str]:
    g.add(SRC, RDF_TYPE, iri(PROV + "Entity"))
    works = [g.work() for _ in range(max(4, n // 3))]
    # A work typed with a subclass of fabio:Expression (declared in the data) is a work too.
    g.add(iri(FABIO + "JournalArticle"), SUBCLASS, iri(FABIO + "Expression"))
    works.append(g.work(typ=FABIO + "JournalArticle"))
    for _ in range(n):
        a, b = g.rng.sample(works, 2)
        c = g.citation(a, b)
        if g.rng.random() < 0.2:
            g.add(c, iri(CITO + "hasCitationCharacterization"), iri(CITO + "usesMethodIn"))
            lab = iri(c[1:-1] + "/label/s2/method")
            g.add(c, iri(KG + "hasRoleLabel"), lab)
            g.add(lab, RDF_TYPE, iri(KG + "RoleLabel"))
            g.add(lab, iri(KG + "role"), iri(ROLE + "method"))
            g.add(lab, iri(PROV + "wasAttributedTo"), iri(B + "agent/s2"))
        if g.rng.random() < 0.1:
            g.add(c, iri(KG + "position"), lit(str(g.rng.randrange(1, 50)), "integer"))
            g.add(c, iri(KG + "isInfluential"), lit("true", "boolean"))
            g.add(c, iri(KG + "isRepresentative"), lit("true", "boolean"))
    for w in works[: max(1, n // 50)]:
        _reception(g, w)
    for w in works[: max(1, n // 40)]:
        _match(g, w)
    return works


def _reception(g: Graph, w: str, **bad) -> str:
    r = iri(w[1:-1] + "/reception")
    g.add(r, RDF_TYPE, iri(KG + "Reception"))
    g.add(r, iri(KG + "receptionOf"), w)
    g.add(r, iri(KG + "overallPolarity"), iri(POL + "supportive"))
    g.add(r, iri(KG + "mostCommonRole"), iri(ROLE + "method"))
    g.add(r, iri(KG + "mostCommonRoleShare"), lit("0.5", "decimal"))
    rs = iri(r[1:-1] + "/role/method")
    g.add(r, iri(KG + "hasRoleShare"), rs)
    g.add(rs, RDF_TYPE, iri(KG + "RoleShare"))
    g.add(rs, iri(KG + "role"), iri(ROLE + "method"))
    g.add(rs, iri(KG + "share"), lit("0.5", "decimal"))
    g.add(rs, iri(KG + "count"), lit("3", "integer"))
    ps = iri(r[1:-1] + "/polarity/supportive")
    g.add(r, iri(KG + "hasPolarityShare"), ps)
    g.add(ps, RDF_TYPE, iri(KG + "PolarityShare"))
    g.add(ps, iri(KG + "polarity"), iri(POL + "supportive"))
    g.add(ps, iri(KG + "share"), lit("0.25", "decimal"))
    return r


class _Planter:
    """What the planting functions share: the graph, the works so far, fresh names."""

    def __init__(self, g: Graph, works: list[str]):
        self.g, self.works, self.rng, self.n = g, works, g.rng, 0

    def any_work(self) -> str:
        return self.rng.choice(self.works)

    def new_work(self, **kw) -> str:
        w = self.g.work(**kw)
        self.works.append(w)
        return w

    def cit(self, **kw) -> str:
        a, b = self.rng.sample(self.works, 2)
        return self.g.citation(a, b, **kw)

    def fresh(self, kind: str) -> str:
        self.n += 1
        return iri(f"{B}{kind}/planted{self.n}")


Plants = dict[str, Callable[[], object]]


def _plants(g: Graph, works: list[str]) -> Plants:
    """Name -> a function that plants that violation once."""
    pl = _Planter(g, works)
    P: Plants = {}
    for group in (_work_plants, _citation_plants, _reception_plants, _match_plants):
        P.update(group(g, pl))
    return P


def _work_plants(g: Graph, pl: _Planter) -> Plants:
    """The WorkShape cases."""
    works = pl.works
    new_work = pl.new_work
    fresh = pl.fresh
    P: Plants = {}
    # WorkShape
    P["work-blank-node"] = lambda: new_work(node=f"_:bw{len(works)}")
    P["work-no-title"] = lambda: new_work(title=False)
    P["work-two-titles"] = lambda: g.add(new_work(), iri(DCT + "title"), lit("Another title"))
    P["work-title-lang"] = lambda: g.add(new_work(title=False), iri(DCT + "title"), lit("Titre", lang="fr"))
    P["work-title-empty"] = lambda: g.add(new_work(title=False), iri(DCT + "title"), lit(""))
    P["work-two-texts"] = lambda: [g.add(w, iri(DCT + "bibliographicCitation"), lit(x))
                                   for w in [new_work(title=False, doi=False)] for x in ("One", "Two")]
    P["work-text-lang"] = lambda: g.add(new_work(title=False, doi=False), iri(DCT + "bibliographicCitation"), lit("x", lang="en"))
    P["work-text-empty"] = lambda: g.add(new_work(title=False, doi=False), iri(DCT + "bibliographicCitation"), lit(""))
    P["work-two-abstracts"] = lambda: [g.add(w, iri(DCT + "abstract"), lit(x)) for w in [new_work()] for x in ("A", "B")]
    P["work-abstract-typed"] = lambda: g.add(new_work(), iri(DCT + "abstract"), lit("7", "integer"))
    P["work-two-summaries"] = lambda: [g.add(w, iri(KG + "summary"), lit(x)) for w in [new_work()] for x in ("A", "B")]
    P["work-summary-lang"] = lambda: g.add(new_work(), iri(KG + "summary"), lit("S", lang="en"))
    P["work-two-dois"] = lambda: g.add(new_work(), iri(PRISM + "doi"), lit("10.1000/other"))
    P["work-doi-upper"] = lambda: g.add(new_work(doi=False), iri(PRISM + "doi"), lit("10.1000/ABC"))
    P["work-doi-prefixed"] = lambda: g.add(new_work(doi=False), iri(PRISM + "doi"), lit("doi:10.1000/x", "anyURI"))
    P["work-two-arxiv"] = lambda: [g.add(w, iri(FABIO + "hasArXivId"), lit(x)) for w in [new_work()] for x in ("1234.5678", "1234.5679")]
    P["work-arxiv-bad"] = lambda: g.add(new_work(), iri(FABIO + "hasArXivId"), lit("arXiv:1234.5678v2"))
    P["work-arxiv-typed"] = lambda: g.add(new_work(), iri(FABIO + "hasArXivId"), iri("https://arxiv.org/abs/1234.5678"))
    P["work-two-years"] = lambda: [g.add(w, iri(FABIO + "hasPublicationYear"), lit(y, "gYear")) for w in [new_work()] for y in ("2019", "2020")]
    P["work-year-plain"] = lambda: g.add(new_work(), iri(FABIO + "hasPublicationYear"), lit("2019"))
    P["work-year-illtyped"] = lambda: g.add(new_work(), iri(FABIO + "hasPublicationYear"), lit("20x9", "gYear"))
    P["work-no-provenance"] = lambda: new_work(prov=False)
    P["work-provenance-dangling"] = lambda: g.add(new_work(), iri(PROV + "wasDerivedFrom"), fresh("source"))
    P["work-unidentified"] = lambda: new_work(doi=False)
    return P


def _citation_plants(g: Graph, pl: _Planter) -> Plants:
    """The CitationShape cases."""
    rng = pl.rng
    works = pl.works
    any_work = pl.any_work
    cit = pl.cit
    fresh = pl.fresh
    P: Plants = {}
    # CitationShape
    P["citation-blank-node"] = lambda: g.citation(*rng.sample(works, 2), node=f"_:bc{g.citations}")
    P["citation-no-citing"] = lambda: _drop(g, cit(), CITO + "hasCitingEntity")
    P["citation-two-citing"] = lambda: g.add(cit(), iri(CITO + "hasCitingEntity"), any_work())
    P["citation-citing-literal"] = lambda: g.add(cit(), iri(CITO + "hasCitingEntity"), lit("W1"))
    P["citation-citing-dangling"] = lambda: g.citation(fresh("work/doi"), any_work())
    P["citation-self"] = lambda: (lambda w: g.citation(w, w))(any_work())
    P["citation-no-cited"] = lambda: _drop(g, cit(), CITO + "hasCitedEntity")
    P["citation-two-cited"] = lambda: g.add(cit(), iri(CITO + "hasCitedEntity"), any_work())
    P["citation-cited-literal"] = lambda: g.add(cit(), iri(CITO + "hasCitedEntity"), lit("W2"))
    P["citation-cited-dangling"] = lambda: g.citation(any_work(), fresh("work/doi"))
    P["citation-two-creations"] = lambda: g.add(cit(), iri(CITO + "hasCitationCreationDate"), lit("2001", "gYear"))
    P["citation-creation-plain"] = lambda: g.add(cit(extra=False), iri(CITO + "hasCitationCreationDate"), lit("2019-01-01"))
    P["citation-creation-integer"] = lambda: g.add(cit(extra=False), iri(CITO + "hasCitationCreationDate"), lit("2019", "integer"))
    P["citation-creation-illtyped"] = lambda: g.add(cit(extra=False), iri(CITO + "hasCitationCreationDate"), lit("2019-13-45", "date"))
    P["citation-two-spans"] = lambda: g.add(cit(), iri(CITO + "hasCitationTimeSpan"), lit("P1Y", "duration"))
    P["citation-span-plain"] = lambda: g.add(cit(extra=False), iri(CITO + "hasCitationTimeSpan"), lit("P1Y"))
    P["citation-span-illtyped"] = lambda: g.add(cit(extra=False), iri(CITO + "hasCitationTimeSpan"), lit("P1X", "duration"))
    P["citation-span-negative"] = lambda: g.add(cit(extra=False), iri(CITO + "hasCitationTimeSpan"), lit("-P0Y6M", "duration"))
    P["citation-characterization"] = lambda: g.add(cit(), iri(CITO + "hasCitationCharacterization"), iri(CITO + "cites"))
    P["citation-two-representative"] = lambda: [g.add(c, iri(KG + "isRepresentative"), lit(v, "boolean")) for c in [cit()] for v in ("true", "false")]
    P["citation-representative-plain"] = lambda: g.add(cit(), iri(KG + "isRepresentative"), lit("yes"))
    P["citation-two-positions"] = lambda: [g.add(c, iri(KG + "position"), lit(v, "integer")) for c in [cit()] for v in ("1", "2")]
    P["citation-position-plain"] = lambda: g.add(cit(), iri(KG + "position"), lit("3"))
    P["citation-position-zero"] = lambda: g.add(cit(), iri(KG + "position"), lit("0", "integer"))
    P["citation-two-influential"] = lambda: [g.add(c, iri(KG + "isInfluential"), lit(v, "boolean")) for c in [cit()] for v in ("true", "false")]
    P["citation-influential-typed"] = lambda: g.add(cit(), iri(KG + "isInfluential"), lit("1", "integer"))
    P["citation-no-provenance"] = lambda: _drop(g, cit(), PROV + "wasDerivedFrom")
    P["citation-provenance-dangling"] = lambda: g.add(cit(), iri(PROV + "wasDerivedFrom"), fresh("source"))
    P["citation-no-direct-cites"] = lambda: g.citation(*rng.sample(works, 2), cites=False)
    return P


def _reception_plants(g: Graph, pl: _Planter) -> Plants:
    """The ReceptionShape and share shapes' cases."""
    any_work = pl.any_work
    new_work = pl.new_work
    fresh = pl.fresh
    P: Plants = {}
    # ReceptionShape and the share shapes
    P["reception-blank-node"] = lambda: _reception_blank(g, any_work())
    P["reception-no-work"] = lambda: _drop(g, _reception(g, new_work()), KG + "receptionOf")
    P["reception-two-works"] = lambda: g.add(_reception(g, new_work()), iri(KG + "receptionOf"), any_work())
    P["reception-work-dangling"] = lambda: _reception(g, fresh("work/doi"))
    P["reception-two-polarities"] = lambda: g.add(_reception(g, new_work()), iri(KG + "overallPolarity"), iri(POL + "mixed"))
    P["reception-polarity-unknown"] = lambda: g.add(_reception(g, new_work()), iri(KG + "overallPolarity"), iri(POL + "angry"))
    P["reception-two-top-roles"] = lambda: g.add(_reception(g, new_work()), iri(KG + "mostCommonRole"), iri(ROLE + "data"))
    P["reception-top-role-unknown"] = lambda: g.add(_reception(g, new_work()), iri(KG + "mostCommonRole"), lit("method"))
    P["reception-two-top-shares"] = lambda: g.add(_reception(g, new_work()), iri(KG + "mostCommonRoleShare"), lit("0.6", "decimal"))
    P["reception-top-share-string"] = lambda: g.add(_reception(g, new_work()), iri(KG + "mostCommonRoleShare"), lit("half"))
    P["reception-top-share-high"] = lambda: g.add(_reception(g, new_work()), iri(KG + "mostCommonRoleShare"), lit("1.5", "decimal"))
    P["reception-top-share-negative"] = lambda: g.add(_reception(g, new_work()), iri(KG + "mostCommonRoleShare"), lit("-0.1", "decimal"))
    P["reception-role-share-untyped"] = lambda: g.add(_reception(g, new_work()), iri(KG + "hasRoleShare"), fresh("share"))
    P["reception-polarity-share-untyped"] = lambda: g.add(_reception(g, new_work()), iri(KG + "hasPolarityShare"), fresh("share"))
    P["role-share-no-role"] = lambda: _drop(g, _share(g, "RoleShare"), KG + "role")
    P["role-share-two-roles"] = lambda: g.add(_share(g, "RoleShare"), iri(KG + "role"), iri(ROLE + "data"))
    P["role-share-unknown-role"] = lambda: g.add(_share(g, "RoleShare", role=False), iri(KG + "role"), iri(ROLE + "vibes"))
    P["share-two-values"] = lambda: g.add(_share(g, "RoleShare"), iri(KG + "share"), lit("0.2", "decimal"))
    P["share-value-float"] = lambda: g.add(_share(g, "PolarityShare", share=False), iri(KG + "share"), lit("0.5", "double"))
    P["share-value-high"] = lambda: g.add(_share(g, "RoleShare", share=False), iri(KG + "share"), lit("2", "decimal"))
    P["share-value-negative"] = lambda: g.add(_share(g, "PolarityShare", share=False), iri(KG + "share"), lit("-1", "decimal"))
    P["share-two-counts"] = lambda: [g.add(s, iri(KG + "count"), lit(v, "integer")) for s in [_share(g, "RoleShare")] for v in ("1", "2")]
    P["share-count-decimal"] = lambda: g.add(_share(g, "PolarityShare"), iri(KG + "count"), lit("1.5", "decimal"))
    P["share-count-negative"] = lambda: g.add(_share(g, "RoleShare"), iri(KG + "count"), lit("-3", "integer"))
    P["share-count-leading-zero"] = lambda: [g.add(s, iri(KG + "count"), lit(v, "integer")) for s in [_share(g, "RoleShare")] for v in ("01", "1")]
    P["polarity-share-no-label"] = lambda: _drop(g, _share(g, "PolarityShare"), KG + "polarity")
    P["polarity-share-two-labels"] = lambda: g.add(_share(g, "PolarityShare"), iri(KG + "polarity"), iri(POL + "mixed"))
    P["polarity-share-unknown"] = lambda: g.add(_share(g, "PolarityShare", role=False), iri(KG + "polarity"), iri(POL + "meh"))
    P["role-label-no-role"] = lambda: _drop(g, _label(g), KG + "role")
    P["role-label-two-roles"] = lambda: g.add(_label(g), iri(KG + "role"), iri(ROLE + "data"))
    P["role-label-unknown-role"] = lambda: g.add(_label(g, role=False), iri(KG + "role"), iri(ROLE + "vibes"))
    P["role-label-no-source"] = lambda: _drop(g, _label(g), PROV + "wasAttributedTo")
    P["role-label-source-literal"] = lambda: g.add(_label(g), iri(PROV + "wasAttributedTo"), lit("s2"))
    return P


def _match_plants(g: Graph, pl: _Planter) -> Plants:
    """A nameless work, and the title matches' cases."""
    new_work = pl.new_work
    fresh = pl.fresh
    P: Plants = {}
    # A work with neither a title nor any identifier
    P["work-nameless"] = lambda: new_work(title=False, doi=False)
    # Title matches (enrichment from an API)
    P["work-match-untyped"] = lambda: g.add(new_work(), iri(KG + "hasTitleMatch"), fresh("match"))
    P["match-blank-node"] = lambda: _match(g, new_work(), node=f"_:bm{len(g.lines)}")
    P["match-no-score"] = lambda: _drop(g, _match(g, new_work()), KG + "matchScore")
    P["match-two-scores"] = lambda: g.add(_match(g, new_work()), iri(KG + "matchScore"), lit("0.9", "decimal"))
    P["match-score-string"] = lambda: g.add(_match(g, new_work(), score=False), iri(KG + "matchScore"), lit("high"))
    P["match-score-negative"] = lambda: g.add(_match(g, new_work(), score=False), iri(KG + "matchScore"), lit("-0.5", "decimal"))
    P["match-score-high"] = lambda: g.add(_match(g, new_work(), score=False), iri(KG + "matchScore"), lit("1.5", "decimal"))
    P["match-no-title"] = lambda: _drop(g, _match(g, new_work()), KG + "matchedTitle")
    P["match-two-titles"] = lambda: g.add(_match(g, new_work()), iri(KG + "matchedTitle"), lit("Other"))
    P["match-title-typed"] = lambda: g.add(_match(g, new_work(), title=False), iri(KG + "matchedTitle"), lit("3", "integer"))
    P["match-no-source"] = lambda: _drop(g, _match(g, new_work()), PROV + "wasAttributedTo")
    P["match-source-literal"] = lambda: g.add(_match(g, new_work()), iri(PROV + "wasAttributedTo"), lit("openalex"))
    P["match-no-origin"] = lambda: _drop(g, _match(g, new_work()), PROV + "wasDerivedFrom")
    P["match-origin-dangling"] = lambda: g.add(_match(g, new_work()), iri(PROV + "wasDerivedFrom"), fresh("source"))
    return P


def _match(g: Graph, w: str, *, node: str | None = None, score: bool = True, title: bool = True) -> str:
    m = node or iri(w[1:-1] + "/match/openalex")
    g.add(w, iri(KG + "hasTitleMatch"), m)
    g.add(m, RDF_TYPE, iri(KG + "TitleMatch"))
    if score:
        g.add(m, iri(KG + "matchScore"), lit("1", "decimal"))
    if title:
        g.add(m, iri(KG + "matchedTitle"), lit("Work"))
    g.add(m, iri(PROV + "wasAttributedTo"), iri(B + "agent/openalex"))
    g.add(m, iri(PROV + "wasDerivedFrom"), SRC)
    return m


def _drop(g: Graph, s: str, p: str) -> None:
    prefix = f"{s} <{p}> "
    g.lines = [ln for ln in g.lines if not ln.startswith(prefix)]


def _reception_blank(g: Graph, w: str) -> None:
    r = f"_:br{len(g.lines)}"
    g.add(r, RDF_TYPE, iri(KG + "Reception"))
    g.add(r, iri(KG + "receptionOf"), w)


_share_n = [0]


def _share(g: Graph, kind: str, *, role: bool = True, share: bool = True) -> str:
    _share_n[0] += 1
    s = iri(f"{B}share/{kind}/{_share_n[0]}")
    g.add(s, RDF_TYPE, iri(KG + kind))
    if role:
        if kind == "RoleShare":
            g.add(s, iri(KG + "role"), iri(ROLE + "method"))
        else:
            g.add(s, iri(KG + "polarity"), iri(POL + "critical"))
    if share:
        g.add(s, iri(KG + "share"), lit("0.1", "decimal"))
    return s


def _label(g: Graph, *, role: bool = True) -> str:
    _share_n[0] += 1
    lab = iri(f"{B}citation/label{_share_n[0]}/label/s2/method")
    g.add(lab, RDF_TYPE, iri(KG + "RoleLabel"))
    if role:
        g.add(lab, iri(KG + "role"), iri(ROLE + "method"))
    g.add(lab, iri(PROV + "wasAttributedTo"), iri(B + "agent/s2"))
    return lab


def planted_graph(n_citations: int, seed: int = 7, copies: int = 2) -> tuple[str, list[str]]:
    """(N-Triples text, names of the planted cases). Every case is planted ``copies`` times."""
    _share_n[0] = 0
    g = Graph(seed)
    works = _baseline(g, n_citations)
    plants = _plants(g, works)
    names = sorted(plants)
    for name in names:
        for _ in range(copies):
            plants[name]()
    lines = g.lines
    g.rng.shuffle(lines)
    return "".join(lines), names

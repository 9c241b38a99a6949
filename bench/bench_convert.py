#!/usr/bin/env python3
"""Benchmark `kgtool convert` engines against references, same data, same run (not a test).

At each size, each contender runs in its own process on the same OpenCitations-style CSV
(bench/gen_oc_csv.py), to N-Triples, ``--rounds`` times, round-robin (the median is reported):

  ref        today's converter before the engines (a git worktree at --ref-tree, default commit 6ebbdf6)
  duckdb     kgtool convert (DuckDB engine, default options)
  spark      kgtool convert --engine spark --jobs 2 (local[2]); also local[1] with --spark-cores
  python     a plain Python writer of the same lines (csv module, the parser, dicts, f-strings)
  duckdb-sql one hand-written DuckDB statement for the same lines, unsorted (ids parsed in SQL), 6 GB;
             also with a 512 MB limit

Wall time, CPU time (whole process tree), largest RSS; the line sets of duckdb, spark, python
and duckdb-sql are checked equal (sorted) at the smallest size, if it is at most 1M.

    python bench/bench_convert.py --sizes 100000 1000000 [--rounds 3] [--ref-tree /work/wt-ref11]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from run_bench import DATA, ensure_data, measure, warm  # noqa: E402

PY = sys.executable
BASE = "https://w3id.org/kgtool/data/"

PLAIN_PYTHON = r"""
import csv, hashlib, sys
from kgtool.map import iris
from kgtool.map.mapping import work_terms, source_triples, agent_triples
from kgtool.map.model import SourceInfo
from kgtool.serialize.ntlines import NTLineEncoder
from kgtool.read.sources.opencitations import parse_ids, FLAGS
from kgtool.map.mapping import creation_literal, duration_literal
path, out = sys.argv[1], sys.argv[2]
B = "https://w3id.org/kgtool/data/"
sha = hashlib.sha256(open(path, "rb").read()).hexdigest()
src = f"<{B}source/sha256-{sha}>"
enc = NTLineEncoder(); term = enc.term
P = {"type": "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>", "cites": "<http://purl.org/spar/cito/cites>",
     "cit": "<http://purl.org/spar/cito/", "der": "<http://www.w3.org/ns/prov#wasDerivedFrom>",
     "att": "<http://www.w3.org/ns/prov#wasAttributedTo>", "id": "<http://purl.org/dc/terms/identifier>"}
works, lines = {}, {}
def work(f):
    w = works.get(f)
    if w is None:
        wk = parse_ids(f, path, "citing"); t = work_terms(wk, B); p = iris.work_path(wk); s = term(t.iri)
        ls = lines.setdefault(p, set())
        ls.add(f"{s} {P['type']} <http://purl.org/spar/fabio/Expression> .\n"); ls.add(f"{s} {P['der']} {src} .\n")
        if t.doi is not None: ls.add(f"{s} <http://prismstandard.org/namespaces/basic/2.0/doi> {term(t.doi)} .\n")
        if t.arxiv is not None: ls.add(f"{s} <http://purl.org/spar/fabio/hasArXivId> {term(t.arxiv)} .\n")
        for x in t.extra_ids: ls.add(f"{s} {P['id']} {term(x)} .\n")
        w = works[f] = (p, s)
    return w
lit = {}
def typed(v, make):
    t = lit.get(v)
    if t is None: t = lit[v] = term(make(v))
    return t
agent = f"<{B}agent/opencitations>"
with open(out, "w") as o:
    o.writelines(NTLineEncoder().line(*t) for t in source_triples(SourceInfo(path, sha, "text/csv"), B))
    o.writelines(NTLineEncoder().line(*t) for t in agent_triples("opencitations", B))
    rows = csv.reader(open(path, newline="")); next(rows)
    cit = []
    for oci, a, b, cr, ts, j, au in rows:
        (pa, sa), (pb, sb) = work(a), work(b)
        n = f"<{B}citation/{hashlib.sha256(f'{pa} {pb}'.encode()).hexdigest()[:20]}>"
        cit.append(f"{sa} {P['cites']} {sb} .\n{n} {P['type']} {P['cit']}Citation> .\n{n} {P['cit']}hasCitingEntity> {sa} .\n"
                   f"{n} {P['cit']}hasCitedEntity> {sb} .\n{n} {P['att']} {agent} .\n{n} {P['der']} {src} .\n")
        if oci: cit.append(f'{n} {P["id"]} "oci:{oci[4:] if oci.startswith("oci:") else oci}" .\n')
        if ts: cit.append(f"{n} {P['cit']}hasCitationTimeSpan> {typed(ts, duration_literal)} .\n")
        if cr: cit.append(f"{n} {P['cit']}hasCitationCreationDate> {typed(cr, creation_literal)} .\n")
        if FLAGS[j.lower()]: cit.append(f"{n} {P['type']} {P['cit']}JournalSelfCitation> .\n")
        if FLAGS[au.lower()]: cit.append(f"{n} {P['type']} {P['cit']}AuthorSelfCitation> .\n")
    for p in sorted(lines):
        o.writelines(sorted(lines[p]))
    o.writelines(cit)
"""

# One statement: the id fields parsed in SQL (the synthetic data's omid/doi/pmid only), the same lines
# in whatever order DuckDB's threads produce them (as the issue measured it: equal after sorting; no
# input order, no determinism). A speed reference, not a memory one: it gets 6 GB (at 1M citations
# it ran out of memory with 256 MB); "duckdb-sql (512 MB)" is the same statement with 512 MB.
HAND_SQL = r"""
import duckdb, hashlib, sys
path, out = sys.argv[1], sys.argv[2]
B = "https://w3id.org/kgtool/data/"
sha = hashlib.sha256(open(path, "rb").read()).hexdigest()
limit = sys.argv[3] if len(sys.argv) > 3 else "6GB"
con = duckdb.connect(); con.execute(f"SET memory_limit='{limit}'; SET preserve_insertion_order=false")
con.execute(f"SET temp_directory='{out}.tmp'")
lines = [f"<{B}source/sha256-{sha}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://www.w3.org/ns/prov#Entity> .",
         f'<{B}source/sha256-{sha}> <http://purl.org/dc/terms/title> "{path}" .',
         f'<{B}source/sha256-{sha}> <http://purl.org/dc/terms/format> "text/csv" .',
         f'<{B}source/sha256-{sha}> <https://w3id.org/kgtool/ns#sha256> "{sha}" .',
         f"<{B}agent/opencitations> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://www.w3.org/ns/prov#Agent> .",
         f'<{B}agent/opencitations> <http://www.w3.org/2000/01/rdf-schema#label> "opencitations" .']
S, T, C, D = f"<{B}source/sha256-{sha}>", "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>", "<http://purl.org/spar/cito/", "<http://www.w3.org/ns/prov#wasDerivedFrom>"
sql = f'''
COPY (
WITH r AS (SELECT row_number() OVER () AS rn, * FROM read_csv('{path}', header=true, all_varchar=true)),
f AS (SELECT f, nullif(lower(regexp_extract(f, 'doi:(\S+)', 1)), '') AS doi, regexp_extract(f, 'omid:(\S+)', 1) AS omid,
             nullif(regexp_extract(f, 'pmid:(\S+)', 1), '') AS pmid
      FROM (SELECT citing AS f FROM r UNION SELECT cited FROM r)),
w AS (SELECT *, CASE WHEN doi IS NOT NULL THEN 'work/doi/' || replace(url_encode(doi), '%2F', '/') ELSE 'work/omid/' || omid END AS path FROM f),
c AS (SELECT min(rn) AS prn, a.path AS ap, b.path AS bp, '<{B}citation/' || substr(sha256(a.path || ' ' || b.path), 1, 20) || '>' AS n,
             min(r.oci) AS oci, min(creation) AS creation, min(timespan) AS timespan,
             bool_or(lower(journal_sc) IN ('yes', '1', 'true')) AS j, bool_or(lower(author_sc) IN ('yes', '1', 'true')) AS au
      FROM r JOIN w a ON a.f = r.citing JOIN w b ON b.f = r.cited WHERE a.path <> b.path GROUP BY a.path, b.path),
wl AS (SELECT DISTINCT path, line FROM (
      SELECT path, '<{B}' || path || '> {T} <http://purl.org/spar/fabio/Expression> .' AS line FROM w
      UNION ALL SELECT path, '<{B}' || path || '> {D} {S} .' FROM w
      UNION ALL SELECT path, '<{B}' || path || '> <http://prismstandard.org/namespaces/basic/2.0/doi> "' || doi || '" .' FROM w WHERE doi IS NOT NULL
      UNION ALL SELECT path, '<{B}' || path || '> <http://purl.org/dc/terms/identifier> "omid:' || omid || '" .' FROM w
      UNION ALL SELECT path, '<{B}' || path || '> <http://purl.org/dc/terms/identifier> "pmid:' || pmid || '" .' FROM w WHERE pmid IS NOT NULL)),
cl AS (
      SELECT prn, 0 AS k, '<{B}' || ap || '> {C}cites> <{B}' || bp || '> .' AS line FROM c
      UNION ALL SELECT prn, 1, n || ' {T} {C}Citation> .' FROM c
      UNION ALL SELECT prn, 2, n || ' {C}hasCitingEntity> <{B}' || ap || '> .' FROM c
      UNION ALL SELECT prn, 3, n || ' {C}hasCitedEntity> <{B}' || bp || '> .' FROM c
      UNION ALL SELECT prn, 4, n || ' <http://www.w3.org/ns/prov#wasAttributedTo> <{B}agent/opencitations> .' FROM c
      UNION ALL SELECT prn, 5, n || ' {D} {S} .' FROM c
      UNION ALL SELECT prn, 6, n || ' <http://purl.org/dc/terms/identifier> "oci:' || substr(oci, 5) || '" .' FROM c WHERE oci IS NOT NULL
      UNION ALL SELECT prn, 7, n || ' {C}hasCitationTimeSpan> "' || CASE WHEN timespan IN ('P0Y', '-P0Y') THEN 'P0D' ELSE regexp_replace(regexp_replace(timespan, '^(-?P)0Y([0-9])', '\\1\\2'), 'Y0M$', 'Y') END || '"^^<http://www.w3.org/2001/XMLSchema#duration> .' FROM c WHERE timespan IS NOT NULL
      UNION ALL SELECT prn, 8, n || ' {C}hasCitationCreationDate> "' || creation || '"^^<http://www.w3.org/2001/XMLSchema#' ||
                CASE length(creation) WHEN 4 THEN 'gYear' WHEN 7 THEN 'gYearMonth' ELSE 'date' END || '> .' FROM c WHERE creation IS NOT NULL
      UNION ALL SELECT prn, 9, n || ' {T} {C}JournalSelfCitation> .' FROM c WHERE j
      UNION ALL SELECT prn, 10, n || ' {T} {C}AuthorSelfCitation> .' FROM c WHERE au)
SELECT line FROM wl UNION ALL SELECT line FROM cl
) TO '{out}.body' (FORMAT csv, HEADER false, QUOTE '', ESCAPE '', DELIMITER '\t')'''
con.execute(sql)
with open(out, "w") as o:
    o.write("\n".join(lines) + "\n")
with open(out, "ab") as o, open(out + ".body", "rb") as b:
    while chunk := b.read(1 << 24):
        o.write(chunk)
"""


def contenders(spark_cores: list[int], ref_tree: Path | None,
               before_tree: Path | None = None) -> dict[str, tuple[list[str], dict]]:
    env = dict(os.environ)
    out: dict[str, tuple[list[str], dict]] = {}
    if ref_tree is not None:
        ref_env = {**env, "PYTHONPATH": str(ref_tree)}
        out["ref (6ebbdf6)"] = (
            [PY, "-m", "kgtool", "-q", "convert", "{in}", "--to", "nt", "--out", "{dir}", "--name", "oc"],
            ref_env,
        )
    if before_tree is not None:  # another version of the DuckDB engine, for before/after in one run
        out["duckdb (before)"] = ([PY, "-m", "kgtool", "-q", "convert", "{in}", "--to", "nt", "--out", "{dir}",
                                   "--name", "oc"], {**env, "PYTHONPATH": str(before_tree)})
    out["duckdb"] = ([PY, "-m", "kgtool", "-q", "convert", "{in}", "--to", "nt", "--out", "{dir}", "--name", "oc"], env)
    for n in spark_cores:
        out[f"spark local[{n}]"] = ([PY, "-m", "kgtool", "-q", "convert", "{in}", "--to", "nt", "--out", "{dir}",
                                     "--name", "oc", "--engine", "spark", "--jobs", str(n)], env)
    out["python"] = ([PY, "-c", PLAIN_PYTHON, "{in}", "{dir}/oc.nt"], env)
    out["duckdb-sql"] = ([PY, "-c", HAND_SQL, "{in}", "{dir}/oc.nt"], env)
    out["duckdb-sql (512 MB)"] = ([PY, "-c", HAND_SQL, "{in}", "{dir}/oc.nt", "512MB"], env)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--ref-tree", type=Path, default=Path("/work/wt-ref11"))
    ap.add_argument("--before-tree", type=Path, default=None,
                    help="a checkout of an earlier kgtool, run as 'duckdb (before)'")
    ap.add_argument("--spark-cores", type=int, nargs="*", default=[1, 2])
    ap.add_argument("--spark-max", type=int, default=1_000_000, help="largest size Spark runs at")
    ap.add_argument("--only", nargs="*", default=None, help="run only these contenders")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)
    ref = args.ref_tree if (args.ref_tree / "kgtool").is_dir() else None
    rows = []
    for size in args.sizes:
        csv = ensure_data(size)
        warm(csv)
        lines: dict[str, list[bytes]] = {}
        chosen = {name: ce for name, ce in contenders(args.spark_cores, ref, args.before_tree).items()
                  if not (args.only and name not in args.only)
                  and not (name.startswith("spark") and size > args.spark_max)}
        runs: dict[str, list[dict]] = {name: [] for name in chosen}
        # Round-robin: each round runs every contender once, so that a drift in the machine's load
        # (it is shared) falls on all of them alike rather than on the one whose rounds it hit.
        for _ in range(args.rounds):
            for name, (cmd, env) in chosen.items():
                with tempfile.TemporaryDirectory(dir=DATA) as d:
                    argv = [c.replace("{in}", str(csv)).replace("{dir}", d) for c in cmd]
                    r = measure(
                        argv, env=env, cwd=str(DATA)
                    )  # not the repo: -m kgtool must find the tree on PYTHONPATH
                    if r["code"] != 0:  # measure() lets exit code 1 pass; here it is a failed contender
                        raise SystemExit(f"{name} failed at {size}:\n{r['stderr'][-2000:]}")
                    runs[name].append(r)
                    compare = size == min(args.sizes) and size <= 1_000_000  # the sorted lines are held in memory
                    if compare and not name.startswith(("ref", "duckdb (")) and not lines.get(name):
                        lines[name] = sorted(Path(d, "oc.nt").read_bytes().splitlines())
        for name, done in runs.items():
            med = {k: statistics.median(r[k] for r in done) for k in ("wall", "cpu", "rss_mb", "load")}
            row = {"size": size, "tool": name, **{k: round(v, 2) for k, v in med.items()},
                   "walls": [round(r["wall"], 1) for r in done]}
            rows.append(row)
            print(json.dumps(row), flush=True)
        if lines:
            ref_lines = lines.get("duckdb")
            for name, ls in lines.items():
                print(json.dumps({"size": size, "tool": name, "same_lines_as_duckdb": ls == ref_lines,
                                  "lines": len(ls)}), flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    print("\n| citations | tool | wall s (median) | CPU s | peak RSS MB | load |")
    print("| ---: | --- | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(
            f"| {r['size']:,} | {r['tool']} | {r['wall']:.1f} | {r['cpu']:.1f} | {r['rss_mb']:.0f} | {r['load']:.1f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

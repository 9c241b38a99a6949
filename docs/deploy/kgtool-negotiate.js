// nginx njs: the same Accept negotiation as `kgtool serve` (kgtool/publish/negotiate.py).
// Highest q wins; on equal q the more specific range, then the one listed first, then the
// order below. Returns the suffix of the chosen representation, or "406".
var OFFERS = [
    ["text/html", "/"],
    ["text/turtle", ".ttl"],
    ["application/ld+json", ".jsonld"],
    ["application/n-triples", ".nt"]
];

function parse(header) {
    var ranges = [];
    var items = header.split(",");
    for (var pos = 0; pos < items.length; pos++) {
        var parts = items[pos].split(";").map(function (p) { return p.trim(); });
        var slash = parts[0].indexOf("/");
        if (slash < 0) continue;
        var t = parts[0].slice(0, slash).toLowerCase(), s = parts[0].slice(slash + 1).toLowerCase();
        if (!t || !s || (t === "*" && s !== "*")) continue;
        var q = 1.0;
        for (var i = 1; i < parts.length; i++) {
            var eq = parts[i].indexOf("=");
            var name = (eq < 0 ? parts[i] : parts[i].slice(0, eq)).trim().toLowerCase();
            if (name === "q") {
                var v = eq < 0 ? "" : parts[i].slice(eq + 1).trim();
                q = /^\d*\.?\d+$/.test(v) ? parseFloat(v) : -1;
                break;
            }
        }
        if (q < 0 || q > 1) continue;
        ranges.push({t: t, s: s, q: q, pos: pos});
    }
    return ranges;
}

function suffix(r) {
    var header = r.headersIn["Accept"];
    var ranges = (header === undefined || header.trim() === "") ? [{t: "*", s: "*", q: 1, pos: 0}] : parse(header);
    var best = null;
    for (var i = 0; i < OFFERS.length; i++) {
        var slash = OFFERS[i][0].indexOf("/");
        var t = OFFERS[i][0].slice(0, slash), s = OFFERS[i][0].slice(slash + 1);
        var m = null;
        for (var j = 0; j < ranges.length; j++) {
            var g = ranges[j], spec;
            if (g.t === t && g.s === s) spec = 2;
            else if (g.t === t && g.s === "*") spec = 1;
            else if (g.t === "*") spec = 0;
            else continue;
            if (m === null || spec > m.spec) m = {q: g.q, spec: spec, pos: g.pos};
        }
        if (m === null || m.q <= 0) continue;
        var key = [-m.q, -m.spec, m.pos, i];
        if (best === null || less(key, best.key)) best = {key: key, suffix: OFFERS[i][1]};
    }
    return best === null ? "406" : best.suffix;
}

function less(a, b) {
    for (var i = 0; i < a.length; i++) {
        if (a[i] !== b[i]) return a[i] < b[i];
    }
    return false;
}

export default {suffix};

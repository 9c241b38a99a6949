// Offline search over search.json (written by 'kgtool site'); no other host is contacted.
(function () {
  "use strict";
  var form = document.querySelector("form.search");
  if (!form) return;
  var input = form.querySelector("input");
  var list = document.getElementById("search-results");
  var status = document.getElementById("search-status");
  var root = new URL(document.currentScript ? document.currentScript.src : "assets/search.js", document.baseURI);
  root = new URL("../", root);
  var index = null;

  function fold(s) {
    return (s || "").normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function render(q) {
    while (list.firstChild) list.removeChild(list.firstChild);
    var terms = fold(q).split(/\s+/).filter(Boolean);
    if (!terms.length) { status.textContent = ""; return; }
    var f = index.fields, rows = index.works, hits = [];
    var iT = f.indexOf("title"), iY = f.indexOf("year"), iC = f.indexOf("citations"),
        iU = f.indexOf("url"), iS = f.indexOf("summary"), iD = f.indexOf("doi");
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i], text = fold([r[iT], r[iS], r[iD], r[iY]].join(" "));
      if (terms.every(function (t) { return text.indexOf(t) >= 0; })) hits.push(r);
    }
    status.textContent = hits.length + (hits.length === 1 ? " work matches" : " works match") +
      (hits.length > 100 ? "; showing the first 100" : "");
    hits.slice(0, 100).forEach(function (r) {
      var li = document.createElement("li"), p = document.createElement("p"), a = document.createElement("a");
      p.className = "title";
      a.href = new URL(r[iU], root).href;
      a.textContent = r[iT];  // text, never HTML
      p.appendChild(a);
      li.appendChild(p);
      var meta = [];
      if (r[iY]) meta.push(r[iY]);
      if (r[iC]) meta.push("cited by " + r[iC]);
      if (meta.length) {
        var m = document.createElement("p");
        m.className = "small";
        m.textContent = meta.join(" · ");
        li.appendChild(m);
      }
      list.appendChild(li);
    });
  }

  function load(then) {
    if (index) return then();
    status.textContent = "Loading the index…";
    fetch(new URL("search.json", root)).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    }).then(function (data) { index = data; then(); }).catch(function (e) {
      status.textContent = "The search index could not be loaded (" + e.message + "); open the site through a web server such as 'kgtool serve'.";
    });
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var q = input.value;
    history.replaceState(null, "", "?q=" + encodeURIComponent(q));
    load(function () { render(q); });
  });
  input.addEventListener("input", function () { if (index) render(input.value); else load(function () { render(input.value); }); });
  var start = new URLSearchParams(location.search).get("q");
  if (start) { input.value = start; load(function () { render(start); }); }
})();

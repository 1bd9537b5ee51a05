// The search page: reads the list of index shards the build made (pagefind/shards.json), loads
// Pagefind's interface from a shard in the page's language, merges in every other shard, and runs
// the query of the header's search box.
(function () {
  "use strict";
  var box = document.getElementById("search");
  if (!box) return;
  function showNotice(id) {
    box.hidden = true;
    document.getElementById(id).hidden = false;
  }
  if (location.protocol === "file:") {
    showNotice("search-needs-server"); // browsers refuse to fetch the index from disk
    return;
  }
  var folder = box.getAttribute("data-bundle");
  var pageLang = box.getAttribute("data-lang").split("-")[0];
  function start(shards) {
    if (!shards.length) { showNotice("search-empty"); return; } // a site with no page to index
    // a shard holds one language; Pagefind opens the page's own first, and merges the others
    var primary = shards.filter(function (shard) {
      return shard.languages.some(function (code) { return code.split("-")[0] === pageLang; });
    })[0] || shards[0];
    function path(shard) { return new URL(folder + shard.path, location.href).pathname; }
    var bundle = path(primary);
    var merged = shards.filter(function (shard) { return shard !== primary; }).map(function (shard) {
      return { bundlePath: path(shard), language: shard.languages[0] };
    });
    var style = document.createElement("link");
    style.rel = "stylesheet";
    style.href = bundle + "pagefind-ui.css";
    document.head.appendChild(style);
    var script = document.createElement("script");
    script.onerror = function () { showNotice("search-unavailable"); };
    script.onload = function () {
      if (typeof PagefindUI === "undefined") { showNotice("search-unavailable"); return; }
      var ui = new PagefindUI({
        element: "#search",
        bundlePath: bundle,
        showImages: false,
        showSubResults: true,
        resetStyles: false,
        openFilters: [],
        translations: { placeholder: box.getAttribute("data-placeholder") },
        mergeIndex: merged
      });
      var query = new URLSearchParams(location.search).get("q");
      if (query) ui.triggerSearch(query);
    };
    script.setAttribute("src", bundle + "pagefind-ui.js");
    document.head.appendChild(script);
  }
  fetch(folder + "shards.json", { cache: "no-cache" })
    .then(function (response) { if (!response.ok) throw new Error(response.status); return response.json(); })
    .then(function (list) { start(list.shards || []); })
    .catch(function () { showNotice("search-unavailable"); });
})();

// The search page: loads Pagefind's interface from the index the build made, merges in the
// index of every other language of the site, and runs the query of the header's search box.
(function () {
  "use strict";
  var box = document.getElementById("search");
  if (!box) return;
  function unavailable(id) {
    box.hidden = true;
    document.getElementById(id).hidden = false;
  }
  if (location.protocol === "file:") {
    unavailable("search-needs-server"); // browsers refuse to fetch the index from disk
    return;
  }
  var bundle = box.getAttribute("data-bundle");
  var pageLang = box.getAttribute("data-lang").split("-")[0];
  var others = box.getAttribute("data-languages").split(" ").filter(function (code) {
    return code && code.split("-")[0] !== pageLang;
  });
  var style = document.createElement("link");
  style.rel = "stylesheet";
  style.href = bundle + "pagefind-ui.css";
  document.head.appendChild(style);
  var script = document.createElement("script");
  script.onerror = function () { unavailable("search-unavailable"); };
  script.onload = function () {
    if (typeof PagefindUI === "undefined") { unavailable("search-unavailable"); return; }
    var ui = new PagefindUI({
      element: "#search",
      bundlePath: bundle,
      showImages: false,
      showSubResults: true,
      resetStyles: false,
      openFilters: [],
      translations: { placeholder: box.getAttribute("data-placeholder") },
      mergeIndex: others.map(function (code) { return { bundlePath: bundle, language: code }; })
    });
    var query = new URLSearchParams(location.search).get("q");
    if (query) ui.triggerSearch(query);
  };
  script.setAttribute("src", bundle + "pagefind-ui.js");
  document.head.appendChild(script);
})();

// briefgen live preview. `briefgen serve` adds this script to the pages it serves; the files that
// `briefgen build` writes never contain it. The server pushes one message per rebuild over
// Server-Sent Events:
//   hello  {server, generation, errors}  on (re)connect: reload if a build was missed meanwhile
//   early  {changed}                     before a build, open pages made against the last build
//          (a first look, after a save of an article or a template): reload if this is one
//   built  {generation, changed, removed, confirmed} after a good rebuild: reload this page only
//          if its own output changed (unless it was shown early and the build made it the same:
//          `confirmed`); swap stylesheets in place when only CSS changed
//   failed {errors}                      after a failed rebuild: show the problems over the page
(() => {
  "use strict";

  const me = document.currentScript;
  const paths = (me.dataset.paths || "").split(" ").filter(Boolean);
  const server = me.dataset.server;
  let generation = Number(me.dataset.generation);
  const early = me.dataset.early === "1"; // made before the build under way (a first look)
  const scrollKey = "briefgen-scroll:" + location.pathname + location.search;
  const overlayId = "briefgen-overlay";

  function sitePath(url) {
    const parsed = new URL(url, location.href);
    if (parsed.origin !== location.origin) return null;
    return decodeURIComponent(parsed.pathname).replace(/^\//, "");
  }

  function reload() {
    try {
      sessionStorage.setItem(scrollKey, JSON.stringify([window.scrollX, window.scrollY]));
      // Put the reader back ourselves, the same way in every browser, rather than rely on each
      // browser's own guess (made before the changed page has its final height).
      history.scrollRestoration = "manual";
    } catch (_) {
      // storage disabled: reload anyway, at the top
    }
    location.reload();
  }

  function restoreScroll() {
    let saved = null;
    try {
      saved = sessionStorage.getItem(scrollKey);
      sessionStorage.removeItem(scrollKey);
    } catch (_) {
      return;
    }
    history.scrollRestoration = "auto";
    if (!saved) return;
    const [x, y] = JSON.parse(saved);
    window.scrollTo(x, y); // the text is laid out already: this script is deferred
    if (document.readyState === "complete") return;
    const landed = [window.scrollX, window.scrollY];
    window.addEventListener(
      "load",
      () => {
        // images may have made the page taller; go again unless the reader has scrolled since
        if (window.scrollX === landed[0] && window.scrollY === landed[1]) window.scrollTo(x, y);
      },
      { once: true }
    );
  }

  // Assets this page loads itself (images, scripts, icons and fonts via <link>), not pages it
  // links to: a <link rel="alternate"> names a feed the page never loads.
  function usesAsset(changed) {
    const found = document.querySelectorAll(
      "img[src], script[src], source[src], video[src], audio[src], iframe[src], embed[src], " +
        'link[href][rel~="icon"], link[href][rel~="preload"], link[href][rel~="modulepreload"], ' +
        'link[href][rel~="manifest"]'
    );
    for (const element of found) {
      const url = element.getAttribute("src") || element.getAttribute("href");
      if (changed.includes(sitePath(url))) return true;
    }
    return false;
  }

  function swapStylesheets(changed) {
    const links = Array.from(document.querySelectorAll('link[rel~="stylesheet"][href]'));
    let stale = links.filter((link) => changed.includes(sitePath(link.href)));
    if (stale.length === 0) stale = links.filter((link) => sitePath(link.href) !== null); // @import
    for (const old of stale) {
      const fresh = old.cloneNode();
      const url = new URL(old.href);
      url.searchParams.set("briefgen-reload", String(Date.now()));
      fresh.href = url.href;
      // keep the old sheet until the new one has loaded, so the page never flashes unstyled
      fresh.addEventListener("load", () => old.remove(), { once: true });
      fresh.addEventListener("error", () => old.remove(), { once: true });
      old.after(fresh);
    }
  }

  function showOverlay(errors) {
    let box = document.getElementById(overlayId);
    if (!box) {
      box = document.createElement("div");
      box.id = overlayId;
      box.setAttribute("role", "alert");
      box.style.cssText =
        "position:fixed;inset:0;z-index:2147483647;overflow:auto;padding:2rem;" +
        "background:#14181e;color:#fff;font:14px/1.5 system-ui,sans-serif;text-align:left";
      document.body.append(box);
    }
    const title = document.createElement("h2");
    title.style.cssText = "margin:0 0 .5rem;font:600 20px system-ui,sans-serif;color:#ff8a80";
    title.textContent = "briefgen: the site did not build";
    const note = document.createElement("p");
    note.style.cssText = "margin:0 0 1rem;color:#ddd";
    note.textContent =
      "The page underneath is the last good build. Fix the file and save: this goes away on the next good build.";
    const list = document.createElement("pre");
    list.className = "briefgen-problems";
    list.style.cssText =
      "margin:0;padding:1rem;white-space:pre-wrap;background:#000;color:#fff;" +
      "font:13px/1.5 ui-monospace,monospace;border-left:4px solid #ff8a80";
    list.textContent = errors.join("\n"); // text, never HTML: messages quote the user's files
    const hide = document.createElement("button");
    hide.type = "button";
    hide.textContent = "Hide until the next build";
    hide.style.cssText = "margin-top:1rem;font:inherit;padding:.3rem .8rem;cursor:pointer";
    hide.addEventListener("click", hideOverlay);
    box.replaceChildren(title, note, list, hide);
  }

  function hideOverlay() {
    const box = document.getElementById(overlayId);
    if (box) box.remove();
  }

  function onHello(state) {
    // A build finished while this page was not listening (or the server restarted): it may be stale.
    if (state.server !== server || state.generation !== generation) return reload();
    if (state.errors.length) showOverlay(state.errors);
    else hideOverlay();
  }

  function onBuilt(build) {
    hideOverlay();
    generation = build.generation;
    const confirmed = early ? build.confirmed || [] : [];
    const touched = build.changed.concat(build.removed).filter((path) => !confirmed.includes(path));
    if (touched.some((path) => paths.includes(path))) return reload();
    const assets = touched.filter((path) => !path.endsWith(".html"));
    const sheets = assets.filter((path) => path.endsWith(".css"));
    if (usesAsset(assets.filter((path) => !path.endsWith(".css")))) return reload();
    if (sheets.length) swapStylesheets(sheets);
  }

  function connect() {
    // the files this page shows: a save that changes them may have them made first (see `early`)
    const events = new EventSource("/__briefgen__/events?paths=" + encodeURIComponent(paths.join(" ")));
    events.addEventListener("hello", (e) => onHello(JSON.parse(e.data)));
    events.addEventListener("built", (e) => onBuilt(JSON.parse(e.data)));
    events.addEventListener("early", (e) => {
      if (JSON.parse(e.data).changed.some((path) => paths.includes(path))) reload();
    });
    events.addEventListener("failed", (e) => showOverlay(JSON.parse(e.data).errors));
    events.addEventListener("error", () => {
      // EventSource retries by itself after a dropped connection; it gives up only when it got
      // an answer that is not an event stream (say, another server on the port), so retry then.
      if (events.readyState === EventSource.CLOSED) setTimeout(connect, 1000);
    });
  }

  restoreScroll();
  connect();
})();

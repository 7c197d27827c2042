// Live pages: one EventSource on /api/stream. Each change asks the fragments that show it
// (elements with data-live="violation camera box", optionally data-live-id) to load again;
// the server renders them, so nothing here knows how a row looks. Every violation change
// is also announced as a "sw:violation" DOM event (the chime listens).
(function () {
  "use strict";
  var sw = window.sitewarden;
  var stateEl = document.querySelector("[data-live-state]");
  var source = null;
  var retryMs = 1000;
  var hadError = false;

  function setState(state) {
    if (!stateEl) { return; }
    stateEl.setAttribute("data-live-state", state);
    stateEl.textContent = sw.t("live." + state);
  }

  function refresh(kind, id) {
    document.querySelectorAll("[data-live]").forEach(function (el) {
      var kinds = el.getAttribute("data-live").split(" ");
      if (kind !== "resync" && kinds.indexOf(kind) < 0) { return; }
      var only = el.getAttribute("data-live-id");
      if (kind !== "resync" && only && id && only !== id) { return; }
      sw.refresh(el);
    });
  }

  function parse(e) {
    try { return JSON.parse(e.data); } catch (err) { return {}; }
  }

  function connect() {
    source = new EventSource("/api/stream");
    source.addEventListener("open", function () {
      setState("live");
      retryMs = 1000;
      // After a gap the stream does not replay what was missed: reload what is shown.
      if (hadError) { refresh("resync"); }
      hadError = false;
    });
    source.addEventListener("violation", function (e) {
      var data = parse(e);
      refresh("violation", data.violation_id);
      document.dispatchEvent(new CustomEvent("sw:violation", { detail: data }));
    });
    source.addEventListener("camera", function () { refresh("camera"); });
    source.addEventListener("box", function () { refresh("box"); });
    source.addEventListener("resync", function () { refresh("resync"); });
    source.addEventListener("error", onError);
  }

  function onError() {
    hadError = true;
    setState("reconnecting");
    if (source.readyState !== EventSource.CLOSED) { return; }  // the browser retries
    // Closed for good (an HTTP error): logged out? Otherwise try again, slower each time.
    sw.api("GET", "/api/me").then(function (res) {
      if (res.status === 401) {
        location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search);
        return;
      }
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 30000);
    }, function () {
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 30000);
    });
  }

  // The inbox's count in the tab title: a control room sees it from another tab.
  document.addEventListener("htmx:afterSwap", function (e) {
    var counts = e.target.querySelector && e.target.querySelector("[data-total]");
    if (!counts) { return; }
    var n = +counts.getAttribute("data-total");
    document.title = (n ? "(" + n + ") " : "") + document.title.replace(/^\(\d+\) /, "");
  });

  // Leaving the page closes the stream first, so the server does not see a broken one.
  window.addEventListener("pagehide", function () { if (source) { source.close(); } });
  connect();
})();

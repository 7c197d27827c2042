// sitewarden console: what every page needs (CSRF header for htmx and fetch, log out).
// No inline scripts anywhere (the Content-Security-Policy forbids them).
(function () {
  "use strict";
  function csrf() {
    var m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.getAttribute("content") : "";
  }
  window.sitewarden = window.sitewarden || {};
  window.sitewarden.csrf = csrf;
  window.sitewarden.post = function (url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
      body: JSON.stringify(body || {})
    });
  };
  document.addEventListener("htmx:configRequest", function (e) {
    e.detail.headers["X-CSRF-Token"] = csrf();
  });
  document.addEventListener("click", function (e) {
    var t = e.target.closest("[data-logout]");
    if (!t) { return; }
    window.sitewarden.post("/api/logout").then(function () { location.href = "/login"; });
  });
})();

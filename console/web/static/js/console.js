// sitewarden console: what every page needs. The CSRF header for htmx and fetch, calls to
// the JSON API, the page texts (from the server's catalog, never written here), a toast,
// log out, and filter forms that leave empty fields out of the shared URL.
// No inline scripts anywhere (the Content-Security-Policy forbids them).
(function () {
  "use strict";
  var sw = window.sitewarden = window.sitewarden || {};

  function csrf() {
    var m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.getAttribute("content") : "";
  }
  sw.csrf = csrf;

  var texts = null;
  // t("bulk.selected", {n: 3}): a text of the page's language with {names} filled in.
  sw.t = function (key, values) {
    if (texts === null) {
      var block = document.getElementById("sw-texts");
      texts = block ? JSON.parse(block.textContent) : {};
    }
    var text = Object.prototype.hasOwnProperty.call(texts, key) ? texts[key] : key;
    return text.replace(/\{(\w+)\}/g, function (all, name) {
      return values && values[name] !== undefined ? String(values[name]) : all;
    });
  };

  // One API call: resolves {ok, status, data} whatever the status (the callers say what a
  // 403 or a 409 means to the operator); rejects only when the network failed.
  sw.api = function (method, url, body) {
    var init = { method: method, credentials: "same-origin",
                 headers: { "X-CSRF-Token": csrf(), "Accept": "application/json" } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(url, init).then(function (r) {
      var ct = r.headers.get("content-type") || "";
      var parsed = ct.indexOf("json") >= 0 ? r.json() : r.text();
      return parsed.then(function (data) { return { ok: r.ok, status: r.status, data: data }; });
    });
  };
  sw.post = function (url, body) { return sw.api("POST", url, body || {}); };

  // A readable reason for a failed call: the API's detail, or the status.
  sw.failure = function (res) {
    if (res.status === 403) { return sw.t("error.forbidden"); }
    if (res.status === 401) { return sw.t("error.login"); }
    var d = res.data && res.data.detail;
    if (res.status === 409 && res.data && res.data.holder) {
      return sw.t("error.held", { name: res.data.holder });
    }
    if (Array.isArray(d)) { d = d.map(function (e) { return e.msg; }).join("; "); }
    return (d ? String(d) : sw.t("error.status", { status: res.status }));
  };

  var toastTimer = null;
  sw.toast = function (text, kind) {
    var el = document.getElementById("toast");
    if (!el) { return; }
    el.textContent = text;
    el.className = "toast" + (kind ? " toast-" + kind : "");
    el.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { el.hidden = true; }, kind === "error" ? 8000 : 3500);
  };

  // Ask a live fragment (an element with hx-get) to load itself again.
  sw.refresh = function (el) {
    if (el && window.htmx) { window.htmx.trigger(el, "sw:refresh"); }
  };

  document.addEventListener("htmx:configRequest", function (e) {
    e.detail.headers["X-CSRF-Token"] = csrf();
  });
  document.addEventListener("click", function (e) {
    var t = e.target.closest("[data-logout]");
    if (!t) { return; }
    sw.post("/api/logout").then(function () { location.href = "/login"; });
  });
  document.addEventListener("submit", function (e) {
    var form = e.target.closest("form[data-filters]");
    if (!form) { return; }
    // Empty fields would clutter the URL an operator shares: leave them out.
    Array.prototype.forEach.call(form.elements, function (el) {
      if (el.name && !el.value && el.type !== "checkbox") { el.disabled = true; }
    });
  });
  window.addEventListener("pageshow", function () {
    // Back to a page from the history cache: the fields disabled on submit work again.
    document.querySelectorAll("form[data-filters] [disabled]").forEach(function (el) {
      el.disabled = false;
    });
  });
})();

// The decision panel of a violation's page: claim / release, confirm, false alarm (with a
// reason), follow-up, dispatched (to whom), reopen (why), comment. Each goes to the API;
// the panel is then loaded again from the server. What the operator typed survives a
// reload of the panel caused by someone else's change.
(function () {
  "use strict";
  var sw = window.sitewarden;
  var box = document.getElementById("review");
  if (!box) { return; }
  var busy = false;

  function panel() { return box.querySelector("[data-review]"); }
  function field(sel) { var el = box.querySelector(sel); return el ? el.value.trim() : ""; }
  function comment() { return field("[data-decide-form] [name=comment]"); }
  sw.reviewComment = function () { return comment() || undefined; };

  function showError(text) {
    var el = box.querySelector("[data-review-error]");
    if (!el) { return; }
    el.textContent = text || "";
    el.hidden = !text;
  }

  function call(path, body) {
    if (busy) { return; }
    busy = true;
    showError("");
    var id = panel().getAttribute("data-id");
    sw.post("/api/violations/" + encodeURIComponent(id) + "/" + path, body).then(function (res) {
      busy = false;
      if (!res.ok) { showError(sw.failure(res)); sw.toast(sw.failure(res), "error"); }
      else { clearFields(); sw.toast(sw.t("review.done_" + path.replace("/", "_")), "ok"); }
      sw.refresh(box);
    }, function () { busy = false; showError(sw.t("error.network")); });
  }

  function clearFields() {
    box.querySelectorAll("[data-decide-form] textarea, [data-decide-form] input")
      .forEach(function (el) { el.value = ""; });
    saved = {};
  }

  function decide(decision) {
    var body = { decision: decision, expected_version: +panel().getAttribute("data-version") };
    if (comment()) { body.comment = comment(); }
    if (decision === "dispatched") {
      body.dispatched_to = field("[data-decide-form] [name=dispatched_to]");
      if (!body.dispatched_to) {
        showError(sw.t("review.dispatch_needs_whom"));
        box.querySelector("[name=dispatched_to]").focus();
        return;
      }
    }
    if (decision !== "false_alarm") { call("decision", body); return; }
    sw.askReason(document.title.split(" · ")[0]).then(function (extra) {
      if (extra === null) { return; }
      body.reason = extra.reason;
      if (extra.comment && !body.comment) { body.comment = extra.comment; }
      call("decision", body);
    });
  }

  box.addEventListener("click", function (e) {
    var d = e.target.closest("[data-decide]");
    if (d) { decide(d.getAttribute("data-decide")); return; }
    var a = e.target.closest("[data-act]");
    if (!a) { return; }
    var act = a.getAttribute("data-act");
    if (act === "claim") { call("claim", a.getAttribute("data-force") ? { force: true } : {}); }
    if (act === "release") { call("release", {}); }
    if (act === "reopen") {
      if (!comment()) { showError(sw.t("review.reopen_needs_why")); return; }
      call("reopen", { comment: comment() });
    }
    if (act === "comment") {
      if (!comment()) { showError(sw.t("review.comment_empty")); return; }
      call("comment", { text: comment() });
    }
  });

  // Typed text and focus survive the panel being rendered again.
  var saved = {};
  var focused = null;
  box.addEventListener("htmx:beforeSwap", function (e) {
    if (e.target !== box) { return; }
    saved = {};
    box.querySelectorAll("textarea, input[type=text]").forEach(function (el) {
      if (el.value) { saved[el.closest("form").getAttribute("class") + " " + el.name] = el.value; }
    });
    var f = document.activeElement;
    focused = f && box.contains(f) && f.name ? f.closest("form").getAttribute("class") + " " + f.name : null;
  });
  box.addEventListener("htmx:afterSwap", function (e) {
    if (e.target !== box) { return; }
    box.querySelectorAll("textarea, input[type=text]").forEach(function (el) {
      var key = el.closest("form").getAttribute("class") + " " + el.name;
      if (saved[key] && !el.disabled) { el.value = saved[key]; }
      if (key === focused) { el.focus(); }
    });
  });
})();

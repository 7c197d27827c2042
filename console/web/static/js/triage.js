// Keyboard triage and bulk selection on the inbox and the violation list (and c / f / ? on
// a violation's own page):
//   j / k   next / previous row          Enter  open the row
//   c       confirm                      f      false alarm: a dialog asks the reason, 1-5
//   x       select the row for bulk      ?      the keys
// Keys never fire while the operator types in a field or holds Ctrl/Alt/Meta. Decisions go
// to the API; the list then loads again from the server (the cursor and the selection stay).
(function () {
  "use strict";
  var sw = window.sitewarden;
  var list = document.querySelector("[data-triage]");
  var reasonDialog = document.getElementById("reason-dialog");
  var keysDialog = document.getElementById("keys-dialog");
  var bar = document.querySelector("[data-bulk-bar]");
  var cursorId = null;
  var cursorIndex = 0;
  var picked = {};  // violation id -> true
  var busy = false;

  function rows() { return list ? Array.prototype.slice.call(list.querySelectorAll("[data-row]")) : []; }
  function current() {
    var all = rows();
    for (var i = 0; i < all.length; i++) {
      if (all[i].getAttribute("data-id") === cursorId) { return all[i]; }
    }
    return null;
  }

  function moveTo(row, scroll) {
    rows().forEach(function (r) { r.classList.remove("cursor"); r.removeAttribute("aria-current"); });
    if (!row) { cursorId = null; return; }
    row.classList.add("cursor");
    row.setAttribute("aria-current", "true");
    cursorId = row.getAttribute("data-id");
    cursorIndex = rows().indexOf(row);
    if (scroll) { row.scrollIntoView({ block: "nearest" }); }
  }

  function step(delta) {
    var all = rows();
    if (!all.length) { return; }
    var i = all.indexOf(current());
    i = i < 0 ? (delta > 0 ? 0 : all.length - 1) : Math.min(Math.max(i + delta, 0), all.length - 1);
    moveTo(all[i], true);
  }

  // After the list loaded again: the same violation under the cursor, or the row that took
  // its place (a decided one leaves the inbox); the same rows ticked.
  function restore() {
    var all = rows();
    var row = current() || (cursorId !== null && all.length ? all[Math.min(cursorIndex, all.length - 1)] : null);
    moveTo(row, false);
    var still = {};
    all.forEach(function (r) {
      var id = r.getAttribute("data-id");
      var box = r.querySelector("[data-pick]");
      if (box) { box.checked = !!picked[id]; }
      if (picked[id]) { still[id] = true; }
    });
    picked = still;
    showBar();
  }

  function pickedIds() { return Object.keys(picked); }

  function showBar() {
    if (!bar) { return; }
    var n = pickedIds().length;
    bar.hidden = n === 0;
    bar.querySelector("[data-bulk-count]").textContent = sw.t("bulk.selected", { n: n });
    rows().forEach(function (r) { r.classList.toggle("picked", !!picked[r.getAttribute("data-id")]); });
  }

  function togglePick(row) {
    var box = row && row.querySelector("[data-pick]");
    if (!box) { return; }
    box.checked = !box.checked;
    setPick(row.getAttribute("data-id"), box.checked);
  }
  function setPick(id, on) {
    if (on) { picked[id] = true; } else { delete picked[id]; }
    showBar();
  }

  // The false-alarm reason: resolves {reason, comment} or null (Esc, Cancel).
  function askReason(what) {
    return new Promise(function (resolve) {
      if (!reasonDialog) { resolve(null); return; }
      var comment = reasonDialog.querySelector("[data-reason-comment]");
      reasonDialog.querySelector("[data-reason-target]").textContent = what || "";
      comment.value = "";
      reasonDialog.returnValue = "";
      reasonDialog.addEventListener("close", function done() {
        reasonDialog.removeEventListener("close", done);
        var r = reasonDialog.returnValue;
        resolve(r ? { reason: r, comment: comment.value.trim() || undefined } : null);
      });
      reasonDialog.showModal();
    });
  }
  sw.askReason = askReason;

  if (reasonDialog) {
    reasonDialog.addEventListener("keydown", function (e) {
      if (typing(e)) {
        // Enter in the comment field would submit the first reason: it must be chosen.
        if (e.key === "Enter") { e.preventDefault(); }
        return;
      }
      if (e.ctrlKey || e.metaKey || e.altKey) { return; }
      var buttons = reasonDialog.querySelectorAll("[data-reason]");
      var n = parseInt(e.key, 10);
      if (n >= 1 && n <= buttons.length) {
        e.preventDefault();
        reasonDialog.close(buttons[n - 1].getAttribute("data-reason"));
      }
    });
  }

  function typing(e) {
    var t = e.target;
    return !!(t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName)));
  }

  function mayDecide() { return document.body.getAttribute("data-may-decide") === "1"; }

  // The violation a key acts on: the row under the cursor, or the page's own violation.
  function target() {
    var row = current();
    if (row) {
      return { id: row.getAttribute("data-id"), version: +row.getAttribute("data-version"),
               decided: !!row.getAttribute("data-decided"), el: row,
               name: (row.querySelector(".title") || row).textContent.trim() };
    }
    var review = document.querySelector("[data-review]");
    if (review && !list) {
      return { id: review.getAttribute("data-id"), version: +review.getAttribute("data-version"),
               decided: !!review.getAttribute("data-decided"), el: review,
               name: document.title.split(" · ")[0] };
    }
    return null;
  }

  function decideKey(decision) {
    var t = target();
    if (!t || busy) { return; }
    if (!mayDecide()) { sw.toast(sw.t("error.read_only"), "error"); return; }
    if (t.decided) { sw.toast(sw.t("triage.already_decided"), "error"); return; }
    var ask = decision === "false_alarm" ? askReason(t.name) : Promise.resolve({});
    ask.then(function (extra) {
      if (extra === null) { return; }
      var body = { decision: decision, expected_version: t.version };
      if (extra.reason) { body.reason = extra.reason; }
      if (extra.comment) { body.comment = extra.comment; }
      if (!list && sw.reviewComment) { body.comment = body.comment || sw.reviewComment(); }
      send(t.id, body);
    });
  }

  function send(id, body) {
    busy = true;
    sw.post("/api/violations/" + encodeURIComponent(id) + "/decision", body).then(function (res) {
      busy = false;
      if (res.ok) {
        sw.toast(sw.t("triage.decided", { decision: sw.t("decision." + body.decision) }), "ok");
      } else {
        sw.toast(sw.failure(res), "error");
      }
      reload();
    }, function () { busy = false; sw.toast(sw.t("error.network"), "error"); });
  }

  function reload() {
    if (list) { sw.refresh(list); }
    var review = document.getElementById("review");
    if (review) { sw.refresh(review); }
  }

  function bulk(decision) {
    var ids = pickedIds();
    if (!ids.length || busy) { return; }
    var ask = decision === "false_alarm"
      ? askReason(sw.t("bulk.selected", { n: ids.length })) : Promise.resolve({});
    ask.then(function (extra) {
      if (extra === null) { return; }
      var body = { violation_ids: ids, decision: decision };
      if (extra.reason) { body.reason = extra.reason; }
      if (extra.comment) { body.comment = extra.comment; }
      busy = true;
      sw.post("/api/violations/bulk/decision", body).then(function (res) {
        busy = false;
        if (!res.ok) { sw.toast(sw.failure(res), "error"); reload(); return; }
        var results = res.data.results || [];
        var good = results.filter(function (r) { return r.ok; });
        good.forEach(function (r) { delete picked[r.violation_id]; });
        var bad = results.length - good.length;
        sw.toast(sw.t(bad ? "bulk.partly" : "bulk.done", { ok: good.length, failed: bad }),
                 bad ? "error" : "ok");
        reload();
      }, function () { busy = false; sw.toast(sw.t("error.network"), "error"); });
    });
  }

  function openHelp() { if (keysDialog && !keysDialog.open) { keysDialog.showModal(); } }

  document.addEventListener("keydown", function (e) {
    if (e.defaultPrevented || typing(e) || e.ctrlKey || e.metaKey || e.altKey) { return; }
    if (document.querySelector("dialog[open]")) { return; }  // the dialog has the keys
    if (e.key === "Enter" && e.target.closest("a, button, summary")) { return; }
    var handled = true;
    switch (e.key) {
      case "j": step(1); break;
      case "k": step(-1); break;
      case "Enter":
        if (current()) { location.href = current().getAttribute("data-href"); } else { handled = false; }
        break;
      case "c": decideKey("confirmed"); break;
      case "f": decideKey("false_alarm"); break;
      case "x": togglePick(current()); break;
      case "?": openHelp(); break;
      default: handled = false;
    }
    if (handled) { e.preventDefault(); }
  });

  document.addEventListener("click", function (e) {
    var help = e.target.closest("[data-keys-help]");
    if (help) { openHelp(); return; }
    var b = e.target.closest("[data-bulk]");
    if (b) { bulk(b.getAttribute("data-bulk")); return; }
    if (e.target.closest("[data-bulk-clear]")) { picked = {}; restore(); return; }
    var row = e.target.closest("[data-row]");
    if (row && !e.target.closest("a, input, label")) { moveTo(row, false); }
  });
  document.addEventListener("change", function (e) {
    var box = e.target.closest("[data-pick]");
    if (box) { setPick(box.value, box.checked); }
  });
  document.addEventListener("htmx:afterSwap", function (e) {
    if (list && e.target === list) { restore(); }
  });
})();

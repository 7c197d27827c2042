// The inbox chime: a short two-tone sound made with the Web Audio API when a new unhandled
// violation arrives. Off by default; the toggle is remembered in localStorage. Browsers
// keep audio locked until the user clicked or pressed a key on the page, so the context is
// made on the first such gesture, and the toggle says when sound waits for one.
(function () {
  "use strict";
  var sw = window.sitewarden;
  var KEY = "sitewarden.chime";
  var toggle = document.querySelector("[data-chime-toggle]");
  var ctx = null;
  var known = {};

  function enabled() {
    try { return localStorage.getItem(KEY) === "1"; } catch (e) { return false; }
  }
  function remember(on) {
    try { localStorage.setItem(KEY, on ? "1" : "0"); } catch (e) { /* private mode */ }
  }

  function unlocked() { return ctx !== null && ctx.state === "running"; }

  function show() {
    if (!toggle) { return; }
    var on = enabled();
    toggle.setAttribute("aria-pressed", on ? "true" : "false");
    toggle.textContent = on ? (unlocked() ? sw.t("chime.on") : sw.t("chime.waiting"))
                            : sw.t("chime.off");
    toggle.classList.toggle("on", on);
  }

  // Only ever called from a click or key handler: that is what lets the audio start.
  function unlock() {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) { return; }
    if (ctx === null) { ctx = new Ctx(); }
    if (ctx.state === "suspended") { ctx.resume().then(show, show); }
    show();
  }

  function chime() {
    if (!enabled() || !unlocked()) { return; }
    var t = ctx.currentTime;
    [880, 1320].forEach(function (freq, i) {
      var osc = ctx.createOscillator();
      var gain = ctx.createGain();
      osc.type = "sine";
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, t + i * 0.18);
      gain.gain.exponentialRampToValueAtTime(0.25, t + i * 0.18 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + i * 0.18 + 0.35);
      osc.connect(gain).connect(ctx.destination);
      osc.start(t + i * 0.18);
      osc.stop(t + i * 0.18 + 0.4);
    });
    document.body.setAttribute("data-chimed", String(Date.now()));
  }

  document.querySelectorAll("[data-row]").forEach(function (r) {
    known[r.getAttribute("data-id")] = true;
  });
  document.addEventListener("sw:violation", function (e) {
    var d = e.detail || {};
    var item = d.item || {};
    if (!d.violation_id || known[d.violation_id]) { return; }
    known[d.violation_id] = true;
    if (!item.decision) { chime(); }
  });

  if (toggle) {
    toggle.addEventListener("click", function () {
      var on = !enabled();
      remember(on);
      if (on) { unlock(); }
      show();
    });
  }
  function firstGesture() {
    if (enabled()) { unlock(); }
    document.removeEventListener("pointerdown", firstGesture, true);
    document.removeEventListener("keydown", firstGesture, true);
  }
  document.addEventListener("pointerdown", firstGesture, true);
  document.addEventListener("keydown", firstGesture, true);
  show();
})();

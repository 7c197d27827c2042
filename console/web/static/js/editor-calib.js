// sitewarden zone editor: floor calibration. Click floor points on the frame (numbered,
// draggable), type where each is on the floor in metres (or the size of one rectangle whose
// 4 corners were clicked), see each point's residual in metres and a 1 m grid over the
// frame, then save into cameras[].calibration.
(function () {
  "use strict";
  var sw = window.sitewarden, E = sw && sw.editor, t = sw && sw.t;
  if (!E) { return; }
  var $ = function (id) { return document.getElementById(id); };
  var base = "/api/cameras/" + encodeURIComponent(E.camera) + "/calibration";
  var KEY = "calib";
  var C = { open: false, points: [], ground: [], options: {}, result: null };
  var fitTimer = null, fitSeq = 0;

  function rectMode() { return $("ed-cal-mode").value === "rect"; }

  function fromSite() {
    var cal = E.camConfig && E.camConfig.calibration;
    C.points = []; C.ground = []; C.options = {};
    if (cal) {
      cal.pairs.forEach(function (p) { C.points.push(p.image_norm.slice()); C.ground.push(p.ground_m.slice()); });
      Object.keys(cal).forEach(function (k) { if (k !== "pairs" && k !== "resolution_wh") { C.options[k] = cal[k]; } });
    }
  }

  function body() {
    var b = Object.assign({ image_points_norm: C.points }, C.options);
    if (rectMode()) {
      b.width_m = parseFloat($("ed-cal-width").value);
      b.depth_m = parseFloat($("ed-cal-depth").value);
    } else {
      b.ground_points_m = C.ground;
    }
    return b;
  }

  function ready() {
    if (rectMode()) {
      return C.points.length === 4 && parseFloat($("ed-cal-width").value) > 0 &&
        parseFloat($("ed-cal-depth").value) > 0;
    }
    return C.points.length >= 4 && C.ground.length === C.points.length && C.ground.every(function (g) {
      return g.length === 2 && isFinite(g[0]) && isFinite(g[1]) && g[0] !== null && g[1] !== null;
    });
  }

  function scheduleFit() {
    clearTimeout(fitTimer);
    fitTimer = setTimeout(fit, 250);
  }

  function fit() {
    if (!ready()) { C.result = null; show(null); return; }
    var mine = ++fitSeq;
    sw.post(base + "/fit", body()).then(function (r) {
      if (mine !== fitSeq) { return; }
      if (r.ok) { C.result = r.data; show(r.data); return; }
      C.result = null;
      show(null, r.data && r.data.code ? r.data.detail + " (" + r.data.code + ")" : sw.failure(r));
    });
  }

  function show(res, error) {
    $("ed-cal-error").textContent = error || "";
    $("ed-cal-error").hidden = !error;
    $("ed-cal-rms").textContent = res ? t("editor.cal_rms", { rms: res.rms_m.toFixed(3) }) +
      (res.camera_height_m ? " · " + t("editor.cal_height", { h: res.camera_height_m.toFixed(2) }) : "") : "";
    if (res && rectMode()) { C.ground = res.pairs.map(function (p) { return p.ground_m; }); }
    E.canvas.setLayer("grid", res && C.open ? res.grid.map(function (s) {
      return { tag: "line", attrs: { "class": "grid", x1: s[0][0], y1: s[0][1], x2: s[1][0], y2: s[1][1] } };
    }) : []);
    updateRows();
    $("ed-cal-save").disabled = !res;
  }

  // Residuals (and a rectangle's corners in metres) into the rows as they are: rebuilding
  // them would take the focus from the metre being typed.
  function updateRows() {
    var res = C.result;
    Array.prototype.forEach.call(document.querySelectorAll('[data-testid="cal-row"]'), function (tr, i) {
      var rd = tr.querySelector('[data-testid="cal-residual"]');
      var ok = res && res.residuals_m[i] !== undefined;
      rd.textContent = ok ? res.residuals_m[i].toFixed(3) : "";
      rd.className = ok && !res.inliers[i] ? "bad" : "";
      rd.title = ok && !res.inliers[i] ? t("editor.cal_outlier") : "";
      if (rectMode() && C.ground[i]) {
        tr.querySelector('[data-testid="cal-x"]').value = C.ground[i][0];
        tr.querySelector('[data-testid="cal-y"]').value = C.ground[i][1];
      }
    });
  }

  function renderRows() {
    var tbody = $("ed-cal-rows");
    tbody.textContent = "";
    C.points.forEach(function (p, i) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-testid", "cal-row");
      var g = C.ground[i] || [null, null];
      var num = document.createElement("td");
      num.textContent = String(i + 1);
      num.title = (p[0] * 100).toFixed(1) + "%, " + (p[1] * 100).toFixed(1) + "%";
      tr.appendChild(num);
      [0, 1].forEach(function (axis) {
        var td = document.createElement("td"), inp = document.createElement("input");
        inp.type = "number"; inp.step = "any"; inp.inputMode = "decimal";
        inp.setAttribute("data-testid", axis ? "cal-y" : "cal-x");
        inp.setAttribute("aria-label", (axis ? "Y" : "X") + " " + (i + 1) + " (m)");
        inp.value = g[axis] === null || g[axis] === undefined ? "" : g[axis];
        inp.disabled = rectMode();
        inp.addEventListener("change", function () {
          C.ground[i] = C.ground[i] || [null, null];
          C.ground[i][axis] = inp.value.trim() === "" ? null : parseFloat(inp.value);
          scheduleFit();
        });
        td.appendChild(inp); tr.appendChild(td);
      });
      var rd = document.createElement("td");
      rd.setAttribute("data-testid", "cal-residual");
      tr.appendChild(rd);
      var del = document.createElement("td"), btn = document.createElement("button");
      btn.type = "button"; btn.className = "btn subtle"; btn.textContent = "×";
      btn.setAttribute("aria-label", t("editor.cal_remove"));
      btn.addEventListener("click", function () {
        C.points.splice(i, 1); C.ground.splice(i, 1); E.redraw(); scheduleFit(); renderRows();
      });
      del.appendChild(btn); tr.appendChild(del);
      tbody.appendChild(tr);
    });
    updateRows();
  }

  function save() {
    var b = Object.assign(body(), { version: E.version });
    $("ed-cal-save").disabled = true;
    sw.api("PUT", base, b).then(function (r) {
      $("ed-cal-save").disabled = false;
      if (r.ok) {
        E.version = r.data.version;
        E.reloadSite().then(function () {
          var cams = (E.site.cameras || []).filter(function (c) { return c.id === E.camera; });
          E.camConfig = cams[0] || E.camConfig;
        });
        E.status(r.data.reloaded ? t("editor.cal_saved") : t("editor.saved_pending"), "ok");
        return;
      }
      if (r.status === 409) { $("ed-conflict").hidden = false; E.status(t("editor.not_saved_conflict"), "error"); return; }
      show(null, r.data && r.data.code ? r.data.detail + " (" + r.data.code + ")" : sw.failure(r));
    });
  }

  function toggle() {
    C.open = !C.open;
    $("ed-calib").hidden = !C.open;
    $("ed-zone-side").hidden = C.open;  // the side panel shows the points while calibrating
    $("ed-calibrate").setAttribute("aria-pressed", C.open ? "true" : "false");
    E.canvas.setPicking(C.open);
    if (C.open) { fromSite(); renderOptions(); renderRows(); scheduleFit(); } else { show(null); }
    E.redraw();
  }

  function renderOptions() {
    var def = E.schema.$defs.CalibrationConfig;
    window.SchemaForm.render($("ed-cal-options"), { root: E.schema, def: def, value: C.options,
      omit: ["resolution_wh", "pairs"], onChange: scheduleFit });
  }

  E.on("shapes", function () {
    return C.open ? [{ key: KEY, type: "marks", points: C.points, cls: "calib" }] : [];
  });
  E.on("pick", function (p) {
    if (!C.open || (rectMode() && C.points.length >= 4)) { return; }
    C.points.push(p); C.ground.push([null, null]);
    E.redraw(); renderRows(); scheduleFit();
    var inputs = document.querySelectorAll('[data-testid="cal-x"]');
    // ready to type its metres; the picture stays where it is for the next click
    if (inputs.length && !rectMode()) { inputs[inputs.length - 1].focus({ preventScroll: true }); }
  });
  E.on("edit", function (key, points, final) {
    if (key === KEY && final) { C.points = points; scheduleFit(); }
  });
  $("ed-calibrate").addEventListener("click", toggle);
  $("ed-cal-save").addEventListener("click", save);
  $("ed-cal-mode").addEventListener("change", function () {
    $("ed-cal-rect").hidden = !rectMode(); renderRows(); scheduleFit();
  });
  ["ed-cal-width", "ed-cal-depth"].forEach(function (id) { $(id).addEventListener("change", scheduleFit); });
  $("ed-cal-clear").addEventListener("click", function () {
    C.points = []; C.ground = []; C.result = null; E.redraw(); show(null);
  });
})();

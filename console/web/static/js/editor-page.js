// sitewarden zone editor page: the camera's draft zones and masks, their forms (from the
// site file's JSON Schema), checking as you draw, undo/redo, saving against the file's
// version, copying a zone to another camera. The live view, the preview and the
// calibration attach to `sitewarden.editor` (editor-live.js, editor-preview.js,
// editor-calib.js). Everything goes through the editor's JSON API.
(function () {
  "use strict";
  var sw = window.sitewarden, t = sw.t;
  var root = document.getElementById("editor");
  if (!root || !window.ZoneCanvas) { return; }
  var $ = function (id) { return document.getElementById(id); };
  var camera = root.getAttribute("data-camera");
  var LINE = window.ZoneCanvas.LINE_KINDS;
  var seq = 0;

  var E = sw.editor = {
    camera: camera, version: null, site: null, schema: null,
    zones: [], masks: [], sel: null, vertex: -1,
    undo: [], redo: [], current: null, problems: [], outlines: {}, dirty: false,
    listeners: { shapes: [], edit: [], pick: [], loaded: [], saved: [] }
  };
  E.on = function (name, fn) { E.listeners[name].push(fn); };
  E.emit = function (name) {
    var args = Array.prototype.slice.call(arguments, 1);
    return E.listeners[name].map(function (fn) { return fn.apply(null, args); });
  };

  var canvas = E.canvas = new window.ZoneCanvas($("ed-svg"), {
    onSelect: function (key, vertex) { select(key, vertex, true); },
    onEdit: onEdit,
    onCreate: onCreate,
    onPick: function (p) { E.emit("pick", p); }
  });

  // ------------------------------------------------------------------ state
  function key(prefix) { seq += 1; return prefix + seq; }

  function clean(obj) {  // what the site file gets: no editor-only "_" keys
    var out = {};
    Object.keys(obj).forEach(function (k) { if (k.charAt(0) !== "_") { out[k] = obj[k]; } });
    return out;
  }
  E.draftZones = function () { return E.zones.map(clean); };
  E.draftMasks = function () { return E.masks.map(clean); };

  function snap() { return JSON.stringify({ zones: E.zones, masks: E.masks }); }
  function restore(s) {
    var d = JSON.parse(s);
    E.zones = d.zones; E.masks = d.masks;
  }

  E.commit = function () {
    E.undo.push(E.current);
    E.current = snap();
    E.redo = [];
    E.dirty = true;
    scheduleCheck();
    render(false);
  };

  function undo() {
    if (!E.undo.length) { return; }
    E.redo.push(E.current); E.current = E.undo.pop(); restore(E.current);
    E.dirty = true; scheduleCheck(); render(true);
  }
  function redo() {
    if (!E.redo.length) { return; }
    E.undo.push(E.current); E.current = E.redo.pop(); restore(E.current);
    E.dirty = true; scheduleCheck(); render(true);
  }

  function allIds() {
    var ids = {};
    ((E.site && E.site.zones) || []).forEach(function (z) {
      if (z.camera !== camera) { ids[z.id] = true; }
    });
    E.zones.forEach(function (z) { ids[z.id] = true; });
    return ids;
  }
  E.uniqueId = function (base) {
    var ids = allIds(), n = 1;
    while (ids[base + "-" + n]) { n += 1; }
    return base + "-" + n;
  };

  // ------------------------------------------------------------------ loading
  function load() {
    return Promise.all([sw.api("GET", "/api/site"), E.schema ? null : sw.api("GET", "/api/site/schema")])
      .then(function (rs) {
        if (!rs[0].ok) { status(sw.failure(rs[0]), "error"); return; }
        if (rs[1]) { E.schema = rs[1].data; }
        fromSite(rs[0].data);
        E.emit("loaded");
        scheduleCheck();
      });
  }

  function fromSite(data) {
    E.version = data.version; E.site = data.site;
    var cam = (E.site.cameras || []).filter(function (c) { return c.id === camera; })[0] || {};
    E.camConfig = cam;
    E.zones = (E.site.zones || []).filter(function (z) { return z.camera === camera; })
      .map(function (z) { return Object.assign({ _key: key("z"), _prev: z.id }, z); });
    E.masks = (cam.exclusions || []).map(function (m) { return Object.assign({ _key: key("m") }, m); });
    E.undo = []; E.redo = []; E.current = snap(); E.dirty = false; E.problems = [];
    hideConflict();
    render(true);
  }
  E.reloadSite = function () {  // after a save elsewhere on the page: the file's new state
    return sw.api("GET", "/api/site").then(function (r) {
      if (r.ok) { E.version = r.data.version; E.site = r.data.site; }
    });
  };

  E.loadFrame = function () {
    var img = $("ed-frame"), next = new Image();
    next.onload = function () {
      img.src = next.src;
      if (next.naturalWidth && (canvas.w !== next.naturalWidth || canvas.h !== next.naturalHeight)) {
        canvas.setSize(next.naturalWidth, next.naturalHeight);
      }
      $("ed-noframe").hidden = true;
    };
    next.src = "/api/cameras/" + encodeURIComponent(camera) + "/frame.jpg?t=" + Date.now();
  };

  // ------------------------------------------------------------------ canvas events
  function byKey(k) {
    var z = E.zones.filter(function (x) { return x._key === k; })[0];
    return z || E.masks.filter(function (x) { return x._key === k; })[0] || null;
  }
  E.selected = function () { return byKey(E.sel); };

  function select(k, vertex, fromCanvas) {
    var changed = k !== E.sel;
    E.sel = k; E.vertex = vertex === undefined ? -1 : vertex;
    if (!fromCanvas) { canvas.select(k, E.vertex); }
    if (changed) { renderForm(); }
    renderList();
    updateButtons();
  }

  function onEdit(k, points, final) {
    var item = byKey(k);
    if (item) { item.points = points; }
    if (!item) { E.emit("edit", k, points, final); return; }
    if (final) { E.commit(); }
  }

  function onCreate(type, points) {
    var item;
    if (type === "mask") {
      item = { _key: key("m"), points: points };
      E.masks.push(item);
    } else if (type === "line") {
      item = { _key: key("z"), id: E.uniqueId("line"), camera: camera, kind: "line", points: points };
      E.zones.push(item);
    } else {
      item = { _key: key("z"), id: E.uniqueId("zone"), camera: camera, kind: "danger_zone", points: points };
      E.zones.push(item);
    }
    status("");
    E.sel = item._key; E.vertex = -1;
    E.commit();
    renderForm();
  }

  // ------------------------------------------------------------------ rendering
  function shapes() {
    var bad = invalidKeys(), out = [];
    E.zones.forEach(function (z) {
      out.push({ key: z._key, type: LINE[z.kind] ? "line" : "polygon", points: z.points,
                 cls: "kind-" + z.kind + (bad[z._key] ? " invalid" : ""), label: z.id,
                 direction: z.direction || "both", grown: E.outlines[z.id] });
    });
    E.masks.forEach(function (m) {
      out.push({ key: m._key, type: "mask", points: m.points,
                 cls: "mask" + (bad[m._key] ? " invalid" : ""), label: t("editor.mask") });
    });
    E.emit("shapes").forEach(function (extra) { out = out.concat(extra || []); });
    return out;
  }
  E.redraw = function () { canvas.setShapes(shapes(), E.sel, E.vertex); };

  function render(withForm) {
    if (E.sel && !byKey(E.sel) && E.sel.charAt(0) !== "c") { E.sel = null; E.vertex = -1; withForm = true; }
    E.redraw();
    renderList();
    if (withForm) { renderForm(); }
    renderProblems();
    updateButtons();
  }

  function renderList() {
    var list = $("ed-list"), bad = invalidKeys();
    list.textContent = "";
    E.zones.concat(E.masks).forEach(function (item) {
      var isZone = item._key.charAt(0) === "z";
      var b = document.createElement("button");
      b.type = "button";
      b.className = "ed-item" + (item._key === E.sel ? " on" : "") + (bad[item._key] ? " bad" : "");
      b.setAttribute("data-key", item._key);
      b.setAttribute("aria-pressed", item._key === E.sel ? "true" : "false");
      var sw_ = document.createElement("span");
      sw_.className = "swatch " + (isZone ? "kind-" + item.kind : "mask");
      b.appendChild(sw_);
      b.appendChild(document.createTextNode(isZone ? item.id + " · " + t("editor.kind." + item.kind) : t("editor.mask")));
      b.addEventListener("click", function () { select(item._key, -1, false); });
      list.appendChild(b);
    });
    if (!list.firstChild) {
      var p = document.createElement("p");
      p.className = "muted"; p.textContent = t("editor.no_zones");
      list.appendChild(p);
    }
  }

  function defOf(kind) {
    var zones = E.schema.properties.zones.items;
    var ref = zones.discriminator.mapping[kind];
    return ref ? E.schema.$defs[ref.split("/").pop()] : null;
  }
  function kinds() { return Object.keys(E.schema.properties.zones.items.discriminator.mapping); }

  function renderForm() {
    var form = $("ed-form"), item = E.selected();
    form.textContent = "";
    $("ed-form-title").textContent = item ? (item.id || t("editor.mask")) : "";
    if (!item || !E.schema) {
      var p = document.createElement("p");
      p.className = "muted"; p.textContent = t("editor.select_hint");
      form.appendChild(p);
      return;
    }
    if (item._key.charAt(0) === "m") {
      var m = document.createElement("p");
      m.textContent = E.schema.$defs.ExclusionMask.description;
      form.appendChild(m);
      return;
    }
    window.SchemaForm.render(form, { root: E.schema, def: defOf(item.kind), value: item,
      omit: ["camera", "points"], errors: fieldErrors(item), kinds: kinds(), onChange: formChanged });
  }

  function formChanged(item, field) {
    if (field === "kind") { adaptKind(item); E.commit(); renderForm(); return; }
    E.commit();
  }

  // A new kind keeps what still applies: 2 points for a line, 3+ for an area; parameters
  // the new kind does not have are dropped (the file would refuse them).
  function adaptKind(z) {
    var props = defOf(z.kind).properties;
    Object.keys(z).forEach(function (k) {
      if (k.charAt(0) !== "_" && !props[k]) { delete z[k]; }
    });
    if (LINE[z.kind] && z.points.length > 2) { z.points = z.points.slice(0, 2); }
    if (!LINE[z.kind] && z.points.length < 3) {
      var a = z.points[0], b = z.points[1];
      z.points = [a, b, [Math.min(1, (a[0] + b[0]) / 2 + 0.05), Math.min(1, Math.max(a[1], b[1]) + 0.1)]];
    }
  }

  // ------------------------------------------------------------------ problems
  function problemItem(p) {
    if (p.zone_id !== undefined) {
      return E.zones.filter(function (z) { return z.id === p.zone_id; })[0] || null;
    }
    if (p.camera_id === camera && p.field && p.field[0] === "exclusions") {
      return E.masks[p.field[1]] || null;
    }
    return null;
  }

  function invalidKeys() {
    var out = {};
    E.problems.forEach(function (p) {
      var it = problemItem(p);
      if (it && (!p.field || !p.field.length || p.field[0] === "points" || it._key.charAt(0) === "m")) {
        out[it._key] = true;
      }
    });
    return out;
  }

  function fieldErrors(item) {
    var out = {};
    E.problems.forEach(function (p) {
      if (problemItem(p) === item && p.field && p.field.length) { out[p.field.join(".")] = p.msg; }
    });
    return out;
  }

  function renderProblems() {
    var box = $("ed-problems");
    box.textContent = "";
    E.problems.forEach(function (p) {
      var it = problemItem(p), li = document.createElement("li");
      li.setAttribute("data-testid", "problem");
      li.className = "problem";
      var who = it ? (it.id || t("editor.mask")) : (p.path || t("editor.site_file"));
      var where = p.field && p.field.length ? " · " + p.field.join(".") : "";
      li.textContent = who + where + ": " + p.msg;
      if (it) { li.addEventListener("click", function () { select(it._key, -1, false); }); }
      box.appendChild(li);
    });
    box.hidden = !E.problems.length;
    var item = E.selected();
    if (item && item._key.charAt(0) === "z") { window.SchemaForm.showErrors($("ed-form"), fieldErrors(item)); }
  }
  E.setProblems = function (problems) {
    E.problems = problems || [];
    E.redraw(); renderList(); renderProblems();
  };

  var checkTimer = null, checkSeq = 0;
  function scheduleCheck() {
    clearTimeout(checkTimer);
    checkTimer = setTimeout(check, 350);
  }
  function check() {
    if (!E.schema) { return; }
    var mine = ++checkSeq;
    sw.post("/api/cameras/" + encodeURIComponent(camera) + "/zones/check",
            { zones: E.draftZones(), exclusions: E.draftMasks() }).then(function (r) {
      if (mine !== checkSeq || !r.ok) { return; }
      E.outlines = r.data.outlines || {};
      E.setProblems(r.data.problems);
    });
  }

  // ------------------------------------------------------------------ saving
  function status(text, kind) {
    var el = $("ed-status");
    el.textContent = text || "";
    el.className = "ed-status" + (kind ? " " + kind : "");
  }
  E.status = status;

  function save() {
    if (canvas.drawing) { canvas.finishDrawing(); }
    status(t("editor.saving"));
    $("ed-save").disabled = true;
    sw.api("PUT", "/api/cameras/" + encodeURIComponent(camera) + "/zones", {
      version: E.version, zones: E.draftZones(), exclusions: E.draftMasks(),
      previous_ids: E.zones.map(function (z) { return z._prev || null; })
    }).then(function (r) {
      $("ed-save").disabled = false;
      if (r.ok) { return saved(r.data); }
      if (r.status === 422 && Array.isArray(r.data.detail)) {
        E.setProblems(r.data.detail);
        status(t("editor.not_saved_invalid"), "error");
      } else if (r.status === 409) {
        showConflict();
        status(t("editor.not_saved_conflict"), "error");
      } else {
        status(sw.failure(r), "error");
      }
    }, function () { $("ed-save").disabled = false; status(t("editor.offline"), "error"); });
  }

  function saved(data) {
    E.version = data.version; E.dirty = false; E.problems = [];
    E.zones.forEach(function (z) { z._prev = z.id; });
    E.current = snap();
    status(data.reloaded ? t("editor.saved_reloaded") : t("editor.saved_pending"), "ok");
    sw.toast(data.reloaded ? t("editor.saved_reloaded") : t("editor.saved_pending"));
    E.reloadSite();
    E.emit("saved", data);
    render(false);
  }

  function showConflict() { $("ed-conflict").hidden = false; }
  function hideConflict() { $("ed-conflict").hidden = true; }

  function copyZone() {
    var z = E.selected(), target = $("ed-copy-to").value;
    if (!z || z._key.charAt(0) !== "z" || !target) { return; }
    var copy = Object.assign(clean(z), { camera: target });
    var ids = allIds(), id = z.id;
    while (ids[id]) { id = E.uniqueId(z.id); }
    copy.id = id;
    sw.api("POST", "/api/zones", { version: E.version, zone: copy }).then(function (r) {
      if (r.ok) {
        E.version = r.data.version;
        E.reloadSite();
        status(t("editor.copied", { zone: id, camera: target }), "ok");
      } else if (r.status === 409) {
        showConflict(); status(t("editor.not_saved_conflict"), "error");
      } else {
        status(sw.failure(r), "error");
      }
    });
  }

  function deleteSelected() {
    var item = E.selected();
    if (!item) { return; }
    E.zones = E.zones.filter(function (z) { return z !== item; });
    E.masks = E.masks.filter(function (m) { return m !== item; });
    E.sel = null; E.vertex = -1;
    E.commit();
    renderForm();
  }

  function updateButtons() {
    $("ed-undo").disabled = !E.undo.length;
    $("ed-redo").disabled = !E.redo.length;
    var item = E.selected(), isZone = item && item._key.charAt(0) === "z";
    $("ed-delete").disabled = !item;
    $("ed-copy").disabled = !isZone;
    root.classList.toggle("dirty", E.dirty);
  }

  // ------------------------------------------------------------------ input
  function startDrawing(type) {
    canvas.startDrawing(type);
    status(t(type === "line" ? "editor.draw_line_hint" : "editor.draw_hint"));
  }

  function typing(e) {
    var tag = (e.target.tagName || "").toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || e.target.isContentEditable;
  }

  function onKey(e) {
    if (typing(e)) { return; }
    var mod = e.ctrlKey || e.metaKey, k = e.key;
    if (mod && (k === "z" || k === "Z")) { e.preventDefault(); if (e.shiftKey) { redo(); } else { undo(); } return; }
    if (mod && (k === "y" || k === "Y")) { e.preventDefault(); redo(); return; }
    if (k === "Enter" && canvas.drawing) { e.preventDefault(); canvas.finishDrawing(); return; }
    if (k === "Escape") { if (canvas.drawing) { canvas.cancelDrawing(); status(""); } else { select(null, -1, false); } return; }
    if ((k === "Delete" || k === "Backspace") && E.sel) {
      e.preventDefault();
      var res = canvas.deleteVertex();
      if (res === "too_few") { status(t("editor.too_few"), "error"); }
      return;
    }
    var step = e.shiftKey ? 10 : 1;
    var d = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] }[k];
    if (d && canvas.nudge(d[0], d[1])) { e.preventDefault(); }
  }

  function wire() {
    var on = function (id, fn) { $(id).addEventListener("click", fn); };
    on("ed-new-zone", function () { startDrawing("polygon"); });
    on("ed-new-line", function () { startDrawing("line"); });
    on("ed-new-mask", function () { startDrawing("mask"); });
    on("ed-undo", undo);
    on("ed-redo", redo);
    on("ed-delete", deleteSelected);
    on("ed-save", save);
    on("ed-copy", copyZone);
    on("ed-reload", function () { load(); E.loadFrame(); });
    on("ed-refresh-frame", E.loadFrame);
    $("ed-camera").addEventListener("change", function (e) {
      location.href = "/cameras/" + encodeURIComponent(e.target.value) + "/zones";
    });
    // A press on the picture leaves the form: the field being edited commits (its change
    // event) and Delete, arrows and Ctrl+Z act on the drawing, not on that field.
    $("ed-svg").addEventListener("pointerdown", function () {
      var a = document.activeElement;
      if (a && a !== document.body && typeof a.blur === "function") { a.blur(); }
    }, true);
    document.addEventListener("keydown", onKey);
    window.addEventListener("beforeunload", function (e) {
      if (E.dirty) { e.preventDefault(); e.returnValue = ""; }
    });
  }

  wire();
  E.loadFrame();
  // The other editor scripts (deferred, after this one) listen for "loaded": the site is
  // asked for once they all ran, or a fast answer would be announced to nobody.
  document.addEventListener("DOMContentLoaded", load);
})();

// sitewarden zone editor: the drawing surface. One plain-JS SVG component (no framework, no
// build): shapes over a camera's frame, in normalised coordinates (x right, y down, [0, 1]).
//
//   var c = new ZoneCanvas(svg, hooks);   hooks: onSelect(key, vertex), onEdit(key, points,
//                                         final), onCreate(type, points), onPick(point)
//   c.setSize(w, h)                       the frame's pixel size (the viewBox)
//   c.setShapes([{key, type: "polygon"|"line"|"mask"|"marks", points, cls, label,
//                 direction, grown}], selectedKey, vertex)
//   c.startDrawing(type) / c.finishDrawing() / c.cancelDrawing()    "New zone" etc.
//   c.setPicking(on)                      clicks on empty ground call onPick (calibration)
//   c.nudge(dx, dy) / c.deleteVertex()    the selected vertex, in image pixels
//   c.setLayer(name, items)               overlays: [{tag, attrs, text}] (live, grid)
//   c.setFlags(cls, keys)                 toggles a class on shapes (e.g. "occupied")
//
// The page owns the data: the canvas moves a point while it is dragged (onEdit with final
// false) and reports the result once (final true), which is one step of undo.
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var HANDLE_PX = 7, MID_PX = 5, CLOSE_PX = 12, CLICK_PX = 4;
  var LINE_KINDS = { line: true, seal: true };

  function el(tag, attrs, text) {
    var e = document.createElementNS(NS, tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (attrs[k] !== null && attrs[k] !== undefined) { e.setAttribute(k, attrs[k]); }
    });
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  function clamp(v) { return Math.min(1, Math.max(0, v)); }

  function ZoneCanvas(svg, hooks) {
    this.svg = svg;
    this.hooks = hooks || {};
    this.w = 1000; this.h = 562;
    this.shapes = []; this.selected = null; this.vertex = -1;
    this.drawing = null; this.picking = false; this.press = null; this.flags = {};
    svg.setAttribute("preserveAspectRatio", "none");
    this.groups = {};
    ["grid", "shapes", "live", "draft", "handles"].forEach(function (name) {
      this.groups[name] = svg.appendChild(el("g", { "class": "layer-" + name }));
    }, this);
    this.setSize(this.w, this.h);
    svg.addEventListener("pointerdown", this.onDown.bind(this));
    svg.addEventListener("pointermove", this.onMove.bind(this));
    svg.addEventListener("pointerup", this.onUp.bind(this));
    svg.addEventListener("pointercancel", this.onCancel.bind(this));
    if (window.ResizeObserver) {
      new ResizeObserver(this.render.bind(this)).observe(svg);
    }
  }

  var P = ZoneCanvas.prototype;

  P.setSize = function (w, h) {
    this.w = w; this.h = h;
    this.svg.setAttribute("viewBox", "0 0 " + w + " " + h);
    this.render();
  };

  // viewBox units per screen pixel: handles keep their size on any screen
  P.unit = function () {
    var r = this.svg.getBoundingClientRect();
    return r.width > 0 ? this.w / r.width : 1;
  };

  P.toNorm = function (e) {
    var r = this.svg.getBoundingClientRect();
    return [clamp((e.clientX - r.left) / r.width), clamp((e.clientY - r.top) / r.height)];
  };

  P.px = function (p) { return (p[0] * this.w).toFixed(2) + "," + (p[1] * this.h).toFixed(2); };

  P.setShapes = function (shapes, selected, vertex) {
    this.shapes = shapes;
    this.selected = selected === undefined ? this.selected : selected;
    this.vertex = vertex === undefined ? this.vertex : vertex;
    if (!this.shape(this.selected)) { this.selected = null; this.vertex = -1; }
    this.render();
  };

  P.shape = function (key) {
    for (var i = 0; i < this.shapes.length; i++) {
      if (this.shapes[i].key === key) { return this.shapes[i]; }
    }
    return null;
  };

  P.select = function (key, vertex) {
    this.selected = key; this.vertex = vertex === undefined ? -1 : vertex;
    this.render();
    if (this.hooks.onSelect) { this.hooks.onSelect(this.selected, this.vertex); }
  };

  // ------------------------------------------------------------------ drawing
  P.render = function () {
    var g = this.groups.shapes, u = this.unit();
    g.textContent = "";
    this.shapes.forEach(function (s) { this.drawShape(g, s, u); }, this);
    this.drawHandles(u);
    this.drawDraft(null);
  };

  P.drawShape = function (g, s, u) {
    var cls = ["shape", "t-" + s.type, s.cls || ""];
    if (s.key === this.selected) { cls.push("selected"); }
    Object.keys(this.flags).forEach(function (f) { if (this.flags[f][s.key]) { cls.push(f); } }, this);
    var group = g.appendChild(el("g", { "class": cls.join(" "), "data-key": s.key }));
    if (s.grown && s.grown.length > 2) {
      group.appendChild(el("polygon", { "class": "grown", points: s.grown.map(this.px, this).join(" ") }));
    }
    if (s.type === "line") {
      group.appendChild(el("line", { "class": "body", "data-key": s.key,
        x1: s.points[0][0] * this.w, y1: s.points[0][1] * this.h,
        x2: s.points[1][0] * this.w, y2: s.points[1][1] * this.h }));
      this.drawArrows(group, s, u);
    } else if (s.type !== "marks") {
      group.appendChild(el("polygon", { "class": "body", "data-key": s.key,
        points: s.points.map(this.px, this).join(" ") }));
    }
    if (s.type === "marks") {
      s.points.forEach(function (p, i) {
        group.appendChild(el("text", { "class": "mark-label", x: p[0] * this.w + 9 * u,
          y: p[1] * this.h - 9 * u, "font-size": 13 * u }, String(i + 1)));
      }, this);
    } else if (s.label && s.points.length) {
      // by the first point; below it when above would leave the picture
      var a = s.points[0], below = a[1] * this.h < 16 * u;
      group.appendChild(el("text", { "class": "label", x: a[0] * this.w + 4 * u,
        y: a[1] * this.h + (below ? 16 : -5) * u, "font-size": 13 * u }, s.label));
    }
  };

  // A line's direction: arrows across it, from the left of p0->p1 to its right ("in").
  P.drawArrows = function (group, s, u) {
    var a = s.points[0], b = s.points[1];
    var mx = (a[0] + b[0]) / 2 * this.w, my = (a[1] + b[1]) / 2 * this.h;
    var dx = (b[0] - a[0]) * this.w, dy = (b[1] - a[1]) * this.h;
    var len = Math.sqrt(dx * dx + dy * dy) || 1, nx = -dy / len, ny = dx / len;
    var dirs = s.direction === "in" ? [1] : s.direction === "out" ? [-1] : [1, -1];
    dirs.forEach(function (sign) {
      var L = 28 * u, tipx = mx + sign * nx * L, tipy = my + sign * ny * L;
      var bx = -sign * nx, by = -sign * ny, H = 9 * u;
      group.appendChild(el("path", { "class": "arrow", d: "M" + mx + "," + my + " L" + tipx + "," + tipy +
        " M" + (tipx + bx * H - by * H * 0.6) + "," + (tipy + by * H + bx * H * 0.6) +
        " L" + tipx + "," + tipy + " L" + (tipx + bx * H + by * H * 0.6) + "," + (tipy + by * H - bx * H * 0.6) }));
    });
  };

  P.drawHandles = function (u) {
    var g = this.groups.handles;
    g.textContent = "";
    this.shapes.forEach(function (s) {
      if (s.key !== this.selected && s.type !== "marks") { return; }
      var closed = s.type === "polygon" || s.type === "mask";
      if (closed) {
        s.points.forEach(function (p, i) {
          var q = s.points[(i + 1) % s.points.length];
          g.appendChild(el("circle", { "class": "mid", "data-key": s.key, "data-mid": i,
            cx: (p[0] + q[0]) / 2 * this.w, cy: (p[1] + q[1]) / 2 * this.h, r: MID_PX * u }));
        }, this);
      }
      s.points.forEach(function (p, i) {
        var sel = s.key === this.selected && i === this.vertex;
        g.appendChild(el("circle", { "class": "vertex" + (sel ? " selected" : "") + (i === 0 ? " first" : ""),
          "data-key": s.key, "data-vertex": i, cx: p[0] * this.w, cy: p[1] * this.h, r: HANDLE_PX * u }));
      }, this);
    }, this);
  };

  P.drawDraft = function (cursor) {
    var g = this.groups.draft, d = this.drawing, u = this.unit();
    g.textContent = "";
    if (!d) { return; }
    var pts = d.points.slice();
    if (cursor) { pts.push(cursor); }
    if (pts.length > 1) {
      g.appendChild(el("polyline", { "class": "draft", points: pts.map(this.px, this).join(" ") }));
    }
    d.points.forEach(function (p, i) {
      g.appendChild(el("circle", { "class": "vertex" + (i === 0 ? " first" : ""),
        cx: p[0] * this.w, cy: p[1] * this.h, r: HANDLE_PX * u }));
    }, this);
  };

  P.setLayer = function (name, items) {
    var g = this.groups[name === "grid" ? "grid" : "live"];
    if (name !== "grid" && name !== "live") { return; }
    g.textContent = "";
    var u = this.unit();
    (items || []).forEach(function (it) {
      var attrs = {};
      Object.keys(it.attrs || {}).forEach(function (k) {
        var v = it.attrs[k];
        // x/y-like attributes come normalised; sizes of marks in screen pixels
        if (/^(x|x1|x2|cx)$/.test(k)) { v = v * this.w; }
        else if (/^(y|y1|y2|cy)$/.test(k)) { v = v * this.h; }
        else if (k === "width") { v = v * this.w; } else if (k === "height") { v = v * this.h; }
        else if (k === "r" || k === "font-size") { v = v * u; }
        attrs[k] = v;
      }, this);
      g.appendChild(el(it.tag, attrs, it.text));
    }, this);
  };

  P.setFlags = function (cls, keys) {
    var set = {};
    (keys || []).forEach(function (k) { set[k] = true; });
    this.flags[cls] = set;
    var nodes = this.groups.shapes.querySelectorAll("g.shape");
    Array.prototype.forEach.call(nodes, function (n) {
      n.classList.toggle(cls, !!set[n.getAttribute("data-key")]);
    });
  };

  // ------------------------------------------------------------------ modes
  P.startDrawing = function (type) {
    this.drawing = { type: type, points: [] };
    this.svg.classList.add("drawing");
    this.select(null);
  };

  P.cancelDrawing = function () {
    this.drawing = null;
    this.svg.classList.remove("drawing");
    this.drawDraft(null);
  };

  P.finishDrawing = function () {
    var d = this.drawing;
    if (!d) { return false; }
    var need = d.type === "line" ? 2 : 3;
    if (d.points.length < need) { return false; }
    this.cancelDrawing();
    if (this.hooks.onCreate) { this.hooks.onCreate(d.type, d.points); }
    return true;
  };

  P.setPicking = function (on) {
    this.picking = !!on;
    this.svg.classList.toggle("picking", this.picking);
  };

  // ------------------------------------------------------------------ pointer
  P.onDown = function (e) {
    if (e.button !== undefined && e.button !== 0) { return; }
    var t = e.target, key = t.getAttribute("data-key");
    this.press = { x: e.clientX, y: e.clientY, moved: false, drag: null };
    if (this.drawing) { e.preventDefault(); return; }
    if (t.hasAttribute("data-vertex")) {
      this.startDrag(e, key, +t.getAttribute("data-vertex"));
    } else if (t.hasAttribute("data-mid")) {
      var s = this.shape(key), i = +t.getAttribute("data-mid");
      var p = s.points[i], q = s.points[(i + 1) % s.points.length];
      s.points.splice(i + 1, 0, [(p[0] + q[0]) / 2, (p[1] + q[1]) / 2]);
      this.press.inserted = true;
      this.startDrag(e, key, i + 1);
    }
    e.preventDefault();
  };

  P.startDrag = function (e, key, vertex) {
    this.press.drag = { key: key, vertex: vertex };
    this.selected = key; this.vertex = vertex;
    this.svg.setPointerCapture(e.pointerId);
    this.render();
    if (this.hooks.onSelect) { this.hooks.onSelect(key, vertex); }
  };

  P.onMove = function (e) {
    var pr = this.press;
    if (this.drawing) { this.drawDraft(this.toNorm(e)); }
    if (!pr) { return; }
    if (Math.abs(e.clientX - pr.x) + Math.abs(e.clientY - pr.y) > CLICK_PX) { pr.moved = true; }
    if (pr.drag && pr.moved) {
      var s = this.shape(pr.drag.key);
      s.points[pr.drag.vertex] = this.toNorm(e);
      this.render();
      if (this.hooks.onEdit) { this.hooks.onEdit(s.key, s.points, false); }
    }
  };

  P.onUp = function (e) {
    var pr = this.press;
    this.press = null;
    if (!pr) { return; }
    if (pr.drag) {
      var s = this.shape(pr.drag.key);
      if ((pr.moved || pr.inserted) && this.hooks.onEdit) { this.hooks.onEdit(s.key, s.points, true); }
      return;
    }
    if (pr.moved) { return; }
    this.click(e);
  };

  P.onCancel = function () {
    var pr = this.press;
    this.press = null;
    if (pr && pr.drag && (pr.moved || pr.inserted)) {
      var s = this.shape(pr.drag.key);
      if (this.hooks.onEdit) { this.hooks.onEdit(s.key, s.points, true); }
    }
  };

  P.click = function (e) {
    var p = this.toNorm(e), d = this.drawing;
    if (d) {
      var first = d.points[0], u = this.unit();
      if (first && d.points.length >= 3 && d.type !== "line" &&
          Math.abs(first[0] - p[0]) * this.w / u < CLOSE_PX && Math.abs(first[1] - p[1]) * this.h / u < CLOSE_PX) {
        this.finishDrawing();
        return;
      }
      d.points.push(p);
      if (d.type === "line" && d.points.length === 2) { this.finishDrawing(); return; }
      this.drawDraft(p);
      return;
    }
    var key = e.target.getAttribute("data-key");
    if (key) { this.select(key, -1); return; }
    if (this.picking && this.hooks.onPick) { this.hooks.onPick(p); return; }
    this.select(null);
  };

  // ------------------------------------------------------------------ keyboard edits
  P.nudge = function (dx, dy) {
    var s = this.shape(this.selected);
    if (!s || this.vertex < 0) { return false; }
    var p = s.points[this.vertex];
    s.points[this.vertex] = [clamp(p[0] + dx / this.w), clamp(p[1] + dy / this.h)];
    this.render();
    if (this.hooks.onEdit) { this.hooks.onEdit(s.key, s.points, true); }
    return true;
  };

  P.deleteVertex = function () {
    var s = this.shape(this.selected);
    if (!s || this.vertex < 0) { return "none"; }
    var min = s.type === "line" ? 2 : s.type === "marks" ? 0 : 3;
    if (s.points.length <= min) { return "too_few"; }
    s.points.splice(this.vertex, 1);
    this.vertex = Math.min(this.vertex, s.points.length - 1);
    this.render();
    if (this.hooks.onEdit) { this.hooks.onEdit(s.key, s.points, true); }
    return "deleted";
  };

  ZoneCanvas.LINE_KINDS = LINE_KINDS;
  window.ZoneCanvas = ZoneCanvas;
})();

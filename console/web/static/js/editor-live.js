// sitewarden zone editor: the live view. What the camera's analysis sees now (tracks, each
// person's feet, the saved zones that count them) over a frame refreshed once a second,
// from GET /api/cameras/{id}/live (Server-Sent Events at the analysis rate).
(function () {
  "use strict";
  var sw = window.sitewarden, E = sw && sw.editor;
  if (!E) { return; }
  var box = document.getElementById("ed-live"), info = document.getElementById("ed-live-info");
  var source = null, frameTimer = null;

  function items(data) {
    var counted = {};
    Object.keys(data.zones).forEach(function (z) {
      data.zones[z].forEach(function (id) { counted[id] = (counted[id] || []).concat([z]); });
    });
    var out = [];
    data.tracks.forEach(function (tr) {
      var b = tr.box, cls = counted[tr.id] ? "track counted" : "track";
      out.push({ tag: "rect", attrs: { "class": cls, x: b[0], y: b[1], width: b[2] - b[0], height: b[3] - b[1] } });
      out.push({ tag: "circle", attrs: { "class": "feet", cx: tr.feet[0], cy: tr.feet[1], r: 4 } });
      out.push({ tag: "text", attrs: { "class": "track-id", x: b[0], y: b[1], "font-size": 12 },
                 text: "#" + tr.id + (counted[tr.id] ? " → " + counted[tr.id].join(", ") : "") });
    });
    return out;
  }

  function occupied(data) {
    var keys = [];
    E.zones.forEach(function (z) {
      var ids = data.zones[z._prev || z.id];
      if (ids && ids.length) { keys.push(z._key); }
    });
    return keys;
  }

  function onFrame(e) {
    var data = JSON.parse(e.data);
    E.canvas.setLayer("live", items(data));
    E.canvas.setFlags("occupied", occupied(data));
    var inZones = Object.keys(data.zones).filter(function (z) { return data.zones[z].length; })
      .map(function (z) { return z + " (" + data.zones[z].length + ")"; });
    info.textContent = sw.t("editor.live_info", { n: data.tracks.length,
      zones: inZones.length ? inZones.join(", ") : "–" });
  }

  function start() {
    source = new EventSource("/api/cameras/" + encodeURIComponent(E.camera) + "/live");
    source.addEventListener("frame", onFrame);
    frameTimer = setInterval(E.loadFrame, 1000);
    info.hidden = false;
    info.textContent = sw.t("editor.live_waiting");
  }

  function stop() {
    if (source) { source.close(); source = null; }
    clearInterval(frameTimer);
    E.canvas.setLayer("live", []);
    E.canvas.setFlags("occupied", []);
    info.hidden = true;
  }

  box.addEventListener("change", function () { if (box.checked) { start(); } else { stop(); } });
  window.addEventListener("pagehide", stop);
})();

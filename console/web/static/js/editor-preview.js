// sitewarden zone editor: the preview. The camera's draft zones (unsaved) over recorded
// footage, through the box's own analysis: which violations would they have raised? Shown
// on a timeline with the snapshot of each violation's first frame.
(function () {
  "use strict";
  var sw = window.sitewarden, E = sw && sw.editor, t = sw && sw.t;
  if (!E) { return; }
  var $ = function (id) { return document.getElementById(id); };
  var base = "/api/cameras/" + encodeURIComponent(E.camera) + "/preview";
  var poll = null;

  // A failed listing (the box busy reloading its file, a network blip) is asked again a few
  // times: without it the select offers only the recent footage.
  function loadSources(triesLeft) {
    var retry = function () {
      if (triesLeft > 0) { setTimeout(function () { loadSources(triesLeft - 1); }, 2000); }
    };
    sw.api("GET", base + "/sources").then(function (r) {
      if (!r.ok) { retry(); return; }
      var sel = $("ed-source");
      sel.textContent = "";
      r.data.forEach(function (s) {
        var o = document.createElement("option");
        o.value = s.source;
        // the file's name (paths are long on a phone); the whole path as its tooltip
        var name = s.source.split("/").pop();
        o.textContent = s.kind === "recent" ? t("editor.source_recent") :
          (s.kind === "camera_file" ? t("editor.source_camera_file") + ": " : "") + name;
        o.title = s.source;
        sel.appendChild(o);
      });
    }, retry);
  }

  function progress() {
    sw.api("GET", base + "/progress").then(function (r) {
      if (r.ok && r.data.running && r.data.source_time_s !== null) {
        $("ed-preview-state").textContent = t("editor.previewing_at", { s: r.data.source_time_s.toFixed(0) });
      }
    });
  }

  function run() {
    var dur = parseFloat($("ed-duration").value);
    $("ed-preview").disabled = true;
    $("ed-preview-state").textContent = t("editor.previewing");
    $("ed-results").textContent = "";
    poll = setInterval(progress, 1000);
    sw.post(base, { zones: E.draftZones(), exclusions: E.draftMasks(), source: $("ed-source").value,
                    duration_s: dur > 0 ? dur : null }).then(function (r) {
      clearInterval(poll);
      $("ed-preview").disabled = false;
      if (r.ok) { show(r.data); return; }
      if (r.status === 422 && Array.isArray(r.data.detail)) {
        E.setProblems(r.data.detail);
        $("ed-preview-state").textContent = t("editor.preview_invalid");
      } else {
        $("ed-preview-state").textContent = sw.failure(r);
      }
    }, function () { clearInterval(poll); $("ed-preview").disabled = false; });
  }

  function show(data) {
    var n = data.violations.length;
    $("ed-preview-state").textContent = t("editor.preview_done", { n: n,
      s: data.duration_s.toFixed(0), elapsed: data.elapsed_s.toFixed(1) }) + (data.note ? " " + data.note : "");
    var res = $("ed-results");
    res.appendChild(timeline(data));
    var list = document.createElement("ol");
    list.className = "ed-violations";
    data.violations.forEach(function (v) { list.appendChild(card(v)); });
    res.appendChild(list);
  }

  // One lane per zone: when each zone's violations ran, over the whole footage.
  function timeline(data) {
    var box = document.createElement("div"), dur = Math.max(data.duration_s, 0.001), lanes = {};
    box.className = "ed-timeline";
    box.setAttribute("data-testid", "preview-timeline");
    data.violations.forEach(function (v) {
      if (!lanes[v.zone_id]) {
        var row = document.createElement("div"), name = document.createElement("span");
        row.className = "tl-lane";
        name.className = "tl-name"; name.textContent = v.zone_id;
        lanes[v.zone_id] = document.createElement("div");
        lanes[v.zone_id].className = "tl-bar";
        row.appendChild(name); row.appendChild(lanes[v.zone_id]); box.appendChild(row);
      }
      var end = v.end_source_time_s === null ? dur : v.end_source_time_s;
      var span = document.createElement("span");
      span.className = "tl-span kind-" + v.kind;
      span.setAttribute("data-zone", v.zone_id);
      span.style.left = (100 * v.source_time_s / dur) + "%";
      span.style.width = Math.max(0.6, 100 * (end - v.source_time_s) / dur) + "%";
      span.title = v.zone_id + " " + v.source_time_s.toFixed(1) + " s";
      lanes[v.zone_id].appendChild(span);
    });
    return box;
  }

  function card(v) {
    var li = document.createElement("li");
    li.className = "ed-violation";
    li.setAttribute("data-testid", "preview-violation");
    li.setAttribute("data-zone", v.zone_id);
    li.setAttribute("data-start", v.source_time_s);
    if (v.snapshot_url) {
      var img = document.createElement("img");
      img.src = v.snapshot_url; img.alt = v.zone_id; img.loading = "lazy";
      li.appendChild(img);
    }
    var p = document.createElement("p");
    var end = v.end_source_time_s === null ? "…" : v.end_source_time_s.toFixed(1) + " s";
    p.textContent = v.zone_id + " · " + t("editor.kind." + v.kind) + " · " +
      t("editor.from_to", { from: v.source_time_s.toFixed(1) + " s", to: end }) +
      (v.max_count ? " · " + t("editor.max_count", { n: v.max_count }) : "");
    li.appendChild(p);
    return li;
  }

  $("ed-preview").addEventListener("click", run);
  E.on("loaded", function () { loadSources(4); });
})();

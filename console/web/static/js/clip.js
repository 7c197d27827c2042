// The clip player: a timeline under the video with the pre-roll, the violation and the
// post-roll, a marker where the violation starts, a playhead; clicking the timeline seeks,
// "jump to start" goes to the marker and plays.
(function () {
  "use strict";
  var fig = document.querySelector("[data-clip]");
  if (!fig) { return; }
  var video = fig.querySelector("[data-video]");
  var line = fig.querySelector("[data-timeline]");
  var head = fig.querySelector("[data-playhead]");
  var clock = fig.querySelector("[data-clip-time]");
  var start = parseFloat(fig.getAttribute("data-start") || "0");

  function duration() {
    var d = video.duration;
    return isFinite(d) && d > 0 ? d : parseFloat(fig.getAttribute("data-duration") || "0");
  }

  function draw() {
    var d = duration();
    if (!d) { return; }
    if (head) { head.style.left = Math.min(100, 100 * video.currentTime / d) + "%"; }
    if (clock) { clock.textContent = video.currentTime.toFixed(1) + " / " + d.toFixed(1) + " s"; }
    fig.classList.toggle("in-violation", video.currentTime >= start &&
                         video.currentTime <= parseFloat(fig.getAttribute("data-end") || d));
  }

  function play() {
    var p = video.play();
    if (p && p.catch) { p.catch(function () { /* the user pressed pause or left */ }); }
  }

  video.addEventListener("timeupdate", draw);
  video.addEventListener("loadedmetadata", draw);
  video.addEventListener("seeked", draw);
  fig.addEventListener("click", function (e) {
    if (e.target.closest("[data-jump-start]")) {
      video.currentTime = start;
      play();
      return;
    }
    if (line && e.target.closest("[data-timeline]")) {
      var rect = line.getBoundingClientRect();
      video.currentTime = Math.max(0, Math.min(1, (e.clientX - rect.left) / rect.width)) * duration();
    }
  });
})();

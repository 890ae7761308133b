// productops pages: draw each chart from the JSON beside it with uPlot (loaded only on pages
// with charts); no inline scripts, so the Content-Security-Policy needs no 'unsafe-inline'.
(function () {
  "use strict";
  var COLOURS = ["#1f5fbf", "#c2571a", "#17663a", "#8a3ab9", "#a3261b", "#5b6573"];

  function options(spec, width) {
    var series = [{ label: spec.xlabel || "x" }];
    spec.series.forEach(function (s, i) {
      var one = { label: s.label, stroke: COLOURS[i % COLOURS.length], width: 2, spanGaps: true };
      if (spec.kind === "scatter" && !s.line) {
        one.paths = function () { return null; };
        one.points = { show: true, size: 7, fill: COLOURS[i % COLOURS.length] };
      }
      if (spec.kind === "bars") {
        one.paths = uPlot.paths.bars({ size: [0.6, 40] });
        one.fill = COLOURS[i % COLOURS.length];
      }
      series.push(one);
    });
    return {
      width: width,
      height: 260,
      scales: { x: { time: !!spec.time } },
      axes: [{ label: spec.xlabel || "" }, { label: spec.ylabel || "" }],
      series: series,
    };
  }

  function draw(box) {
    var source = document.getElementById(box.getAttribute("data-chart"));
    if (!source || typeof uPlot === "undefined") return;
    var spec = JSON.parse(source.textContent);
    var data = [spec.x].concat(spec.series.map(function (s) { return s.values; }));
    box.textContent = "";
    new uPlot(options(spec, Math.max(box.clientWidth, 280)), data, box);
  }

  function drawAll(root) {
    root.querySelectorAll("[data-chart]").forEach(draw);
  }

  // A table box that scrolls sideways with nothing in it to focus takes the focus itself,
  // so that the keyboard can scroll it (WCAG 2.1.1).
  var FOCUSABLE = "a[href], button, input, select, textarea, summary, [tabindex]";

  function letKeysScroll(root) {
    root.querySelectorAll(".scroll, pre").forEach(function (box) {
      var wide = box.scrollWidth > box.clientWidth;
      if (wide && !box.hasAttribute("tabindex") && !box.querySelector(FOCUSABLE)) {
        box.setAttribute("tabindex", "0");
      }
    });
  }

  function ready(root) {
    drawAll(root);
    letKeysScroll(root);
  }

  document.addEventListener("DOMContentLoaded", function () { ready(document); });
  document.addEventListener("htmx:afterSwap", function (e) { ready(e.target); });
})();

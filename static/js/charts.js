/* Builds the performance charts from the data the page passes with json_script:
   <canvas data-chart-source="ID"> reads {labels, yTitle, datasets: [{label, data,
   dash, point}]} from the <script type="application/json" id="ID">. Lines differ by
   dash pattern and point shape as well as colour; the same numbers are in a table
   beside each chart. No inline script: this file is all the page runs. */
(function () {
  "use strict";
  // Brand blue, burnt orange, green, purple: distinct for common colour blindness too.
  var PALETTE = ["#3a45c2", "#c2571a", "#1b7f5c", "#8a2d8f", "#5f6b7a", "#a8286a"];

  function build(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart-source"));
    if (!source || typeof window.Chart === "undefined") {
      return;
    }
    var spec = JSON.parse(source.textContent);
    var datasets = spec.datasets.map(function (set, index) {
      var colour = PALETTE[index % PALETTE.length];
      return {
        label: set.label,
        data: set.data.map(Number),
        borderColor: colour,
        backgroundColor: colour,
        borderDash: set.dash || [],
        pointStyle: set.point || "circle",
        pointRadius: spec.labels.length > 60 ? 0 : 3,
        pointHoverRadius: 5,
        borderWidth: 2,
        tension: 0.25
      };
    });
    // eslint-disable-next-line no-new
    new window.Chart(canvas, {
      type: "line",
      data: { labels: spec.labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        plugins: {
          legend: { position: "bottom", labels: { usePointStyle: true, boxWidth: 10 } }
        },
        scales: {
          x: { ticks: { autoSkip: true, maxRotation: 0, maxTicksLimit: 10 } },
          y: { beginAtZero: true, title: { display: true, text: spec.yTitle } }
        }
      }
    });
  }

  function buildAll() {
    var canvases = document.querySelectorAll("canvas[data-chart-source]");
    Array.prototype.forEach.call(canvases, build);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", buildAll);
  } else {
    buildAll();
  }
})();

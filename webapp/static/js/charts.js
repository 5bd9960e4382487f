// The stats page's charts: each <canvas data-chart="{...}"> draws the numbers of the table
// beside it with the vendored Chart.js. The data rides in an attribute because the CSP
// allows no inline script; Chart.js styles its canvas through the DOM, which the CSP allows.
(function () {
  "use strict";
  var colours = ["#2f6fde", "#e0823d", "#3c9a5f", "#b34dbd", "#c9a227", "#d14a4a", "#4bb5c1", "#7a7f8c"];

  function draw(canvas) {
    if (canvas.dataset.drawn || typeof Chart === "undefined") return;
    var spec = JSON.parse(canvas.dataset.chart);
    spec.datasets.forEach(function (dataset, index) {
      dataset.backgroundColor = colours[index % colours.length];
      dataset.borderColor = colours[index % colours.length];
    });
    new Chart(canvas, {
      type: spec.type,
      data: {labels: spec.labels, datasets: spec.datasets},
      options: {animation: false, responsive: true, maintainAspectRatio: false,
                scales: {y: {beginAtZero: true}}}
    });
    canvas.dataset.drawn = "true";
  }

  function drawAll() {
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", drawAll);
  document.addEventListener("htmx:afterSettle", drawAll);
})();

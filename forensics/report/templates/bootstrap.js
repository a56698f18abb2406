(function () {
  "use strict";
  // Draws every figure from its <script type="application/json" data-figure="ID"> block into
  // the element with that id. Data is only ever parsed as JSON, never executed.
  var cfgEl = document.getElementById("report-config");
  var cfg = cfgEl ? JSON.parse(cfgEl.textContent) : {};
  if (!window.Plotly) { return; }
  if (cfg.locale) { Plotly.register(cfg.locale); }
  var drawn = [];
  var blocks = document.querySelectorAll('script[type="application/json"][data-figure]');
  for (var i = 0; i < blocks.length; i++) {
    var target = document.getElementById(blocks[i].getAttribute("data-figure"));
    if (!target) { continue; }
    var fig = JSON.parse(blocks[i].textContent);
    Plotly.newPlot(target, fig.data, fig.layout, cfg.plotly || {});
    drawn.push(target);
  }
  // Printing: redraw the figures at the width of an A4 page, then back to the window's width.
  window.addEventListener("beforeprint", function () {
    for (var j = 0; j < drawn.length; j++) { Plotly.relayout(drawn[j], { width: cfg.printWidth || 700 }); }
  });
  window.addEventListener("afterprint", function () {
    for (var j = 0; j < drawn.length; j++) { Plotly.relayout(drawn[j], { width: null, autosize: true }); }
  });
})();

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
  // Printing: the annexes open (they print after the body), the figures are redrawn at the
  // width of an A4 page; afterwards both go back as they were.
  var folded = [];
  window.addEventListener("beforeprint", function () {
    var closed = document.querySelectorAll("details.annex:not([open])");
    for (var k = 0; k < closed.length; k++) { closed[k].open = true; folded.push(closed[k]); }
    for (var j = 0; j < drawn.length; j++) { Plotly.relayout(drawn[j], { width: cfg.printWidth || 700 }); }
  });
  window.addEventListener("afterprint", function () {
    while (folded.length) { folded.pop().open = false; }
    for (var j = 0; j < drawn.length; j++) { Plotly.relayout(drawn[j], { width: null, autosize: true }); }
  });
})();

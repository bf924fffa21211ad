// The overview's chart: orders per day (bars' axis on the left) and each currency's charges
// (on the right), drawn by uPlot from the JSON the page carries. Without JavaScript the page
// still has the same figures as a table.
(function () {
  "use strict";
  function draw() {
    var holder = document.getElementById("chart");
    var source = document.getElementById("chart-data");
    if (!holder || !source || typeof uPlot === "undefined") return;
    var data = JSON.parse(source.textContent);
    var xs = data.days.map(function (d) { return Date.parse(d + "T00:00:00Z") / 1000; });
    var series = [{}, { label: "orders", stroke: "#2563eb", fill: "rgba(37,99,235,0.12)", scale: "n" }];
    var columns = [xs, data.orders];
    var colours = ["#059669", "#d97706", "#9333ea", "#dc2626"];
    Object.keys(data.charges).forEach(function (currency, i) {
      series.push({ label: "charges " + currency, stroke: colours[i % colours.length], scale: "m" });
      columns.push(data.charges[currency].map(Number));
    });
    function width() { return Math.max(holder.clientWidth, 260); }
    var plot = new uPlot({
      width: width(),
      height: 240,
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"); },
      series: series,
      axes: [{}, { scale: "n" }, { scale: "m", side: 1, grid: { show: false } }],
    }, columns, holder);
    window.addEventListener("resize", function () { plot.setSize({ width: width(), height: 240 }); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();

// The answer that shows a new API key once replaces its own history entry with the account's
// page: a reload then asks for that page (no key on it), not the form again (a new key).
(function () {
  "use strict";
  var shown = document.querySelector("[data-replace-url]");
  if (shown && window.history && window.history.replaceState) {
    window.history.replaceState(null, "", shown.getAttribute("data-replace-url"));
  }
})();

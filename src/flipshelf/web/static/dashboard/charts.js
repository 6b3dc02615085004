/* flipshelf dashboard: the statistics charts, drawn by uPlot (vendor/) from the page's JSON
   data block. The tables beside each chart hold the same numbers for screen readers. */
(function () {
  "use strict";

  var block = document.getElementById("ds-chart-data");
  if (!block || !window.uPlot) { return; }
  var data = JSON.parse(block.textContent);
  var BLUE = "#1d56b3";
  var ORANGE = "#b35900";
  var GREEN = "#1e7a3a";
  var AXIS = { stroke: "#4a515c", grid: { stroke: "#e4e7ec" }, ticks: { stroke: "#d5d9e0" } };

  function seconds(day) { return Date.parse(day + "T00:00:00Z") / 1000; }

  function utc(ts) { return uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"); }

  function widthOf(element) { return Math.max(280, element.clientWidth || 600); }

  /* Every figure is a whole number counted from zero: no fractional ticks, no floating base. */
  var WHOLE = {
    incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000],
    values: function (u, ticks) { return ticks.map(function (v) { return Number.isInteger(v) ? v : ""; }); }
  };

  function fromZero(u, min, max) { return [0, Math.max(1, Math.ceil(max * 1.1))]; }

  function scales(x, second) {
    var all = { x: x, y: { range: fromZero } };
    if (second) { all[second] = { range: fromZero }; }
    return all;
  }

  function axes(second) {
    var list = [Object.assign({}, AXIS), Object.assign({}, AXIS, WHOLE, { size: 56 })];
    if (second) {
      list.push(Object.assign({}, AXIS, WHOLE, { side: 1, scale: second, grid: { show: false }, size: 56 }));
    }
    return list;
  }

  var bars = uPlot.paths && uPlot.paths.bars ? uPlot.paths.bars({ size: [0.6, 48] }) : undefined;

  function draw(element, options, values) {
    options.width = widthOf(element);
    options.height = 240;
    var chart = new uPlot(options, values, element);
    window.addEventListener("resize", function () {
      chart.setSize({ width: widthOf(element), height: 240 });
    });
    return chart;
  }

  var charts = [];
  var days = data.starts.map(seconds);
  var readers = document.querySelector('[data-chart="readers"]');
  if (readers) {
    charts.push(draw(readers, {
      tzDate: utc,
      scales: scales({ time: true }),
      axes: axes(),
      series: [
        {},
        { label: "Impressions", stroke: BLUE, width: 2, points: { show: true } },
        { label: "Views", stroke: ORANGE, width: 2, points: { show: true } }
      ]
    }, [days, data.impressions, data.views]));
  }
  var reading = document.querySelector('[data-chart="reading"]');
  if (reading) {
    charts.push(draw(reading, {
      tzDate: utc,
      scales: scales({ time: true }, "n"),
      axes: axes("n"),
      series: [
        {},
        { label: "Reading time (s)", stroke: GREEN, fill: "rgba(30,122,58,0.12)", width: 2 },
        { label: "Downloads", stroke: BLUE, width: 2, scale: "n", points: { show: true } }
      ]
    }, [days, data.time, data.downloads]));
  }
  var pages = document.querySelector('[data-chart="pages"]');
  if (pages && data.pages.page.length) {
    var pageAxes = axes("t");
    /* Page numbers are whole: no tick between two pages. */
    Object.assign(pageAxes[0], WHOLE);
    charts.push(draw(pages, {
      scales: scales(
        { time: false, range: function (u, min, max) { return [min - 0.5, max + 0.5]; } }, "t"
      ),
      axes: pageAxes,
      series: [
        { label: "Page" },
        { label: "Views", stroke: BLUE, fill: "rgba(29,86,179,0.35)", paths: bars, points: { show: false } },
        { label: "Reading time (s)", stroke: ORANGE, width: 2, scale: "t", points: { show: true } }
      ]
    }, [data.pages.page, data.pages.views, data.pages.time]));
  }
  document.documentElement.setAttribute("data-charts", String(charts.length));
})();

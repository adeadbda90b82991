/* The dashboard's charts (workflows/templates/supervision/dashboard.html), drawn from the figures in
   #dashboard-charts with the Chart.js this site serves. A static file: the Content-Security-Policy needs no inline script. */
(function () {
  // Draws the charts from the figures in #dashboard-charts once Chart.js, served by this site, has loaded.
  var COLORS = ["#1565c0", "#ef6c00", "#2e7d32", "#6a1b9a", "#c62828", "#00838f", "#9e9d24", "#5d4037", "#ad1457", "#455a64"];
  function draw() {
    var data = JSON.parse(document.getElementById("dashboard-charts").textContent);
    var C = window.Chart;
    C.defaults.font.family = '"Noto Sans CJK SC", "Microsoft YaHei", sans-serif';
    C.defaults.maintainAspectRatio = false;
    function make(id, config) {
      var canvas = document.getElementById(id);
      if (!canvas) return;
      var old = C.getChart(canvas);
      if (old) old.destroy();
      new C(canvas, config);
    }
    function bars(labels, sets, options) {
      return {type: "bar", data: {labels: labels, datasets: sets.map(function (s, i) {
        return Object.assign({backgroundColor: COLORS[i % COLORS.length]}, s);
      })}, options: options || {}};
    }
    // A legend of many series: small boxes, at the bottom, so the names wrap under the chart instead of crowding it.
    var LEGEND = {position: "bottom", labels: {boxWidth: 12, boxHeight: 12, padding: 10}};
    var d = data.categories;
    make("chart-categories", bars(d.labels, Object.keys(d.series).map(function (k) { return {label: k, data: d.series[k]}; }),
      {scales: d.scales, plugins: {legend: LEGEND}}));
    make("chart-stages", bars(data.stages.labels, [{label: "事项（件）", data: data.stages.values}],
      {plugins: {legend: {display: false}}, scales: data.stages.scales}));
    var t = data.targets;
    var sets = t.series.map(function (s, i) {
      return {label: s.label, data: s.data, borderColor: COLORS[i % COLORS.length], backgroundColor: COLORS[i % COLORS.length], tension: 0.2};
    });
    sets.push({label: "序时进度", data: t.pace, borderColor: "#9e9e9e", borderDash: [6, 4], pointRadius: 0, backgroundColor: "#9e9e9e"});
    make("chart-targets", {type: "line", data: {labels: t.labels, datasets: sets},
      options: {plugins: {legend: LEGEND}, scales: {y: {beginAtZero: true, title: {display: true, text: "完成率（%）"}}}}});
    var r = data.revitalized;
    make("chart-revitalized", {type: "bar", data: {labels: r.labels, datasets: [
      {type: "bar", label: "当月盘活（项）", data: r.count, backgroundColor: COLORS[0], yAxisID: "y"},
      {type: "line", label: "累计原值（万元）", data: r.value, borderColor: COLORS[1], backgroundColor: COLORS[1], yAxisID: "y1"}
    ]}, options: {scales: r.scales}});
    var p = data.proceeds;
    make("chart-proceeds", bars(p.labels, [{label: "应收", data: p.due}, {label: "实收", data: p.received}, {label: "上缴", data: p.remitted}],
      {scales: {y: {beginAtZero: true, title: {display: true, text: "元（本年累计）"}}}}));
    make("chart-overdue", bars(data.overdue.labels, [{label: "超期（件）", data: data.overdue.values, backgroundColor: "#c62828"}],
      {indexAxis: "y", plugins: {legend: {display: false}}, scales: data.overdue.scales}));
    make("chart-durations", bars(data.durations.labels, [{label: "平均用时（天）", data: data.durations.values}], {plugins: {legend: {display: false}}}));
    var c = data.completion;
    make("chart-completion", bars(c.labels, [{label: "销号率（%）", data: c.closure}, {label: "盘活率（%）", data: c.revitalization}],
      {indexAxis: "y", scales: {x: {beginAtZero: true, max: 100}, y: {ticks: {autoSkip: false}}}}));
  }
  // The parts of the page (概览 / 目标 / 预警 / 收入 / 进度): one shown at a time, chosen by the link or the address's
  // #tab-…, 概览 by default. Without this script every part shows and the links jump to them.
  function tabs() {
    var nav = document.getElementById("dash-nav");
    if (!nav) return;
    var panels = document.querySelectorAll("[data-panel]");
    function show(name) {
      var found = false;
      panels.forEach(function (p) { if (p.dataset.panel === name) found = true; });
      if (!found) name = "overview";
      panels.forEach(function (p) { p.hidden = p.dataset.panel !== name; });
      nav.querySelectorAll("a[data-tab]").forEach(function (a) {
        a.setAttribute("aria-current", a.dataset.tab === name ? "true" : "false");
      });
    }
    function fromHash() {
      var hash = window.location.hash.slice(1);
      if (hash.indexOf("tab-") === 0) return hash.slice(4);
      // An anchor inside a part (#units, #alert-rent_arrears) opens the part that holds it.
      var target = hash && document.getElementById(hash);
      var panel = target && target.closest("[data-panel]");
      return panel ? panel.dataset.panel : "overview";
    }
    document.querySelectorAll("a[data-tab]").forEach(function (a) {
      a.addEventListener("click", function (event) {
        event.preventDefault();
        show(a.dataset.tab);
        history.replaceState(null, "", "#tab-" + a.dataset.tab);
        window.scrollTo(0, nav.getBoundingClientRect().top + window.scrollY - 8);
      });
    });
    show(fromHash());
  }
  tabs();
  var library = document.getElementById("chartjs");
  if (window.Chart) { draw(); }
  else if (library) { library.addEventListener("load", draw, {once: true}); }
})();

/* The Explore page: phenotype + regimen + physiology sliders -> POST /api/simulate -> six panels. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("explore-data").textContent);
  var $ = function (id) { return document.getElementById(id); };
  var agents = $("agents");
  var status = $("explore-status"), errorBox = $("explore-error"), plotEl = $("explore-plot");
  var pinned = [];
  var last = null;
  var inflight = null;

  var PANELS = [
    ["total_testosterone", "Total testosterone"], ["free_testosterone", "Free testosterone"],
    ["lh", "LH"], ["fsh", "FSH"], ["estradiol", "Estradiol"], ["sperm_concentration", "Sperm concentration"]];
  var DEFAULTS = {  // a usual dose and schedule per drug (editable)
    anastrozole: [1, "twice weekly"], letrozole: [2.5, "weekly"], clomiphene: [25, "every other day"],
    enclomiphene: [12.5, "daily"], tamoxifen: [20, "daily"], hcg: [2000, "3x/week"], fsh: [150, "3x/week"],
    hmg: [75, "3x/week"], gonadorelin: [10, "every 90 minutes"], leuprolide: [7.5, "monthly"], degarelix: [80, "monthly"],
    testosterone_cypionate: [100, "weekly"], testosterone_enanthate: [100, "weekly"],
    testosterone_undecanoate: [750, "every 10 weeks"], testosterone_gel: [50, "daily"]};
  var drugs = {};
  data.drugs.forEach(function (d) { drugs[d.name] = d; });
  var phenotypes = {};
  data.phenotypes.forEach(function (p) { phenotypes[p.name] = p; });
  var defaults = {};
  data.sliders.forEach(function (s) { defaults[s.name] = s.value; });

  function phenotypeValue(name) {
    var p = phenotypes[$("phenotype").value];
    if (name === "bmi") return p.bmi;
    return p.overrides[name] !== undefined ? p.overrides[name] : defaults[name];
  }

  function showSlider(el) {
    var v = Number(el.value);
    $(el.id + "-val").textContent = el.dataset.kind === "bmi" ? v.toFixed(1) : v.toFixed(2);
  }

  function resetSliders() {
    document.querySelectorAll("#sliders input[type=range]").forEach(function (el) {
      el.value = phenotypeValue(el.dataset.kind === "bmi" ? "bmi" : el.dataset.param);
      showSlider(el);
    });
  }

  function drugChanged(row, keepDose) {
    var d = drugs[row.querySelector(".a-drug").value];
    var route = row.querySelector(".a-route");
    route.innerHTML = d.routes.map(function (r) { return '<option value="' + hpg.esc(r) + '">' + hpg.esc(r) + "</option>"; }).join("");
    row.querySelector(".a-unit").textContent = d.dose_unit + " (" + hpg.fmt(d.dose_min) + "-" + hpg.fmt(d.dose_max) + ")";
    if (!keepDose) {
      var def = DEFAULTS[d.name] || [d.dose_min, "daily"];
      row.querySelector(".a-dose").value = def[0];
      row.querySelector(".a-frequency").value = def[1];
    }
  }

  function addAgent(drugName) {
    var row = $("agent-row").content.firstElementChild.cloneNode(true);
    var sel = row.querySelector(".a-drug");
    sel.innerHTML = data.drugs.map(function (d) {
      return '<option value="' + hpg.esc(d.name) + '">' + hpg.esc(d.display) + " (" + hpg.esc(d.drug_class) + ")</option>";
    }).join("");
    sel.value = drugName || "anastrozole";
    drugChanged(row, false);
    sel.addEventListener("change", function () { drugChanged(row, false); schedule(); });
    row.querySelector(".a-remove").addEventListener("click", function () { row.remove(); schedule(); });
    row.querySelectorAll("input, select").forEach(function (el) {
      if (el !== sel) el.addEventListener("change", schedule);
    });
    agents.appendChild(row);
    return row;
  }

  function request() {
    var physiology = {};
    var bmi = null;
    document.querySelectorAll("#sliders input[type=range]").forEach(function (el) {
      if (el.dataset.kind === "bmi") bmi = Number(el.value);
      else physiology[el.dataset.param] = Number(el.value);
    });
    var list = [];
    agents.querySelectorAll(".agent").forEach(function (row) {
      var stop = row.querySelector(".a-stop").value.trim();
      var a = {drug: row.querySelector(".a-drug").value, dose: Number(row.querySelector(".a-dose").value),
               route: row.querySelector(".a-route").value, frequency: row.querySelector(".a-frequency").value,
               start_day: Number(row.querySelector(".a-start").value || 0)};
      if (stop !== "") a.stop_day = Number(stop);
      var titrate = row.querySelector(".a-titrate").value.trim();
      if (titrate !== "") a.titrate = titrate;
      list.push(a);
    });
    return {phenotype: $("phenotype").value, days: Number($("days").value || 180), bmi: bmi,
            physiology: physiology, agents: list};
  }

  function figure(res) {
    var traces = [], shapes = [], annotations = [];
    var layout = {height: 760, showlegend: true, legend: {orientation: "h", y: -0.06}, margin: {t: 30, r: 20, l: 60, b: 60},
                  hovermode: "x unified", grid: {rows: 3, columns: 2, pattern: "independent", roworder: "top to bottom"}};
    PANELS.forEach(function (p, i) {
      var k = p[0], ax = i === 0 ? "" : String(i + 1);
      var unit = res.units[k] || "";
      layout["xaxis" + ax] = {title: {text: i >= 4 ? "day" : ""}, anchor: "y" + ax};
      layout["yaxis" + ax] = {title: {text: unit}, anchor: "x" + ax, rangemode: "tozero"};
      annotations.push({text: "<b>" + p[1] + "</b>", xref: "x" + ax + " domain", yref: "y" + ax + " domain", x: 0, y: 1.12,
                        showarrow: false, xanchor: "left"});
      var band = data.ranges[k];
      if (band) shapes.push({type: "rect", xref: "x" + ax + " domain", yref: "y" + ax, x0: 0, x1: 1, y0: band[0], y1: band[1],
                             fillcolor: "#9aa5b1", opacity: 0.13, line: {width: 0}, layer: "below"});
      pinned.forEach(function (old, j) {
        traces.push({type: "scatter", mode: "lines", x: old.day, y: old.series[k], xaxis: "x" + ax, yaxis: "y" + ax,
                     name: "reference " + (j + 1) + ": " + old.label, legendgroup: "pin" + j, showlegend: i === 0,
                     line: {dash: "dash", width: 1.5, color: ["#7f7f7f", "#bcbd22", "#17becf"][j % 3]}});
      });
      traces.push({type: "scatter", mode: "lines", x: res.day, y: res.series[k], xaxis: "x" + ax, yaxis: "y" + ax,
                   name: "this run", legendgroup: "now", showlegend: i === 0, line: {color: "#1f5f99", width: 2.2},
                   hovertemplate: hpg.esc(p[1]) + " %{y:.3g} " + hpg.esc(unit) + "<extra></extra>"});
    });
    layout.shapes = shapes; layout.annotations = annotations;
    return {data: traces, layout: layout};
  }

  function doseTable(res) {  // titrated regimens: the lab at each check and the dose from then on (as the CLI prints)
    var box = $("dose-history"), rows = res.dose_history || [];
    box.hidden = rows.length === 0;
    box.querySelector("tbody").innerHTML = rows.map(function (s) {
      var lab = s.value === null ? "start" : hpg.esc(s.observable) + " " + hpg.fmt(s.value) + " " + hpg.esc(s.unit);
      return "<tr><td>" + hpg.fmt(s.week) + "</td><td>" + hpg.esc(s.drug) + "</td><td>" + lab + "</td><td>" +
             hpg.esc(s.dose) + "</td></tr>";
    }).join("");
  }

  function label(res) {
    return res.phenotype.replace(/_/g, " ") + ", " + res.regimen;
  }

  function run() {
    if (inflight) inflight.abort();
    var ctrl = new AbortController();
    inflight = ctrl;
    status.innerHTML = '<span class="spinner"></span> simulating...';
    var t0 = performance.now();
    hpg.request("POST", "/api/simulate", request(), ctrl.signal).then(function (res) {
      if (inflight !== ctrl) return;
      inflight = null;
      errorBox.hidden = true;
      agents.querySelectorAll(".invalid").forEach(function (el) { el.classList.remove("invalid"); });
      $("regimen-text").textContent = res.regimen;
      if (res.status !== "ok") { errorBox.textContent = "simulation failed: " + res.message; errorBox.hidden = false; }
      last = res;
      hpg.plot(plotEl, figure(res));
      doseTable(res);
      status.textContent = "simulated " + hpg.fmt(res.days) + " days in " + ((performance.now() - t0) / 1000).toFixed(2) + " s";
    }).catch(function (e) {
      if (e.name === "AbortError") return;
      inflight = null;
      status.textContent = "";
      errorBox.textContent = e.message;
      errorBox.hidden = false;
      var m = e.field && e.field.match(/^agents\[(\d+)\]\.?(\w*)/);
      if (m) {
        var row = agents.querySelectorAll(".agent")[Number(m[1])];
        var cls = {dose: ".a-dose", route: ".a-route", stop_day: ".a-stop", start_day: ".a-start", drug: ".a-drug",
                   duration: ".a-stop", frequency: ".a-frequency", titrate: ".a-titrate"}[m[2]] || ".a-dose";
        if (row && row.querySelector(cls)) row.querySelector(cls).classList.add("invalid");
      }
    });
  }
  var schedule = hpg.debounce(run, 250);

  $("phenotype").addEventListener("change", function () {
    $("phenotype-description").textContent = phenotypes[$("phenotype").value].description;
    resetSliders(); schedule();
  });
  $("days").addEventListener("change", schedule);
  $("add-agent").addEventListener("click", function () { addAgent(); schedule(); });
  $("reset-sliders").addEventListener("click", function () { resetSliders(); schedule(); });
  document.querySelectorAll("#sliders input[type=range]").forEach(function (el) {
    el.addEventListener("input", function () { showSlider(el); schedule(); });
  });
  $("pin").addEventListener("click", function () {
    if (!last) return;
    pinned.push({day: last.day, series: last.series, label: label(last)});
    if (pinned.length > 3) pinned.shift();
    hpg.plot(plotEl, figure(last));
  });
  $("unpin").addEventListener("click", function () { pinned = []; if (last) hpg.plot(plotEl, figure(last)); });

  var asked = new URLSearchParams(window.location.search).get("phenotype");
  $("phenotype").value = phenotypes[asked] ? asked : "obese_hyperestrogenic";
  $("phenotype-description").textContent = phenotypes[$("phenotype").value].description;
  resetSliders();
  if (!phenotypes[asked]) addAgent("anastrozole");  // a first example: an aromatase inhibitor in the obese man
  run();
})();

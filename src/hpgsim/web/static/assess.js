/* The Assess form: build the patient document (PATIENT_FORMAT), start an assessment job, follow it. */
(function () {
  "use strict";
  var spec = JSON.parse(document.getElementById("form-spec").textContent);
  var form = document.getElementById("assess-form");
  var errorBox = document.getElementById("form-error");
  var progress = new hpg.Progress(document.getElementById("progress"));
  progress.hide();
  var history = document.getElementById("history");

  function $(id) { return document.getElementById(id); }
  function num(el) { var v = el.value.trim(); return v === "" ? null : Number(v); }

  function addHistory(entry) {
    var node = document.getElementById("history-row").content.firstElementChild.cloneNode(true);
    node.querySelector(".h-remove").addEventListener("click", function () { node.remove(); });
    if (entry) {
      node.querySelector(".h-regimen").value = entry.regimen || "";
      node.querySelector(".h-start").value = entry.start_week;
      node.querySelector(".h-stop").value = entry.stop_week;
    }
    history.appendChild(node);
    return node;
  }

  function documentOf() {
    var doc = {};
    var id = $("patient-id").value.trim();
    if (id) doc.id = id;
    var age = num($("age")); if (age !== null) doc.age_years = age;
    var bmi = num($("bmi")), w = num($("weight")), h = num($("height"));
    if (bmi !== null) doc.bmi = bmi;
    if (w !== null) doc.weight_kg = w;
    if (h !== null) doc.height_cm = h;
    doc.fertility_desired = $("fertility").checked;
    doc.labs = {};
    spec.labs.forEach(function (m) {
      var v = num($("lab-" + m.name + "-value"));
      if (v === null) return;
      var entry = {value: v, unit: $("lab-" + m.name + "-unit").value};
      var t = $("lab-" + m.name + "-drawn_at");
      if (t && t.value) entry.drawn_at = t.value.slice(0, 5);
      var d = $("lab-" + m.name + "-date");
      if (d && d.value) entry.date = d.value;
      var second = $("lab-" + m.name + "-value2");
      var v2 = second ? num(second) : null;
      if (v2 !== null) {  // repeated measurements: a list of dated entries
        var e2 = {value: v2, unit: entry.unit};
        if ($("lab-" + m.name + "-date2").value) e2.date = $("lab-" + m.name + "-date2").value;
        doc.labs[m.name] = [entry, e2];
      } else {
        doc.labs[m.name] = entry;
      }
    });
    var semen = {};
    spec.semen.forEach(function (m) {
      var v = num($("semen-" + m.name + "-value"));
      if (v !== null) semen[m.name] = {value: v, unit: $("semen-" + m.name + "-unit").value};
    });
    if (Object.keys(semen).length) doc.semen = semen;
    var rows = [];
    history.querySelectorAll(".history-row").forEach(function (r) {
      var text = r.querySelector(".h-regimen").value.trim();
      if (!text) return;
      rows.push({regimen: text, start_week: num(r.querySelector(".h-start")), stop_week: num(r.querySelector(".h-stop"))});
    });
    if (rows.length) doc.history = rows;
    return doc;
  }

  function clearForm() {
    form.reset();
    history.innerHTML = "";
    form.querySelectorAll(".invalid").forEach(function (el) { el.classList.remove("invalid"); });
    errorBox.hidden = true;
  }

  /* One entry of a lab, or the mean of repeated entries when they share a unit (else the last one). */
  function single(entry) {
    if (!Array.isArray(entry)) return entry;
    var unit = entry[0].unit;
    if (entry.every(function (e) { return e.unit === unit; })) {
      var s = 0; entry.forEach(function (e) { s += e.value; });
      return {value: Number((s / entry.length).toPrecision(4)), unit: unit};
    }
    return entry[entry.length - 1];
  }

  function setSelect(sel, value) {
    for (var i = 0; i < sel.options.length; i++) {
      if (sel.options[i].value.toLowerCase() === String(value).toLowerCase()) { sel.selectedIndex = i; return; }
    }
  }

  function fill(doc) {
    clearForm();
    if (doc.id) $("patient-id").value = doc.id;
    $("age").value = doc.age_years;
    if (doc.bmi !== undefined) $("bmi").value = doc.bmi;
    if (doc.weight_kg !== undefined) $("weight").value = doc.weight_kg;
    if (doc.height_cm !== undefined) $("height").value = doc.height_cm;
    $("fertility").checked = !!doc.fertility_desired;
    Object.keys(doc.labs || {}).forEach(function (k) {
      if (k === "reference_ranges" || !$("lab-" + k + "-value")) return;
      var entries = doc.labs[k];
      if (Array.isArray(entries) && entries.length === 2 && $("lab-" + k + "-value2") && entries[0].unit === entries[1].unit) {
        $("lab-" + k + "-value2").value = entries[1].value;
        if (entries[1].date) $("lab-" + k + "-date2").value = entries[1].date;
        if (entries[0].date) $("lab-" + k + "-date").value = entries[0].date;
        entries = entries[0];
      }
      var e = single(entries);
      $("lab-" + k + "-value").value = e.value;
      setSelect($("lab-" + k + "-unit"), e.unit);
      if (e.drawn_at && $("lab-" + k + "-drawn_at")) $("lab-" + k + "-drawn_at").value = String(e.drawn_at).slice(0, 5);
    });
    Object.keys(doc.semen || {}).forEach(function (k) {
      if (!$("semen-" + k + "-value")) return;
      var e = single(doc.semen[k]);
      $("semen-" + k + "-value").value = e.value;
      setSelect($("semen-" + k + "-unit"), e.unit);
    });
    (doc.history || []).forEach(addHistory);
  }

  /* The input that a 422's field path points at, to highlight it. */
  function inputFor(field) {
    if (!field) return null;
    var f = field.replace(/\[\d+\]/g, "");
    var parts = f.split(".");
    var simple = {age_years: "age", bmi: "bmi", weight_kg: "weight", height_cm: "height", "weight_kg, height_cm": "weight",
                  fertility_desired: "fertility", id: "patient-id"};
    if (simple[parts[0]]) return $(simple[parts[0]]);
    if (parts[0] === "labs" && parts[1]) {
      var second = /\[1\]/.test(field) ? "2" : "";
      if (parts[2] === "date") return $("lab-" + parts[1] + "-date" + second);
      return $("lab-" + parts[1] + (parts[2] === "unit" ? "-unit" : "-value" + second));
    }
    if (parts[0] === "semen" && parts[1]) return $("semen-" + parts[1] + (parts[2] === "unit" ? "-unit" : "-value"));
    if (parts[0] === "history") {
      var m = field.match(/history\[(\d+)\]/);
      var rows = history.querySelectorAll(".history-row");
      var row = m ? rows[Number(m[1])] : null;
      if (row) return row.querySelector(f.indexOf("start_week") >= 0 ? ".h-start" : f.indexOf("stop_week") >= 0 ? ".h-stop" : ".h-regimen");
    }
    return null;
  }

  function showError(e) {
    errorBox.textContent = e.message;
    errorBox.hidden = false;
    var el = inputFor(e.field);
    if (el) { el.classList.add("invalid"); el.focus(); }
  }

  $("add-history").addEventListener("click", function () { addHistory(); });
  $("clear-form").addEventListener("click", clearForm);
  $("fill-example").addEventListener("click", function () {
    var name = $("example").value;
    if (!name) return;
    hpg.request("GET", "/api/examples/" + encodeURIComponent(name)).then(fill).catch(showError);
  });

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    form.querySelectorAll(".invalid").forEach(function (el) { el.classList.remove("invalid"); });
    errorBox.hidden = true;
    var button = $("assess-submit");
    button.disabled = true;
    progress.show(null, "checking the input");
    hpg.request("POST", "/api/jobs/assess", documentOf()).then(function (job) {
      return hpg.pollJob(job.id, function (s) { progress.show(s.progress, s.message, s.elapsed_s); }).then(function () {
        progress.show(1, "done - opening the result");
        window.location.href = job.result_url;
      });
    }).catch(function (e) {
      progress.hide();
      button.disabled = false;
      showError(e);
    });
  });
})();

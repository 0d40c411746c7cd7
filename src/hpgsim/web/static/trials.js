/* The Trials page: run one spec as a background job, then predicted vs published (table and plots). */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var specs = {};
  JSON.parse($("trial-specs").textContent).forEach(function (s) { specs[s.id] = s; });
  var progress = new hpg.Progress($("trial-progress"));
  progress.hide();

  function info() {
    var s = specs[$("trial").value];
    if (!s) return;
    $("trial-info").innerHTML = "<b>" + hpg.esc(s.citation) + "</b><br>" + hpg.esc(s.population) + " - phenotype " +
      hpg.esc(s.phenotype) + "; arms: " + s.arms.map(hpg.esc).join("; ") + " (" + s.endpoints + " endpoints)";
  }

  function render(r) {
    var sc = r.score;
    var pct = function (a, b) { return b ? a + "/" + b + " (" + Math.round(100 * a / b) + "%)" : "-"; };
    var html = "<h2>" + hpg.esc(r.id) + ": " + pct(sc.passed, sc.endpoints) + " endpoints within tolerance" +
      (sc.direction_checked ? ", " + pct(sc.direction_right, sc.direction_checked) + " directions right" : "") + "</h2>" +
      '<p class="muted">' + r.n_men + " virtual men, seed " + r.seed + ", " + r.seconds + " s" +
      (r.n_failed ? ", " + r.n_failed + " failed simulations" : "") +
      (r.inclusion && r.inclusion.length ? "; enrolled " + r.n_men + " of " + r.screened + " screened (" +
        Math.round(100 * r.screened_in) + "%) by " + hpg.esc(r.inclusion.join("; ")) : "") +
      ". Predicted values are simulated, not observed.</p>";
    html += '<table class="grid" id="trial-table"><thead><tr><th>#</th><th>arm</th><th>endpoint</th><th>when</th>' +
      '<th class="num">published</th><th class="num">predicted</th><th>unit</th><th>tolerance</th><th>pass</th><th>direction</th></tr></thead><tbody>';
    r.endpoints.forEach(function (e, i) {
      var when = e.week !== null ? "wk " + e.week : "from wk " + (e.after_week || 0);
      var what = e.observable.replace(/_/g, " ") + " " + e.kind.replace(/_/g, " ") + (e.threshold !== null ? " " + e.threshold : "");
      html += "<tr><td>" + (i + 1) + "</td><td>" + hpg.esc(e.arm) + "</td><td>" + hpg.esc(what) + "</td><td>" + when + '</td><td class="num">' +
        hpg.fmt(e.published) + '</td><td class="num">' + (e.predicted !== null ? hpg.fmt(e.predicted) : hpg.esc(e.note || "-")) +
        "</td><td>" + hpg.esc(e.value_unit || e.unit || "") + "</td><td>" + hpg.esc(e.tolerance) + "</td><td class=\"" + (e.passed ? "pass" : "fail") +
        '">' + (e.passed ? "pass" : "outside") + "</td><td>" + (e.direction_right === null ? "" : e.direction_right ? "right" : "wrong") + "</td></tr>";
    });
    html += "</tbody></table>";
    if (r.titrated_doses && r.titrated_doses.length) {
      html += '<h2>Titrated doses at the end of treatment</h2><table class="grid" id="trial-doses"><thead><tr><th>arm</th>' +
        '<th class="num">week</th><th>drug</th><th>dose</th><th class="num">share of the men</th><th class="num">men</th></tr></thead><tbody>';
      r.titrated_doses.forEach(function (a) {
        a.doses.forEach(function (d) {
          html += "<tr><td>" + hpg.esc(a.arm) + '</td><td class="num">' + hpg.fmt(a.week) + "</td><td>" + hpg.esc(d.drug) +
            "</td><td>" + hpg.esc(d.dose) + '</td><td class="num">' + Math.round(100 * d.share) + '%</td><td class="num">' +
            d.n + "</td></tr>";
        });
      });
      html += "</tbody></table>";
    }
    if (r.baseline.length) {
      html += '<h2>Cohort baseline</h2><table class="grid"><thead><tr><th>observable</th><th class="num">published</th>' +
        '<th class="num">virtual cohort</th><th>unit</th></tr></thead><tbody>';
      r.baseline.forEach(function (b) {
        html += "<tr><td>" + hpg.esc(b.observable) + '</td><td class="num">' + hpg.fmt(b.published) + '</td><td class="num">' +
          hpg.fmt(b.predicted) + "</td><td>" + hpg.esc(b.unit) + "</td></tr>";
      });
      html += "</tbody></table>";
    }
    html += "<h2>Plots</h2>";
    r.figures.forEach(function (f, i) { html += '<div class="plot trial-plot" id="trial-fig-' + i + '"></div>'; });
    $("trial-result").innerHTML = html;
    r.figures.forEach(function (f, i) { hpg.plot($("trial-fig-" + i), f); });
  }

  $("trial").addEventListener("change", info);
  $("run-trial").addEventListener("click", function () {
    var button = $("run-trial");
    button.disabled = true;
    $("trial-error").hidden = true;
    $("trial-result").innerHTML = "";
    progress.show(0, "starting");
    var body = {trial: $("trial").value, n_men: Number($("n-men").value), seed: Number($("seed").value)};
    hpg.request("POST", "/api/jobs/trial", body).then(function (job) {
      return hpg.pollJob(job.id, function (s) { progress.show(s.progress, s.message, s.elapsed_s); }).then(function () {
        return hpg.request("GET", "/api/jobs/" + job.id + "/result");
      });
    }).then(function (r) {
      progress.hide(); button.disabled = false; render(r);
    }).catch(function (e) {
      progress.hide(); button.disabled = false;
      $("trial-error").textContent = e.message; $("trial-error").hidden = false;
    });
  });
  info();
})();

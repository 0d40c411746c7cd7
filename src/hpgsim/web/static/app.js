/* hpgsim web app: shared helpers (requests, job polling, progress, plots). No external resources. */
(function () {
  "use strict";

  function HttpError(status, body) {
    var detail = body && body.detail ? body.detail : ("HTTP " + status);
    var e = new Error(typeof detail === "string" ? detail : JSON.stringify(detail));
    e.status = status; e.field = body && body.field; e.body = body;
    return e;
  }

  function request(method, url, body, signal) {
    var opts = {method: method, headers: {"Accept": "application/json"}, credentials: "same-origin", signal: signal};
    if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    return fetch(url, opts).then(function (r) {
      if (r.status === 204) return null;
      return r.text().then(function (t) {
        var data = null;
        try { data = t ? JSON.parse(t) : null; } catch (err) { data = {detail: t}; }
        if (!r.ok) throw HttpError(r.status, data);
        return data;
      });
    });
  }

  /* A progress widget: determinate when progress is a number, else an indeterminate bar with the elapsed time. */
  function Progress(el) {
    this.el = el;
    el.innerHTML = '<div class="bar"><div class="fill"></div></div><div class="progress-text"></div>';
    this.fill = el.querySelector(".fill"); this.text = el.querySelector(".progress-text");
  }
  Progress.prototype.show = function (fraction, message, elapsed) {
    this.el.hidden = false;
    if (fraction === null || fraction === undefined) {
      this.el.classList.add("indeterminate"); this.fill.style.width = "30%";
    } else {
      this.el.classList.remove("indeterminate"); this.fill.style.width = Math.round(100 * fraction) + "%";
    }
    this.text.textContent = (message || "working") + (elapsed !== undefined ? " - " + elapsed.toFixed(1) + " s" : "");
  };
  Progress.prototype.hide = function () { this.el.hidden = true; };

  /* Poll a background job until it is done or failed; onUpdate(status) on every poll. */
  function pollJob(id, onUpdate, interval) {
    interval = interval || 400;
    return new Promise(function (resolve, reject) {
      function tick() {
        request("GET", "/api/jobs/" + id).then(function (s) {
          if (onUpdate) onUpdate(s);
          if (s.state === "done") resolve(s);
          else if (s.state === "failed") reject(HttpError(422, {detail: s.error || "the job failed", field: s.field}));
          else setTimeout(tick, interval);
        }).catch(reject);
      }
      tick();
    });
  }

  function fmt(x, digits) {
    if (x === null || x === undefined || (typeof x === "number" && !isFinite(x))) return "-";
    if (typeof x !== "number") return String(x);
    digits = digits || 3;
    if (x === 0) return "0";
    var a = Math.abs(x);
    if (a >= Math.pow(10, digits)) return Math.round(x).toLocaleString("en-US");
    if (a >= 1e-3) return String(Number(x.toPrecision(digits)));
    return x.toExponential(2);
  }

  function esc(s) {
    return String(s === null || s === undefined ? "" : s).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }

  var PLOT_CONFIG = {responsive: true, displaylogo: false, modeBarButtonsToRemove: ["sendDataToCloud"]};

  function plot(el, fig) {
    var layout = Object.assign({margin: {t: 50, r: 20, l: 60, b: 50}, font: {size: 12},
                                paper_bgcolor: "white", plot_bgcolor: "white"}, fig.layout || {});
    return Plotly.react(el, fig.data, layout, PLOT_CONFIG);
  }

  /* Render every <div data-figure="id-of-a-json-script"> on the page. */
  function renderFigures(root) {
    (root || document).querySelectorAll("[data-figure]").forEach(function (el) {
      var src = document.getElementById(el.dataset.figure);
      if (src) plot(el, JSON.parse(src.textContent));
    });
  }

  /* The engine status line in the header: compiled at start-up in the background. */
  function watchEngine() {
    var el = document.getElementById("engine-status");
    if (!el) return;
    function tick() {
      request("GET", "/api/status").then(function (s) {
        var st = s.engine.state;
        el.className = "engine " + st;
        if (st === "ready" || st === "skipped") { el.textContent = "engine ready"; return; }
        if (st === "failed") { el.textContent = "engine: " + (s.engine.error || "failed"); return; }
        el.innerHTML = '<span class="spinner"></span> compiling the engine (first start only)...';
        setTimeout(tick, 1000);
      }).catch(function () { el.textContent = "engine: status unknown"; });
    }
    tick();
  }

  function debounce(fn, ms) {
    var t = null;
    return function () { var a = arguments, self = this; clearTimeout(t); t = setTimeout(function () { fn.apply(self, a); }, ms); };
  }

  window.hpg = {request: request, Progress: Progress, pollJob: pollJob, fmt: fmt, esc: esc, plot: plot,
                renderFigures: renderFigures, debounce: debounce};
  document.addEventListener("DOMContentLoaded", function () { watchEngine(); renderFigures(); });
})();

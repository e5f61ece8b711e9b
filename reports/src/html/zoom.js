// fletsim report: zooms the time charts of a run page to a window, given in the URL
// fragment (#t=2021-07-14T10:00:00/2021-07-14T12:00:00, the scenario's local calendar),
// by the form above the timeline or by dragging across a chart. The page is complete
// without it: the charts are drawn for the whole run in the HTML.
// The envelope and the axis ticks are computed as reports/src/html/chart.rs does.
(function () {
  "use strict";
  var main = document.querySelector("main[data-start]");
  document.documentElement.classList.add("js");
  if (!main) return;
  var START = Number(main.getAttribute("data-start"));
  var END = Number(main.getAttribute("data-end"));
  var node = document.getElementById("series");
  var DATA = node ? JSON.parse(node.textContent) : {};
  var NS = "http://www.w3.org/2000/svg";
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  var STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800];
  var MAX_TICKS = 9;
  var view = [0, END];

  function all(sel) { return Array.prototype.slice.call(document.querySelectorAll(sel)); }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function civil(t) { return new Date((START + t) * 1000); }
  function dayLabel(d) { return MONTHS[d.getUTCMonth()] + " " + d.getUTCDate(); }
  function iso(t) {
    var d = civil(Math.round(t));
    return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) + "T" +
      pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds());
  }
  function parse(text) {
    var m = /^(\d{4})-(\d\d)-(\d\d)(?:[T ](\d\d):(\d\d)(?::(\d\d))?)?$/.exec(text);
    if (!m) return NaN;
    return Date.UTC(+m[1], +m[2] - 1, +m[3], +(m[4] || 0), +(m[5] || 0), +(m[6] || 0)) / 1000 - START;
  }

  // Ticks: the first step giving at most MAX_TICKS, else month starts (every 1, 2, 3, 6 or 12 months).
  function ticks(a, b) {
    var out = [], i, s = 0;
    for (i = 0; i < STEPS.length; i++) {
      if ((b - a) / STEPS[i] <= MAX_TICKS) { s = STEPS[i]; break; }
    }
    if (s) {
      var shift = s === 604800 ? 4 * 86400 : 0; // weeks start on Mondays
      var t = Math.ceil((START + a - shift) / s) * s + shift - START;
      var prev = null;
      for (; t <= b; t += s) {
        var d = civil(t), day = dayLabel(d), tick = { t: t };
        if (s >= 86400) { tick.main = day; }
        else {
          tick.main = pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + (s < 60 ? ":" + pad(d.getUTCSeconds()) : "");
          if (day !== prev) tick.sub = day;
        }
        prev = day;
        out.push(tick);
      }
      return out;
    }
    var months = [1, 2, 3, 6, 12], k = 12;
    for (i = 0; i < months.length; i++) {
      if ((b - a) / (months[i] * 30.44 * 86400) <= MAX_TICKS) { k = months[i]; break; }
    }
    var first = civil(a), y = first.getUTCFullYear(), mo = first.getUTCMonth();
    while (true) {
      if (mo > 11) { y += 1; mo -= 12; }
      var tm = Date.UTC(y, mo, 1) / 1000 - START;
      if (tm > b) break;
      if (tm >= a && mo % k === 0) out.push({ t: tm, main: MONTHS[mo] + " " + y });
      mo += 1;
    }
    return out;
  }

  function el(name, attrs, text) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text) e.textContent = text;
    return e;
  }

  function drawAxis(g, a, b) {
    var w = Number(g.getAttribute("data-w")), h = Number(g.getAttribute("data-h"));
    while (g.firstChild) g.removeChild(g.firstChild);
    ticks(a, b).forEach(function (tk) {
      var x = ((tk.t - a) / (b - a) * w).toFixed(1);
      g.appendChild(el("line", { "class": "grid", x1: x, x2: x, y1: -h, y2: 0 }));
      g.appendChild(el("line", { "class": "tick", x1: x, x2: x, y1: 0, y2: 5 }));
      g.appendChild(el("text", { "class": "axis", x: x, y: 18, "text-anchor": "middle" }, tk.main));
      if (tk.sub) g.appendChild(el("text", { "class": "axis", x: x, y: 31, "text-anchor": "middle" }, tk.sub));
    });
  }

  // Buckets of k samples (k: samples per pixel column, at least 1), aligned to multiples of k.
  function buckets(s, a, b, w) {
    var k = Math.max(1, Math.floor((b - a) / w / s.step)), n = s.values.length, out = [];
    var i = Math.max(0, Math.floor((a - s.first) / s.step));
    i -= i % k;
    var last = Math.min(n, Math.ceil((b - s.first) / s.step));
    for (; i < last; i += k) {
      var j = Math.min(i + k, n), lo = Infinity, hi = -Infinity, sum = 0;
      for (var q = i; q < j; q++) { var v = s.values[q]; lo = Math.min(lo, v); hi = Math.max(hi, v); sum += v; }
      out.push({ x0: s.first + i * s.step, x1: s.first + j * s.step, lo: lo, hi: hi, sum: sum });
    }
    return out;
  }

  function envelope(s, a, b, w, h, ymax) {
    var bs = buckets(s, a, b, w);
    if (!bs.length) return "";
    function y(v) { return (h - v / ymax * h).toFixed(1); }
    var d = "M" + bs[0].x0 + "," + y(bs[0].hi) + "H" + bs[0].x1, i;
    for (i = 1; i < bs.length; i++) d += "V" + y(bs[i].hi) + "H" + bs[i].x1;
    d += "V" + y(bs[bs.length - 1].lo) + "H" + bs[bs.length - 1].x0;
    for (i = bs.length - 2; i >= 0; i--) d += "V" + y(bs[i].lo) + "H" + bs[i].x0;
    return d + "Z";
  }

  function markPath(s, a, b, w, h) {
    return buckets(s, a, b, w).filter(function (q) { return q.sum > 0; })
      .map(function (q) { return "M" + (q.x0 + q.x1) / 2 + ",0V" + h; }).join("");
  }

  function show(a, b) {
    a = Math.max(0, Math.min(a, END - 1));
    b = Math.min(END, Math.max(b, a + 1));
    view = [a, b];
    all("svg.zoom").forEach(function (z) {
      z.setAttribute("viewBox", a + " 0 " + (b - a) + " " + z.getAttribute("data-h"));
    });
    all("g.xaxis").forEach(function (g) { drawAxis(g, a, b); });
    all("path[data-series]").forEach(function (p) {
      var s = DATA[p.getAttribute("data-series")];
      if (!s) return;
      var w = Number(p.getAttribute("data-w")), h = Number(p.getAttribute("data-h"));
      if (p.hasAttribute("data-marks")) p.setAttribute("d", markPath(s, a, b, w, h));
      else p.setAttribute("d", envelope(s, a, b, w, h, Number(p.getAttribute("data-ymax"))));
    });
    var whole = a <= 0 && b >= END;
    all(".zoom-state").forEach(function (e) {
      e.textContent = whole ? "showing the whole run" : "showing " + iso(a).replace("T", " ") + " to " + iso(b).replace("T", " ");
    });
    var form = document.getElementById("zoom-form");
    if (form) { form.elements.from.value = iso(a); form.elements.to.value = iso(b); }
  }

  function fromHash(scroll) {
    var m = /^#t=([^/]+)\/(.+)$/.exec(decodeURIComponent(location.hash));
    if (!m) {
      if (location.hash === "" || location.hash === "#") show(0, END);
      return;
    }
    var a = parse(m[1]), b = parse(m[2]);
    if (isNaN(a) || isNaN(b) || b <= a) return;
    show(a, b);
    var target = document.getElementById("timeline");
    if (scroll && target) target.scrollIntoView();
  }

  var form = document.getElementById("zoom-form");
  if (form) {
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      location.hash = "t=" + form.elements.from.value + "/" + form.elements.to.value;
    });
  }

  // Drag across a time chart to zoom to the dragged window.
  all("svg[data-time]").forEach(function (chart) {
    var zoom = chart.querySelector("svg.zoom"), x0 = null;
    if (!zoom) return;
    function frac(e) {
      var r = zoom.getBoundingClientRect();
      return Math.max(0, Math.min(1, (e.clientX - r.left) / r.width));
    }
    chart.addEventListener("pointerdown", function (e) { x0 = frac(e); });
    chart.addEventListener("pointerup", function (e) {
      if (x0 === null) return;
      var x1 = frac(e), w = zoom.getBoundingClientRect().width;
      if (Math.abs(x1 - x0) * w > 6) {
        var span = view[1] - view[0], lo = Math.min(x0, x1), hi = Math.max(x0, x1);
        location.hash = "t=" + iso(view[0] + lo * span) + "/" + iso(view[0] + hi * span);
      }
      x0 = null;
    });
  });

  window.addEventListener("hashchange", function () { fromHash(true); });
  fromHash(true);
})();

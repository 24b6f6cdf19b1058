/* gradkit tour: typesets the formulas (KaTeX) and draws the interactive pictures.
 *
 * Every picture is a <figure class="widget" data-widget="KIND"> holding its data as JSON,
 * computed by gradkit when the page was written. Pictures are inline SVG drawn at the
 * width of their box (so text keeps its size on a phone) and redrawn when it changes.
 * Only the optimizer race computes here: its update rules re-run on Rosenbrock.
 */
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var COLORS = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9"];

  // ------------------------------------------------------------------ helpers
  function el(tag, attrs, parent) {
    var node = document.createElementNS(NS, tag);
    for (var k in attrs) node.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(node);
    return node;
  }
  function html(tag, attrs, parent, text) {
    var node = document.createElement(tag);
    for (var k in attrs) node.setAttribute(k, attrs[k]);
    if (text !== undefined) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }
  function text(svg, x, y, s, attrs) {
    var a = { x: x, y: y, "font-size": 12 };
    for (var k in attrs || {}) a[k] = attrs[k];
    var t = el("text", a, svg);
    t.textContent = s;
    return t;
  }
  function fmt(v, digits) {
    if (v === null || v === undefined || !isFinite(v)) return "—";
    if (v === 0) return "0";
    var a = Math.abs(v);
    if (a >= 1e-3 && a < 1e5) return String(Number(v.toPrecision(digits || 4)));
    return v.toExponential((digits || 4) - 2).replace("e", "×10^").replace("+", "");
  }
  function sup(s) { // 1.2×10^-7 -> 1.2×10⁻⁷ for readouts
    var map = { "-": "⁻", "0": "⁰", "1": "¹", "2": "²", "3": "³", "4": "⁴", "5": "⁵",
      "6": "⁶", "7": "⁷", "8": "⁸", "9": "⁹" };
    return s.replace(/\^(-?\d+)/g, function (_, e) {
      return e.split("").map(function (c) { return map[c]; }).join("");
    });
  }
  function num(v, digits) { return sup(fmt(v, digits)); }
  function scale(d0, d1, r0, r1, log) {
    var f = log ? Math.log10 : function (v) { return v; };
    var a = f(d0), b = f(d1);
    var s = function (v) { return r0 + (f(v) - a) / (b - a) * (r1 - r0); };
    s.inv = function (p) {
      var v = a + (p - r0) / (r1 - r0) * (b - a);
      return log ? Math.pow(10, v) : v;
    };
    return s;
  }
  function ticks(d0, d1, n) {
    var step = Math.pow(10, Math.floor(Math.log10((d1 - d0) / n)));
    var err = (d1 - d0) / n / step;
    if (err >= 5) step *= 5; else if (err >= 2) step *= 2;
    var out = [];
    for (var v = Math.ceil(d0 / step) * step; v <= d1 + 1e-9 * step; v += step)
      out.push(Math.abs(v) < 1e-12 ? 0 : Number(v.toPrecision(10)));
    return out;
  }
  function path(points, sx, sy) {
    var d = "", pen = false;
    for (var i = 0; i < points.length; i++) {
      var p = points[i];
      if (p === null || p[0] === null || p[1] === null || !isFinite(sx(p[0])) ||
          !isFinite(sy(p[1]))) { pen = false; continue; }
      d += (pen ? "L" : "M") + sx(p[0]).toFixed(1) + "," + sy(p[1]).toFixed(1);
      pen = true;
    }
    return d;
  }
  function axes(svg, box, sx, sy, opt) {
    // box: {l, t, r, b}; draws frame, ticks and labels (ticks in data units)
    el("rect", { x: box.l, y: box.t, width: box.r - box.l, height: box.b - box.t,
      fill: "none", stroke: "#888" }, svg);
    opt.xt.forEach(function (v) {
      var x = sx(v);
      el("line", { x1: x, x2: x, y1: box.b, y2: box.b + 4, stroke: "#888" }, svg);
      text(svg, x, box.b + 17, opt.xfmt ? opt.xfmt(v) : fmt(v, 3), { "text-anchor": "middle" });
    });
    opt.yt.forEach(function (v) {
      var y = sy(v);
      el("line", { x1: box.l - 4, x2: box.l, y1: y, y2: y, stroke: "#888" }, svg);
      text(svg, box.l - 6, y + 4, opt.yfmt ? opt.yfmt(v) : fmt(v, 3), { "text-anchor": "end" });
    });
    if (opt.xlabel) text(svg, (box.l + box.r) / 2, box.b + 34, opt.xlabel,
      { "text-anchor": "middle", "font-size": 13 });
    if (opt.ylabel) {
      var t = text(svg, 0, 0, opt.ylabel, { "text-anchor": "middle", "font-size": 13,
        transform: "translate(13," + (box.t + box.b) / 2 + ") rotate(-90)" });
      t.setAttribute("x", 0);
    }
  }
  function newSvg(stage, height) {
    stage.textContent = "";
    var w = Math.max(280, Math.min(stage.clientWidth || 600, 760));
    var h = typeof height === "function" ? height(w) : height;
    var svg = el("svg", { width: w, height: h, viewBox: "0 0 " + w + " " + h,
      role: "img", "font-family": "system-ui, sans-serif" }, stage);
    return { svg: svg, w: w, h: h };
  }
  function slider(controls, label, min, max, step, value, onInput) {
    var wrap = html("label", { class: "control" }, controls);
    html("span", {}, wrap, label);
    var input = html("input", { type: "range", min: min, max: max, step: step }, wrap);
    input.value = value;
    input.addEventListener("input", onInput);
    return input;
  }
  function legend(parent, entries) { // an HTML legend: clear of the data by construction
    var ul = html("ul", { class: "legend" }, parent);
    entries.forEach(function (e) {
      var li = html("li", {}, ul);
      html("span", { class: "swatch", style: "background:" + e.color +
        (e.dashed ? ";background:repeating-linear-gradient(90deg," + e.color + " 0 5px,transparent 5px 8px)" : "") }, li);
      html("span", {}, li, e.label);
    });
    return ul;
  }

  // ------------------------------------------------------------------ widgets
  var WIDGETS = {};

  WIDGETS.tangent = function (fig, data) {
    var controls = html("div", { class: "controls" });
    var readout = html("p", { class: "readout", "aria-live": "polite" });
    var n = data.x.length, k = Math.round(n * 0.7);
    var input = slider(controls, "point x", 0, n - 1, 1, k, function () { draw(); });
    function draw() {
      var i = +input.value, x0 = data.x[i], y0 = data.y[i], m = data.slope[i];
      var g = newSvg(fig.stage, function (w) { return Math.min(360, w * 0.62); });
      var box = { l: 48, t: 10, r: g.w - 10, b: g.h - 42 };
      var ymin = Math.min.apply(null, data.y), ymax = Math.max.apply(null, data.y);
      var pad = (ymax - ymin) * 0.08;
      var sx = scale(data.x[0], data.x[n - 1], box.l, box.r);
      var sy = scale(ymin - pad, ymax + pad, box.b, box.t);
      axes(g.svg, box, sx, sy, { xt: ticks(data.x[0], data.x[n - 1], 6),
        yt: ticks(ymin - pad, ymax + pad, 5), xlabel: "x", ylabel: "f(x)" });
      var clip = el("clipPath", { id: "clip-tangent" }, g.svg);
      el("rect", { x: box.l, y: box.t, width: box.r - box.l, height: box.b - box.t }, clip);
      el("path", { d: path(data.x.map(function (x, j) { return [x, data.y[j]]; }), sx, sy),
        fill: "none", stroke: COLORS[0], "stroke-width": 2.5 }, g.svg);
      var span = (data.x[n - 1] - data.x[0]) * 0.25;
      el("path", { d: path([[x0 - span, y0 - m * span], [x0 + span, y0 + m * span]], sx, sy),
        stroke: COLORS[1], "stroke-width": 2, "clip-path": "url(#clip-tangent)",
        class: "tangent-line" }, g.svg);
      el("circle", { cx: sx(x0), cy: sy(y0), r: 6, fill: COLORS[1], class: "point" }, g.svg);
      readout.textContent = "x = " + num(x0, 3) + ",  f(x) = " + num(y0, 4) +
        ",  f′(x) = " + num(m, 5) + " (gk.grad): the slope of the orange tangent line";
    }
    fig.insertBefore(controls, fig.stage);
    fig.insertBefore(readout, fig.stage.nextSibling);
    legend(fig.insertBefore(html("div", {}), readout), [
      { color: COLORS[0], label: "f(x) = " + data.label },
      { color: COLORS[1], label: "tangent line at the point" }]);
    return draw;
  };

  WIDGETS.step = function (fig, data) {
    var methods = Object.keys(data.errors);
    var FLOOR = 1e-17; // an error of exactly 0 is drawn on the floor of the plot
    var controls = html("div", { class: "controls" });
    var readout = html("p", { class: "readout", "aria-live": "polite" });
    var n = data.h.length, k0 = 0;
    data.h.forEach(function (h, j) {
      if (Math.abs(Math.log10(h) + 7) < Math.abs(Math.log10(data.h[k0]) + 7)) k0 = j;
    });
    var input = slider(controls, "step h", 0, n - 1, 1, k0, function () { draw(); });
    function draw() {
      var i = +input.value, h = data.h[i];
      var g = newSvg(fig.stage, function (w) { return Math.min(380, w * 0.65); });
      var box = { l: 62, t: 10, r: g.w - 10, b: g.h - 42 };
      var sx = scale(data.h[0], data.h[n - 1], box.l, box.r, true);
      var sy = scale(FLOOR, 10, box.b, box.t, true);
      var exps = function (a, b, s) { var o = []; for (var e = a; e <= b; e += s) o.push(Math.pow(10, e)); return o; };
      axes(g.svg, box, sx, sy, { xt: exps(-16, 0, g.w < 500 ? 4 : 2), yt: exps(-16, 0, 4),
        xfmt: function (v) { return sup("10^" + Math.round(Math.log10(v))); },
        yfmt: function (v) { return sup("10^" + Math.round(Math.log10(v))); },
        xlabel: "step h", ylabel: "|error|" });
      methods.forEach(function (m, j) {
        var pts = data.h.map(function (hh, q) {
          var e = data.errors[m][q];
          return [hh, e === null ? null : Math.max(e, FLOOR)];
        });
        el("path", { d: path(pts, sx, sy), fill: "none", stroke: COLORS[j], "stroke-width": 2 }, g.svg);
        var e = data.errors[m][i];
        if (e !== null) el("circle", { cx: sx(h), cy: sy(Math.max(e, FLOOR)), r: 5,
          fill: COLORS[j], class: "marker" }, g.svg);
      });
      ["truncation", "rounding"].forEach(function (part, j) {
        el("path", { d: path(data.h.map(function (hh, q) { return [hh, data.model[part][q]]; }), sx, sy),
          fill: "none", stroke: "#777", "stroke-width": 1.5, "stroke-dasharray": j ? "2 3" : "7 4",
          class: "model-" + part }, g.svg);
      });
      el("line", { x1: sx(h), x2: sx(h), y1: box.t, y2: box.b, stroke: "#444",
        "stroke-dasharray": "4 3", class: "h-line" }, g.svg);
      var parts = methods.map(function (m) {
        var e = data.errors[m][i];
        return m + " " + (e === 0 ? "0 (exact to rounding)" : num(e, 2));
      });
      readout.textContent = "h = " + num(h, 2) + ": error " + parts.join(", ") +
        ". The forward error's parts: truncation h·|f″|/2 ≈ " + num(data.model.truncation[i], 2) +
        ", rounding 2ε|f|/h ≈ " + num(data.model.rounding[i], 2) + " (" +
        (data.model.truncation[i] > data.model.rounding[i] ? "truncation" : "rounding") + " dominates)" +
        ". (The tutorial's h = 10⁻⁷ forward difference: " + num(data.tutorial.error, 2) + ".)";
    }
    fig.insertBefore(controls, fig.stage);
    fig.insertBefore(readout, fig.stage.nextSibling);
    legend(fig.insertBefore(html("div", {}), readout), methods.map(function (m, j) {
      return { color: COLORS[j], label: m + " difference" + (m === "complex" ? " (complex step)" : "") };
    }).concat([{ color: "#777", dashed: true, label: "forward: truncation h|f″|/2 and rounding 2ε|f|/h" }]));
    return draw;
  };

  WIDGETS.direction = function (fig, data) {
    var controls = html("div", { class: "controls" });
    var readout = html("p", { class: "readout", "aria-live": "polite" });
    var input = slider(controls, "direction θ", 0, data.angles.length - 1, 1, 6, function () { draw(); });
    var gnorm = Math.hypot(data.grad[0], data.grad[1]);
    var gang = Math.atan2(data.grad[1], data.grad[0]);
    function arrow(svg, x1, y1, x2, y2, color, cls) {
      var a = Math.atan2(y2 - y1, x2 - x1), s = 10;
      el("line", { x1: x1, y1: y1, x2: x2, y2: y2, stroke: color, "stroke-width": 3, class: cls }, svg);
      el("path", { d: "M" + x2 + "," + y2 + "L" + (x2 - s * Math.cos(a - 0.4)) + "," +
        (y2 - s * Math.sin(a - 0.4)) + "L" + (x2 - s * Math.cos(a + 0.4)) + "," +
        (y2 - s * Math.sin(a + 0.4)) + "Z", fill: color, class: cls }, svg);
    }
    function draw() {
      var i = +input.value, deg = data.angles[i], t = deg * Math.PI / 180, D = data.D[i];
      var g = newSvg(fig.stage, function (w) { return w < 560 ? w * 1.55 : Math.min(380, w * 0.5); });
      var narrow = g.w < 560;
      var side = narrow ? g.w - 60 : Math.min(g.h - 50, g.w / 2 - 60);
      var box = { l: 46, t: 10, r: 46 + side, b: 10 + side };
      var lo = data.window[0], hi = data.window[1];
      var sx = scale(lo[0], hi[0], box.l, box.r), sy = scale(lo[1], hi[1], box.b, box.t);
      axes(g.svg, box, sx, sy, { xt: ticks(lo[0], hi[0], 4), yt: ticks(lo[1], hi[1], 4),
        xlabel: "x", ylabel: "y" });
      data.contours.forEach(function (line) {
        el("path", { d: path(line, sx, sy), fill: "none", stroke: "#bbb" }, g.svg);
      });
      var px = sx(data.point[0]), py = sy(data.point[1]), L = side * 0.22;
      arrow(g.svg, px, py, px + L * Math.cos(gang), py - L * Math.sin(gang), "#222", "grad-arrow");
      arrow(g.svg, px, py, px + L * 0.8 * Math.cos(t), py - L * 0.8 * Math.sin(t), COLORS[1], "u-arrow");
      el("circle", { cx: px, cy: py, r: 5, fill: COLORS[0] }, g.svg);
      // D_u f against the angle: the cosine it follows
      var b2 = narrow ? { l: 46, t: box.b + 60, r: g.w - 10, b: g.h - 42 }
                      : { l: box.r + 70, t: 10, r: g.w - 10, b: box.b };
      var ax = scale(0, 360, b2.l, b2.r), ay = scale(-gnorm * 1.1, gnorm * 1.1, b2.b, b2.t);
      axes(g.svg, b2, ax, ay, { xt: [0, 90, 180, 270, 360], yt: ticks(-gnorm, gnorm, 4),
        xlabel: "angle θ of u (degrees)", ylabel: "D_u f" });
      el("path", { d: path(data.angles.map(function (a, j) { return [a, data.D[j]]; }), ax, ay),
        fill: "none", stroke: COLORS[0], "stroke-width": 2 }, g.svg);
      el("line", { x1: b2.l, x2: b2.r, y1: ay(0), y2: ay(0), stroke: "#aaa" }, g.svg);
      el("circle", { cx: ax(deg), cy: ay(D), r: 6, fill: COLORS[1], class: "marker" }, g.svg);
      readout.textContent = "θ = " + deg + "°, u = (" + num(Math.cos(t), 3) + ", " +
        num(Math.sin(t), 3) + "): D_u f = " + num(D, 5) + " (gk.directional_derivative) = |∇f| cos(θ − θ∇) = " +
        num(gnorm * Math.cos(t - gang), 5) + ";  ∇f = (" + num(data.grad[0], 4) + ", " +
        num(data.grad[1], 4) + ")";
    }
    fig.insertBefore(controls, fig.stage);
    fig.insertBefore(readout, fig.stage.nextSibling);
    legend(fig.insertBefore(html("div", {}), readout), [
      { color: "#222", label: "gradient ∇f at (" + data.point.join(", ") + ")" },
      { color: COLORS[1], label: "direction u" }, { color: "#bbb", label: "contours of " + data.label },
      { color: COLORS[0], label: "D_u f for every θ" }]);
    return draw;
  };

  // The optimizer race, re-run here: rosenbrock(x, y) = (1 - x)² + 100 (y - x²)².
  function rosen(p) { return (1 - p[0]) * (1 - p[0]) + 100 * (p[1] - p[0] * p[0]) * (p[1] - p[0] * p[0]); }
  function rosenGrad(p) {
    var r = p[1] - p[0] * p[0];
    return [-2 * (1 - p[0]) - 400 * p[0] * r, 200 * r];
  }
  var RULES = {
    // each returns the update step (to subtract) and keeps its state in s
    "gradient descent": function (g, s, lr) { return [lr * g[0], lr * g[1]]; },
    "momentum (tutorial)": function (g, s, lr, beta) { // v = βv + (1 - β)g
      s.v = s.v || [0, 0];
      s.v = [beta * s.v[0] + (1 - beta) * g[0], beta * s.v[1] + (1 - beta) * g[1]];
      return [lr * s.v[0], lr * s.v[1]];
    },
    "nesterov": function (g, s, lr, beta) { // PyTorch: b = βb + g, step along g + βb
      s.b = s.b ? [beta * s.b[0] + g[0], beta * s.b[1] + g[1]] : [g[0], g[1]];
      return [lr * (g[0] + beta * s.b[0]), lr * (g[1] + beta * s.b[1])];
    },
    "adam": function (g, s, lr, beta) { // β1 = β, β2 = 0.999, bias-corrected
      s.t = (s.t || 0) + 1; s.m = s.m || [0, 0]; s.v = s.v || [0, 0];
      var out = [0, 0];
      for (var j = 0; j < 2; j++) {
        s.m[j] = beta * s.m[j] + (1 - beta) * g[j];
        s.v[j] = 0.999 * s.v[j] + 0.001 * g[j] * g[j];
        var mh = s.m[j] / (1 - Math.pow(beta, s.t)), vh = s.v[j] / (1 - Math.pow(0.999, s.t));
        out[j] = lr * mh / (Math.sqrt(vh) + 1e-8);
      }
      return out;
    }
  };
  function runRace(name, x0, steps, lr, beta) {
    var p = [x0[0], x0[1]], s = {}, path = [[p[0], p[1]]], diverged = null;
    for (var t = 1; t <= steps; t++) {
      var u = RULES[name](rosenGrad(p), s, lr, beta);
      p = [p[0] - u[0], p[1] - u[1]];
      var f = rosen(p);
      if (!isFinite(f) || f > 1e12) { diverged = t; break; }
      path.push([p[0], p[1]]);
    }
    return { path: path, final: diverged ? Infinity : rosen(p), diverged: diverged, x: p };
  }
  WIDGETS.race = function (fig, data) {
    var names = Object.keys(RULES);
    var controls = html("div", { class: "controls" });
    var readout = html("div", { class: "readout race-readout", "aria-live": "polite" });
    var lrIn = slider(controls, "learning rate α", -5, 0, 0.1, Math.log10(data.lr), function () { draw(); });
    var betaIn = slider(controls, "momentum β", 0, 0.99, 0.01, data.beta, function () { draw(); });
    fig.results = {};
    function draw() {
      var lr = Math.pow(10, +lrIn.value), beta = +betaIn.value;
      var g = newSvg(fig.stage, function (w) { return Math.min(420, w * 0.9); });
      var box = { l: 42, t: 10, r: g.w - 10, b: g.h - 42 };
      var sx = scale(-2, 2, box.l, box.r), sy = scale(-2, 3, box.b, box.t);
      axes(g.svg, box, sx, sy, { xt: ticks(-2, 2, 4), yt: ticks(-2, 3, 5), xlabel: "x", ylabel: "y" });
      var clip = el("clipPath", { id: "clip-race" }, g.svg);
      el("rect", { x: box.l, y: box.t, width: box.r - box.l, height: box.b - box.t }, clip);
      data.contours.forEach(function (line) {
        el("path", { d: path(line, sx, sy), fill: "none", stroke: "#ccc", "clip-path": "url(#clip-race)" }, g.svg);
      });
      el("circle", { cx: sx(1), cy: sy(1), r: 6, fill: "none", stroke: "#222", "stroke-width": 2 }, g.svg);
      el("circle", { cx: sx(data.x0[0]), cy: sy(data.x0[1]), r: 4, fill: "#222" }, g.svg);
      var rows = [];
      names.forEach(function (name, j) {
        var r = runRace(name, data.x0, data.steps, lr, beta);
        fig.results[name] = r.final;
        el("path", { d: path(r.path, sx, sy), fill: "none", stroke: COLORS[j], "stroke-width": 2,
          "clip-path": "url(#clip-race)", class: "trajectory" }, g.svg);
        rows.push([name, r.diverged ? "diverged at step " + r.diverged : num(r.final, 4),
          r.diverged ? "—" : num(Math.hypot(r.x[0] - 1, r.x[1] - 1), 3)]);
      });
      readout.textContent = "";
      html("p", {}, readout, "α = " + num(lr, 2) + ", β = " + num(beta, 2) + ", " + data.steps +
        " steps from (" + data.x0.join(", ") + "); the minimum is at (1, 1) (circle).");
      var table = html("table", { class: "race-table" }, readout);
      var head = html("tr", {}, html("thead", {}, table));
      ["optimizer", "final f", "distance to (1, 1)"].forEach(function (h) { html("th", {}, head, h); });
      var body = html("tbody", {}, table);
      rows.forEach(function (row, j) {
        var tr = html("tr", {}, body);
        var td = html("td", {}, tr);
        html("span", { class: "swatch", style: "background:" + COLORS[j] }, td);
        td.appendChild(document.createTextNode(row[0]));
        html("td", {}, tr, row[1]); html("td", {}, tr, row[2]);
      });
    }
    fig.insertBefore(controls, fig.stage);
    fig.insertBefore(readout, fig.stage.nextSibling);
    var ref = html("p", { class: "note" }, fig);
    ref.textContent = "Computed in this page from the update rules (Nesterov in PyTorch's form; " +
      "Adam with β₁ = β, β₂ = 0.999: its step is about α per coordinate whatever the gradient's " +
      "size, so it wants a far larger α than the others, 0.3 in the fair race below). gradkit's own race at α = " + num(data.lr, 2) + ", β = " +
      data.beta + " gives final f = " + names.map(function (n) { return n + " " + num(data.reference[n], 5); }).join(", ") +
      ": the page matches it at those settings.";
    fig.insertBefore(ref, readout.nextSibling);
    return draw;
  };

  WIDGETS.graph = function (fig, data) {
    var nodes = data.nodes, edges = data.edges;
    var forward = [], backward = [];
    nodes.forEach(function (n, i) { if (n.kind === "op" || n.kind === "output") forward.push(i); });
    for (var i = nodes.length - 1; i >= 0; i--) if (nodes[i].kind !== "constant") backward.push(i);
    var total = forward.length + backward.length, step = 0;
    var controls = html("div", { class: "controls buttons" });
    var back = html("button", { type: "button" }, controls, "◀ back");
    var next = html("button", { type: "button" }, controls, "step ▶");
    var reset = html("button", { type: "button" }, controls, "reset");
    var readout = html("p", { class: "readout", "aria-live": "polite" });
    back.addEventListener("click", function () { if (step > 0) { step--; draw(); } });
    next.addEventListener("click", function () { if (step < total) { step++; draw(); } });
    reset.addEventListener("click", function () { step = 0; draw(); });
    function draw() {
      var known = {}, gradKnown = {}, localKnown = {};
      nodes.forEach(function (n, i) { if (n.kind === "input" || n.kind === "constant") known[i] = true; });
      for (var s = 0; s < Math.min(step, forward.length); s++) known[forward[s]] = true;
      for (s = 0; s < step - forward.length; s++) {
        var c = backward[s];
        gradKnown[c] = true;
        edges.forEach(function (e, k) { if (e.to === c) localKnown[k] = true; });
      }
      var narrow = (fig.stage.clientWidth || 600) < 500;
      var g = newSvg(fig.stage, function (w) { return narrow ? 110 * data.layers : 300; });
      var most = Math.max.apply(null, nodes.map(function (n) { return n.rows; }));
      var bw = narrow ? Math.min(110, g.w / most - 8) : Math.min(120, (g.w - 20) / data.layers - 30), bh = 58;
      function pos(n) { // columns by layer (rows by layer on a phone, top to bottom)
        if (!narrow) {
          var colw = (g.w - bw) / Math.max(1, data.layers - 1);
          return [bw / 2 + n.layer * colw, (g.h / (n.rows + 1)) * (n.row + 1)];
        }
        var rowh = (g.h - bh) / Math.max(1, data.layers - 1);
        return [(g.w / n.rows) * (n.row + 0.5), bh / 2 + n.layer * rowh];
      }
      edges.forEach(function (e, k) {
        var a = pos(nodes[e.from]), b = pos(nodes[e.to]);
        el("line", { x1: a[0], y1: a[1], x2: b[0], y2: b[1], stroke: localKnown[k] ? COLORS[1] : "#999",
          "stroke-width": localKnown[k] ? 2.5 : 1.5 }, g.svg);
        if (localKnown[k]) {
          var mx = (a[0] + b[0]) / 2, my = (a[1] + b[1]) / 2;
          el("rect", { x: mx - 34, y: my - 10, width: 68, height: 18, rx: 4, fill: "#fff4e5", stroke: COLORS[1] }, g.svg);
          text(g.svg, mx, my + 4, "∂ = " + fmt(e.local, 4), { "text-anchor": "middle", class: "edge-local" });
        }
      });
      nodes.forEach(function (n, i) {
        var p = pos(n), active = (step > 0 && (step <= forward.length ? forward[step - 1] === i : backward[step - forward.length - 1] === i));
        el("rect", { x: p[0] - bw / 2, y: p[1] - bh / 2, width: bw, height: bh, rx: 8,
          fill: active ? "#fff2b3" : (n.kind === "input" ? "#e3f0fb" : n.kind === "constant" ? "#eee" : "#f7f7f7"),
          stroke: n.kind === "output" ? "#222" : "#888", "stroke-width": n.kind === "output" ? 2 : 1 }, g.svg);
        text(g.svg, p[0], p[1] - 12, n.label, { "text-anchor": "middle", "font-weight": "bold", "font-size": 13 });
        text(g.svg, p[0], p[1] + 5, "value " + (known[i] ? fmt(n.value, 4) : "?"), { "text-anchor": "middle", class: "node-value" });
        if (n.kind !== "constant")
          text(g.svg, p[0], p[1] + 21, "grad " + (gradKnown[i] ? fmt(n.grad, 4) : "?"), { "text-anchor": "middle", fill: COLORS[1], class: "node-grad" });
      });
      back.disabled = step === 0; next.disabled = step === total;
      if (step === 0) readout.textContent = "Step 0 of " + total + ": the inputs are set. Press “step ▶” to evaluate forward.";
      else if (step <= forward.length) {
        var n = nodes[forward[step - 1]];
        readout.textContent = "Forward " + step + " of " + forward.length + ": " + n.label + "(" +
          edges.filter(function (e) { return e.to === forward[step - 1]; }).map(function (e) { return fmt(nodes[e.from].value, 4); }).join(", ") +
          ") = " + fmt(n.value, 4);
      } else {
        var c = backward[step - forward.length - 1], node = nodes[c];
        var outs = edges.filter(function (e) { return e.from === c; });
        readout.textContent = "Backward " + (step - forward.length) + " of " + backward.length + ": ∂out/∂" + node.label + " = " +
          (outs.length ? outs.map(function (e) { return fmt(e.local, 4) + " × " + fmt(nodes[e.to].grad, 4); }).join(" + ") + " = " : "1 (the output itself) = ") +
          fmt(node.grad, 4) + (edges.some(function (e) { return e.to === c; }) ? "; orange: its local derivatives ∂" + node.label + "/∂input" : "");
      }
    }
    fig.insertBefore(controls, fig.stage);
    fig.insertBefore(readout, fig.stage.nextSibling);
    return draw;
  };

  WIDGETS.boundary = function (fig, data) {
    var controls = html("div", { class: "controls" });
    var readout = html("p", { class: "readout", "aria-live": "polite" });
    var snaps = data.snapshots;
    var input = slider(controls, "training epoch", 0, snaps.length - 1, 1, snaps.length - 1, function () { draw(); });
    function color(p) { // blue (class 0) to orange (class 1) through white
      var a = [0, 114, 178], b = [230, 159, 0], t = Math.abs(p - 0.5) * 2, c = p < 0.5 ? a : b;
      return "rgb(" + c.map(function (v) { return Math.round(255 + (v - 255) * t * 0.55); }).join(",") + ")";
    }
    function draw() {
      var s = snaps[+input.value], G = data.grid;
      var g = newSvg(fig.stage, function (w) { return Math.min(420, w * 0.85); });
      var box = { l: 42, t: 10, r: g.w - 10, b: g.h - 42 };
      var lo = data.window[0], hi = data.window[1];
      var sx = scale(lo[0], hi[0], box.l, box.r), sy = scale(lo[1], hi[1], box.b, box.t);
      var cw = (box.r - box.l) / (G - 1), ch = (box.b - box.t) / (G - 1);
      var gx = function (j) { return lo[0] + (hi[0] - lo[0]) * j / (G - 1); };
      var gy = function (i) { return lo[1] + (hi[1] - lo[1]) * i / (G - 1); };
      var clip = el("clipPath", { id: "clip-boundary" }, g.svg);
      el("rect", { x: box.l, y: box.t, width: box.r - box.l, height: box.b - box.t }, clip);
      var cells = el("g", { "clip-path": "url(#clip-boundary)" }, g.svg);
      for (var i = 0; i < G; i++) for (var j = 0; j < G; j++)
        el("rect", { x: sx(gx(j)) - cw / 2, y: sy(gy(i)) - ch / 2, width: cw + 0.5, height: ch + 0.5,
          fill: color(s.p[i][j]) }, cells);
      // the p = 0.5 contour by marching squares (linear interpolation on cell edges)
      var d = "";
      for (i = 0; i < G - 1; i++) for (j = 0; j < G - 1; j++) {
        var v = [s.p[i][j], s.p[i][j + 1], s.p[i + 1][j + 1], s.p[i + 1][j]];
        var c = [[j, i], [j + 1, i], [j + 1, i + 1], [j, i + 1]], cross = [];
        for (var e = 0; e < 4; e++) {
          var a = v[e] - 0.5, b = v[(e + 1) % 4] - 0.5;
          if ((a < 0) !== (b < 0)) {
            var t = a / (a - b), p0 = c[e], p1 = c[(e + 1) % 4];
            cross.push([gx(p0[0] + t * (p1[0] - p0[0])), gy(p0[1] + t * (p1[1] - p0[1]))]);
          }
        }
        for (e = 0; e + 1 < cross.length; e += 2)
          d += "M" + sx(cross[e][0]).toFixed(1) + "," + sy(cross[e][1]).toFixed(1) + "L" +
            sx(cross[e + 1][0]).toFixed(1) + "," + sy(cross[e + 1][1]).toFixed(1);
      }
      el("path", { d: d, stroke: "#222", "stroke-width": 2.5, fill: "none", class: "boundary" }, g.svg);
      data.X.forEach(function (x, k) {
        el("circle", { cx: sx(x[0]), cy: sy(x[1]), r: 4.5, fill: data.y[k] ? "#e69f00" : "#0072b2",
          stroke: "#fff", "stroke-width": 1.2 }, g.svg);
      });
      axes(g.svg, box, sx, sy, { xt: ticks(lo[0], hi[0], 5), yt: ticks(lo[1], hi[1], 5), xlabel: "x₁", ylabel: "x₂" });
      readout.textContent = "After " + s.epoch + " epochs: training accuracy " + Math.round(s.accuracy * 100) +
        "%; the black line is p = 0.5.";
    }
    fig.insertBefore(controls, fig.stage);
    fig.insertBefore(readout, fig.stage.nextSibling);
    legend(fig.insertBefore(html("div", {}), readout), [
      { color: "#0072b2", label: "class 0 (shading: p < 0.5)" }, { color: "#e69f00", label: "class 1 (p > 0.5)" },
      { color: "#222", label: "decision boundary p = 0.5" }]);
    return draw;
  };

  // ------------------------------------------------------------------ start
  function typeset() {
    if (typeof katex === "undefined") return;
    var all = document.querySelectorAll(".math");
    for (var i = 0; i < all.length; i++) {
      var node = all[i];
      katex.render(node.textContent, node, { displayMode: node.classList.contains("display"),
        throwOnError: false, output: "htmlAndMathml" });
    }
  }
  function start() {
    typeset();
    var figs = document.querySelectorAll("figure.widget");
    var redraws = [];
    for (var i = 0; i < figs.length; i++) {
      var fig = figs[i], kind = fig.getAttribute("data-widget");
      var data = JSON.parse(fig.querySelector("script[type='application/json']").textContent);
      fig.stage = fig.querySelector(".stage");
      if (!WIDGETS[kind]) throw new Error("tour.js: no widget named " + kind);
      var draw = WIDGETS[kind](fig, data);
      draw();
      redraws.push(draw);
    }
    var last = window.innerWidth, timer = null;
    window.addEventListener("resize", function () {
      if (window.innerWidth === last) return;
      last = window.innerWidth;
      clearTimeout(timer);
      timer = setTimeout(function () { redraws.forEach(function (d) { d(); }); }, 100);
    });
    document.documentElement.setAttribute("data-tour-ready", "yes");
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

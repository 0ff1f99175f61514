// The tile map's print control: composes the current view on one landscape sheet (A4 or A3 at
// the dpi the page sends) with a title bar (title, data date, filters), the legend, a metric
// scale bar and a north arrow, and downloads it as PNG, or sends the PNG to the page, which
// offers it as a PDF of the same paper (geomon.mapview.printing).
//
// The map is redrawn from its vector tiles at the sheet's resolution with the map's own drawing
// code (tilemap.js `drawTile`), not copied from the screen: the sheet is sharp at 150 dpi and
// covers the whole map frame on paper. The view is scaled to fit the frame (the screen's view
// is all on paper, the frame's longer side shows a little more); tiles not on screen are
// fetched like the map fetches them. Everything is local: no new assets, no requests elsewhere.
(function () {
  "use strict";
  var FONT = '"Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", "Helvetica Neue", Arial, ' +
    "sans-serif";
  var EARTH = 40075016.686;  // the equator of Web Mercator's sphere, in metres
  var PRINTER = '<svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">' +
    '<path fill="#333" d="M6 2h12v5H6zM4 8h16a2 2 0 0 1 2 2v6h-4v5H6v-5H2v-6a2 2 0 0 1 2-2zm4 ' +
    '7v4h8v-4zm10-5a1 1 0 1 0 0 2 1 1 0 0 0 0-2z"/></svg>';

  function el(tag, parent, props) {
    var node = document.createElement(tag);
    Object.keys(props || {}).forEach(function (k) { node[k] = props[k]; });
    if (parent) parent.appendChild(node);
    return node;
  }

  function today() {
    var d = new Date(), pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
  }

  // Lines of `text` no wider than `width` (broken anywhere: Chinese has no spaces).
  function wrap(ctx, text, width) {
    var lines = [], line = "";
    Array.from(String(text)).forEach(function (ch) {
      if (line && ctx.measureText(line + ch).width > width) { lines.push(line); line = ""; }
      line += ch;
    });
    if (line) lines.push(line);
    return lines;
  }

  function fit(ctx, text, width) {  // `text`, cut with an ellipsis to `width`
    text = String(text);
    if (ctx.measureText(text).width <= width) return text;
    while (text && ctx.measureText(text + "…").width > width) text = text.slice(0, -1);
    return text + "…";
  }

  function niceLength(metres) {  // the longest 1, 2 or 5 × 10^n not above `metres`
    var p = Math.pow(10, Math.floor(Math.log10(metres)));
    return [5, 2, 1].map(function (f) { return f * p; }).find(function (v) {
      return v <= metres; }) || p;
  }

  // -- the printed legend ----------------------------------------------------------------------

  function font(weight, px) { return weight + " " + Math.round(px) + "px " + FONT; }

  function swatch(ctx, row, stroke, x, y, mm) {  // the legend's swatch, centred on y
    var c = row.color;
    ctx.lineWidth = 0.3 * mm;
    if (row.kind === "ln") {
      ctx.strokeStyle = c; ctx.lineWidth = 0.9 * mm;
      ctx.beginPath(); ctx.moveTo(x, y); ctx.lineTo(x + 5 * mm, y); ctx.stroke();
    } else if (row.kind === "pg") {
      ctx.globalAlpha = 0.33; ctx.fillStyle = c; ctx.fillRect(x, y - 1.6 * mm, 5 * mm, 3.2 * mm);
      ctx.globalAlpha = 1; ctx.strokeStyle = c; ctx.lineWidth = 0.4 * mm;
      ctx.strokeRect(x, y - 1.6 * mm, 5 * mm, 3.2 * mm);
    } else {
      var cx = x + 2.5 * mm, r = 1.5 * mm;
      ctx.beginPath();
      if (row.kind === "dm") {
        ctx.moveTo(cx, y - r * 1.3); ctx.lineTo(cx + r * 1.3, y);
        ctx.lineTo(cx, y + r * 1.3); ctx.lineTo(cx - r * 1.3, y); ctx.closePath();
      } else {
        ctx.arc(cx, y, r, 0, 2 * Math.PI);
      }
      if (row.kind === "ring") {
        ctx.fillStyle = "#fff"; ctx.fill(); ctx.strokeStyle = c; ctx.lineWidth = 0.6 * mm;
      } else {
        ctx.fillStyle = c; ctx.fill(); ctx.strokeStyle = stroke;
      }
      ctx.stroke();
    }
  }

  // Where each line of the printed legend goes in `box` (sheet pixels, `mm` pixels a millimetre):
  // every layer is listed, no text cut with "…" (long titles and labels wrap). The legend shrinks (down to 70 %), then splits
  // into two columns (down to 50 %), then shrinks on until it fits. A layer's description wraps.
  // Returns {scale, columns, lines: [{kind: "title"|"sub"|"row", x, y, w, text, row, layer}]}.
  function planLegend(ctx, layers, box, mm) {
    var top = box.y + 10 * mm, bottom = box.y + box.h - 3 * mm, pad = 3 * mm;
    var tries = [[1, 1], [1, 0.9], [1, 0.8], [1, 0.7], [2, 0.8], [2, 0.7], [2, 0.6], [2, 0.5]];
    for (var s = 0.45; s > 0.2; s -= 0.05) tries.push([2, s]);
    var plan = null;
    for (var i = 0; i < tries.length && !(plan && plan.fits); i++) {
      plan = layoutLegend(ctx, layers, box, mm, tries[i][0], tries[i][1], top, bottom, pad);
    }
    return plan;
  }

  function layoutLegend(ctx, layers, box, mm, columns, scale, top, bottom, pad) {
    var gap = 2 * mm, colW = (box.w - 2 * pad - (columns - 1) * gap) / columns;
    var row = 5 * mm * scale, subRow = 3.6 * mm * scale;
    var blocks = [];  // one per layer: its lines, with heights, kept together where they can be
    layers.forEach(function (layer) {
      var lines = [], s = mm * scale;
      ctx.font = font(600, 3.4 * s);
      wrap(ctx, layer.title, colW).forEach(function (text, k) {
        lines.push({kind: k ? "more-title" : "title", text: text, h: k ? subRow : row,
                    layer: layer});
      });
      if (layer.sub) {
        ctx.font = font(400, 2.9 * s);
        wrap(ctx, layer.sub, colW).forEach(function (text) {
          lines.push({kind: "sub", text: text, h: subRow, layer: layer});
        });
      }
      layer.rows.forEach(function (r) {  // a long label wraps beside its swatch, left of the count
        ctx.font = font(400, 3.1 * s);
        var width = colW - 9 * s - ctx.measureText(String(r.count)).width;
        wrap(ctx, r.label, width).forEach(function (text, k) {
          lines.push({kind: k ? "more" : "row", text: text, h: k ? subRow : row, row: r,
                      layer: layer});
        });
      });
      blocks.push({lines: lines, after: 1.5 * mm * scale});
    });
    var col = 0, y = top, out = [], fits = true;
    blocks.forEach(function (block) {
      var height = block.lines.reduce(function (sum, ln) { return sum + ln.h; }, 0);
      var head = block.lines[0].h + (block.lines[1] ? block.lines[1].h : 0);
      // a layer starts a new column if it does not fit whole here (and would there), or if
      // not even its title and first line fit
      if (y > top && ((y + height > bottom && top + height <= bottom) || y + head > bottom)) {
        col += 1; y = top;
      }
      block.lines.forEach(function (ln) {
        if (y + ln.h > bottom) { col += 1; y = top; }
        if (col >= columns) fits = false;
        out.push({kind: ln.kind, text: ln.text, row: ln.row, layer: ln.layer,
                  x: box.x + pad + col * (colW + gap), y: y + ln.h / 2, w: colW});
        y += ln.h;
      });
      y += block.after;
    });
    return {scale: scale, columns: columns, lines: out, fits: fits};
  }

  function summary(plan) {  // what tests read: the printed legend's size and what it lists
    return {scale: plan.scale, columns: plan.columns, fits: plan.fits,
            titles: plan.lines.filter(function (ln) { return ln.kind === "title"; })
              .map(function (ln) { return ln.text; }),
            labels: plan.lines.filter(function (ln) {
              return ln.kind === "row" || ln.kind === "more"; })
              .map(function (ln) { return ln.text; }).join(""),
            subs: plan.lines.filter(function (ln) { return ln.kind === "sub"; })
              .map(function (ln) { return ln.text; }).join(""),
            rows: plan.lines.filter(function (ln) { return ln.kind === "row"; }).length};
  }

  function drawLegendLine(ctx, ln, scale, mm) {
    var x = ln.x, right = ln.x + ln.w, cy = ln.y;
    ctx.textBaseline = "middle";
    if (ln.kind === "title" || ln.kind === "more-title") {
      ctx.fillStyle = "#111"; ctx.font = font(600, 3.4 * mm * scale); ctx.textAlign = "left";
      ctx.fillText(ln.text, x, cy);
    } else if (ln.kind === "more") {  // a row label's next line
      ctx.fillStyle = "#222"; ctx.font = font(400, 3.1 * mm * scale); ctx.textAlign = "left";
      ctx.fillText(ln.text, x + 7 * mm * scale, cy);
    } else if (ln.kind === "sub") {
      ctx.fillStyle = "#555"; ctx.font = font(400, 2.9 * mm * scale); ctx.textAlign = "left";
      ctx.fillText(ln.text, x, cy);
    } else {
      var s = mm * scale;
      swatch(ctx, ln.row, ln.layer.stroke, x, cy, s);
      ctx.font = font(400, 3.1 * s); ctx.textAlign = "right"; ctx.fillStyle = "#777";
      var n = String(ln.row.count), nw = ctx.measureText(n).width;
      ctx.fillText(n, right, cy);
      ctx.textAlign = "left"; ctx.fillStyle = "#222";
      ctx.fillText(ln.text, x + 7 * s, cy);
    }
  }

  function control(env) {
    var state = env.state, last = null;

    // -- composing the sheet -------------------------------------------------------------------


    function tilesFor(frame, view) {  // [layer, x, y, tile] to draw, bottom layer first
      var map = state.map, jobs = [];
      state.args.layers.forEach(function (l) {
        var layer = state.layers[l.name];
        if (!layer || !map.hasLayer(layer.grid) || view.z < (l.style.minZoom || 0)) return;
        var size = layer.grid.getTileSize().x, n = Math.pow(2, view.z);
        var x0 = Math.max(0, Math.floor(view.origin.x / size));
        var y0 = Math.max(0, Math.floor(view.origin.y / size));
        var x1 = Math.min(n - 1, Math.floor((view.origin.x + frame.w / view.k) / size));
        var y1 = Math.min(n - 1, Math.floor((view.origin.y + frame.h / view.k) / size));
        for (var x = x0; x <= x1; x++) {
          for (var y = y0; y <= y1; y++) {
            var t = layer.grid._tiles[x + ":" + y + ":" + view.z];
            var job = {name: l.name, style: layer.style, size: size, x: x, y: y, tile: null};
            if (t && t.current && t.el._tile) job.tile = t.el._tile;
            else job.fetch = fetchTile(l.name, {x: x, y: y, z: view.z});
            jobs.push(job);
          }
        }
      });
      return Promise.all(jobs.map(function (job) {
        if (!job.fetch) return job;
        return job.fetch.then(function (tile) { job.tile = tile; return job; });
      }));
    }

    function fetchTile(name, coords) {  // batched with the other layers' tiles of the sheet
      return env.tileData(name, coords).catch(function () { return null; });
    }

    // Tile (x, y) → its square on the sheet, on whole pixels: neighbours meet without a seam.
    function place(ctx, frame, view, x, y, size) {
      function at(tx, ty) {
        return [Math.round(frame.x + (tx * size - view.origin.x) * view.k),
                Math.round(frame.y + (ty * size - view.origin.y) * view.k)];
      }
      var a = at(x, y), b = at(x + 1, y + 1);
      ctx.translate(a[0], a[1]);
      ctx.scale((b[0] - a[0]) / size, (b[1] - a[1]) / size);
      ctx.beginPath(); ctx.rect(0, 0, size, size); ctx.clip();
    }

    function drawBasemap(ctx, frame, view) {
      var map = state.map;
      map.eachLayer(function (layer) {
        if (!(layer instanceof L.TileLayer)) return;
        var size = layer.getTileSize().x;
        Object.keys(layer._tiles || {}).forEach(function (key) {
          var t = layer._tiles[key], img = t.el;
          if (!t.current || t.coords.z !== view.z || !img.complete || !img.naturalWidth) return;
          ctx.save();
          place(ctx, frame, view, t.coords.x, t.coords.y, size);
          ctx.drawImage(img, 0, 0, size, size);
          ctx.restore();
        });
      });
      ctx.getImageData(frame.x, frame.y, 1, 1);  // throws if a basemap without CORS tainted it
    }

    function drawMap(ctx, frame, withBasemap) {
      var map = state.map, z = map.getZoom(), screen = map.getSize();
      var k = Math.min(frame.w / screen.x, frame.h / screen.y);
      var centre = map.getCenter(), c = map.project(centre, z);
      var view = {z: z, k: k, centre: centre,
                  origin: L.point(c.x - frame.w / k / 2, c.y - frame.h / k / 2)};
      ctx.save();
      ctx.beginPath(); ctx.rect(frame.x, frame.y, frame.w, frame.h); ctx.clip();
      ctx.fillStyle = withBasemap && state.args.basemap.length ? "#ffffff" : "#f3f5f7";
      ctx.fillRect(frame.x, frame.y, frame.w, frame.h);
      if (withBasemap) drawBasemap(ctx, frame, view);
      return tilesFor(frame, view).then(function (jobs) {
        jobs.forEach(function (job) {
          if (!job.tile) return;
          ctx.save();
          place(ctx, frame, view, job.x, job.y, job.size);
          env.drawTile(ctx, job.tile, job.name, job.style, job.size);
          ctx.restore();
        });
        ctx.restore();
        return view;
      });
    }

    function drawScale(ctx, frame, view, mm, dpi) {
      var perPx = EARTH * Math.cos(view.centre.lat * Math.PI / 180) /
        (256 * Math.pow(2, view.z)) / view.k;  // metres per sheet pixel at the centre
      var metres = niceLength(frame.w * 0.25 * perPx), len = metres / perPx;
      var text = metres >= 1000 ? metres / 1000 + " km" : metres + " m";
      var ratio = perPx / (0.0254 / dpi), digits = Math.pow(10, Math.floor(Math.log10(ratio)) - 1);
      var scale = "1 : " + (Math.round(ratio / digits) * digits).toLocaleString("en-US");
      var x = frame.x + 4 * mm, h = 13 * mm, y = frame.y + frame.h - 4 * mm - h;
      ctx.fillStyle = "rgba(255,255,255,.9)";
      ctx.fillRect(x, y, len + 10 * mm, h);
      var bx = x + 3 * mm, by = y + 7 * mm, half = len / 2;
      ctx.fillStyle = "#222"; ctx.fillRect(bx, by, half, 1.4 * mm);
      ctx.fillStyle = "#fff"; ctx.fillRect(bx + half, by, half, 1.4 * mm);
      ctx.strokeStyle = "#222"; ctx.lineWidth = 0.25 * mm;
      ctx.strokeRect(bx, by, len, 1.4 * mm);
      ctx.fillStyle = "#222"; ctx.font = font(400, 3 * mm); ctx.textBaseline = "alphabetic";
      ctx.textAlign = "left"; ctx.fillText("0", bx - 0.8 * mm, by - 1 * mm);
      ctx.textAlign = "right"; ctx.fillText(text, bx + len + 2 * mm, by - 1 * mm);
      ctx.textAlign = "left"; ctx.fillText(scale, bx, by + 4.6 * mm);
      return {metres: metres, pixels: len, scale: scale};
    }

    function drawNorth(ctx, frame, mm, label) {
      var w = 11 * mm, h = 16 * mm, x = frame.x + frame.w - 4 * mm - w, y = frame.y + 4 * mm;
      var cx = x + w / 2, top = y + 6 * mm, bottom = y + h - 1.5 * mm;
      ctx.fillStyle = "rgba(255,255,255,.9)"; ctx.fillRect(x, y, w, h);
      ctx.fillStyle = "#222"; ctx.font = font(700, 4 * mm);
      ctx.textAlign = "center"; ctx.textBaseline = "alphabetic";
      ctx.fillText(label, cx, y + 5 * mm);
      ctx.lineWidth = 0.3 * mm; ctx.strokeStyle = "#222"; ctx.lineJoin = "round";
      ctx.beginPath(); ctx.moveTo(cx, top); ctx.lineTo(cx - 3 * mm, bottom);
      ctx.lineTo(cx, bottom - 2.5 * mm); ctx.closePath(); ctx.fill(); ctx.stroke();
      ctx.fillStyle = "#fff";
      ctx.beginPath(); ctx.moveTo(cx, top); ctx.lineTo(cx + 3 * mm, bottom);
      ctx.lineTo(cx, bottom - 2.5 * mm); ctx.closePath(); ctx.fill(); ctx.stroke();
    }

    function drawLegend(ctx, box, mm, heading) {
      var layers = (state.args.legend_layers || []).filter(function (layer) {
        var shown = state.layers[layer.name];  // switched off: not printed
        return shown && state.map.hasLayer(shown.grid);
      });
      var plan = planLegend(ctx, layers, box, mm);
      ctx.strokeStyle = "#999"; ctx.lineWidth = 0.25 * mm;
      ctx.strokeRect(box.x, box.y, box.w, box.h);
      ctx.textBaseline = "middle"; ctx.textAlign = "left"; ctx.fillStyle = "#111";
      ctx.font = font(700, 4 * mm); ctx.fillText(heading, box.x + 3 * mm, box.y + 5 * mm);
      plan.lines.forEach(function (ln) { drawLegendLine(ctx, ln, plan.scale, mm); });
      return plan;
    }

    // The whole sheet; resolves to {canvas, layout}. `withBasemap` false leaves out the basemap.
    function compose(paper, title, withBasemap) {
      var a = state.args, p = a.print, size = p.papers[paper], lb = a.labels;
      var W = size[0], H = size[1], mm = p.dpi / 25.4, m = 8 * mm;
      var canvas = el("canvas", null, {width: W, height: H}), ctx = canvas.getContext("2d");
      ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, W, H);
      ctx.textBaseline = "top"; ctx.textAlign = "left"; ctx.fillStyle = "#111";
      ctx.font = font(700, 6.5 * mm);
      var made = lb.made + " " + today();
      ctx.fillText(fit(ctx, title, W - 2 * m - 45 * mm), m, m);
      ctx.font = font(400, 3.2 * mm); ctx.textAlign = "right"; ctx.fillStyle = "#555";
      ctx.fillText(made, W - m, m + 2.5 * mm);
      var y = m + 9.5 * mm;
      ctx.textAlign = "left"; ctx.fillStyle = "#333"; ctx.font = font(400, 3.4 * mm);
      p.notes.forEach(function (note) {
        wrap(ctx, note, W - 2 * m).forEach(function (text) {
          ctx.fillText(text, m, y); y += 4.8 * mm;
        });
      });
      y += 1 * mm;
      ctx.strokeStyle = "#333"; ctx.lineWidth = 0.4 * mm;
      ctx.beginPath(); ctx.moveTo(m, y); ctx.lineTo(W - m, y); ctx.stroke();
      y += 3 * mm;
      var legendW = (paper === "A3" ? 75 : 62) * mm, gap = 4 * mm;
      var frame = {x: m, y: y, w: W - 2 * m - legendW - gap, h: H - y - m};
      return drawMap(ctx, frame, withBasemap).then(function (view) {
        var scale = drawScale(ctx, frame, view, mm, p.dpi);
        drawNorth(ctx, frame, mm, lb.north);
        ctx.strokeStyle = "#333"; ctx.lineWidth = 0.35 * mm;
        ctx.strokeRect(frame.x, frame.y, frame.w, frame.h);
        var legend = drawLegend(ctx, {x: frame.x + frame.w + gap, y: frame.y, w: legendW,
                                      h: frame.h}, mm, lb.legend);
        return {canvas: canvas, layout: {paper: paper, width: W, height: H, frame: frame,
                                         zoom: view.z, k: view.k, origin: view.origin,
                                         scale: scale, basemap: withBasemap,
                                         legend: summary(legend)}};
      });
    }

    function composeSafely(paper, title) {  // a basemap without CORS taints: print without it
      return Promise.resolve().then(function () {
        return compose(paper, title, true);
      }).catch(function (err) {
        if (err && err.name === "SecurityError") return compose(paper, title, false);
        throw err;
      });
    }

    // -- output --------------------------------------------------------------------------------

    function download(canvas, name) {
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          var url = URL.createObjectURL(blob), a = el("a", document.body,
            {href: url, download: name});
          a.click();
          a.remove();
          setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
          resolve();
        }, "image/png");
      });
    }

    function print(paper, format, title, status) {
      var lb = state.args.labels;
      status(lb.making);
      return composeSafely(paper, title).then(function (out) {
        last = out.layout;
        var note = out.layout.basemap ? "" : (state.args.basemap.length ? lb.noBasemap : "");
        if (format === "pdf") {
          var png = out.canvas.toDataURL("image/png").split(",")[1];
          env.send("streamlit:setComponentValue",
                   {value: {print: {id: Date.now(), paper: paper, png: png}}});
          status(lb.pdfSent + (note ? "；" + note : ""));
          return;
        }
        var stamp = new Date().toISOString().slice(0, 16).replace(/[-:]/g, "").replace("T", "-");
        return download(out.canvas, "geomon-map-" + paper + "-" + stamp + ".png").then(function () {
          status(note);
        });
      }).catch(function (err) {
        status(lb.failed + ": " + (err && err.message ? err.message : err));
      });
    }

    // -- the control ---------------------------------------------------------------------------

    var Control = L.Control.extend({
      options: {position: "topleft"},
      onAdd: function () {
        var lb = state.args.labels, papers = Object.keys(state.args.print.papers);
        var box = el("div", null, {className: "leaflet-bar geomon-print"});
        var button = el("a", box, {href: "#", title: lb.print, innerHTML: PRINTER,
                                   className: "geomon-print-button"});
        button.setAttribute("role", "button");
        button.setAttribute("aria-label", lb.print);
        var panel = el("div", box, {className: "geomon-print-panel"});
        panel.hidden = true;
        function field(label, input) {
          var row = el("label", panel);
          el("span", row, {textContent: label});
          row.appendChild(input);
          return input;
        }
        var title = field(lb.printTitle, el("input", null, {type: "text", name: "title"}));
        var paper = field(lb.paper, el("select", null, {name: "paper"}));
        papers.forEach(function (p) {
          el("option", paper, {value: p, textContent: p + " " + lb.landscape});
        });
        var format = field(lb.format, el("select", null, {name: "format"}));
        ["png", "pdf"].forEach(function (f) {
          el("option", format, {value: f, textContent: f.toUpperCase()});
        });
        var make = el("button", panel, {type: "button", textContent: lb.make,
                                         className: "geomon-print-make"});
        var status = el("div", panel, {className: "geomon-print-status"});
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        L.DomEvent.on(button, "click", function (e) {
          L.DomEvent.preventDefault(e);
          panel.hidden = !panel.hidden;
          if (!panel.hidden && !title.dataset.edited) title.value = state.args.print.title;
        });
        L.DomEvent.on(title, "input", function () { title.dataset.edited = "1"; });
        L.DomEvent.on(make, "click", function () {
          make.disabled = true;
          print(paper.value, format.value, title.value, function (text) {
            status.textContent = text;
          }).then(function () { make.disabled = false; });
        });
        return box;
      },
    });

    var ctl = new Control();
    ctl.layout = function () { return last; };
    ctl.point = function (latlng) {  // where `latlng` is on the last printed sheet
      if (!last) return null;
      var p = state.map.project(latlng, last.zoom), f = last.frame;
      return [f.x + (p.x - last.origin.x) * last.k, f.y + (p.y - last.origin.y) * last.k];
    };
    return ctl;
  }

  // planLegend: for a test of the legend of many layers, on a canvas of its own (`summary` of it)
  window.GeomonPrint = {control: control, planLegend: function (ctx, layers, box, mm) {
    return summary(planLegend(ctx, layers, box, mm));
  }};
})();

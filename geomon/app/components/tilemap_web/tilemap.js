// geomon's tile map: a Streamlit component (the iframe protocol of components v1, written out
// here so nothing is built or fetched) that draws each layer from vector tiles served by the
// app (geomon/app/server.py) on canvas, and fetches a popup by id on click.
//
// The page sends args on every rerun; the map is created once and then only updated: a layer
// whose key (its filter) or the store revision changed is refetched, the others stay, and the
// view is kept. A 403 (expired token) asks the page for a new token through the component value.
// The print control (print.js) redraws the view from the same tiles on a printed sheet.
(function () {
  "use strict";
  var M = window.GeomonMVT;
  var state = {map: null, layers: {}, args: null, legend: null, control: null, focusId: null,
               focus: null, busy: null, pending: 0, asked: 0, drawn: {}, print: null, value: {},
               legendShown: false};

  function send(type, data) {  // a component value is sent whole: print and token requests merge
    if (type === "streamlit:setComponentValue") {
      state.value = Object.assign({}, state.value, data.value);
      data = {value: state.value, dataType: "json"};
    }
    var msg = {isStreamlitMessage: true, type: type};
    for (var k in data || {}) msg[k] = data[k];
    window.parent.postMessage(msg, "*");
  }

  function esc(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }

  function count(n) {
    if (n >= 10000) return Math.round(n / 1000) + "k";
    if (n >= 1000) return (n / 1000).toFixed(1) + "k";
    return String(n);
  }

  function busy(delta) {
    state.pending += delta;
    if (state.busy) state.busy.style.display = state.pending > 0 ? "block" : "none";
    if (state.pending === 0) document.body.setAttribute("data-idle", String(Date.now()));
  }

  // One request per tile position for every layer that wants it in the same tick: on opening,
  // panning or zooming all layers ask at once, and a browser has six connections per host, so a
  // hundred single-layer requests would queue; the server joins the layers' tiles into one MVT.
  // A filter change refetches only the changed layer (it alone asks then).
  function tileUrl(names, coords) {
    var a = state.args, keys = names.map(function (n) { return state.layers[n].key; });
    return a.data_base + "/tiles/" + names.map(encodeURIComponent).join(",") + "/" + coords.z +
      "/" + coords.x + "/" + coords.y + ".mvt?k=" + keys.join(",") + "&r=" + a.revision +
      "&t=" + encodeURIComponent(a.token);
  }

  var batch = null;

  function tileData(name, coords) {
    if (!batch) { batch = {}; setTimeout(sendBatch, 0); }
    var at = coords.z + "/" + coords.x + "/" + coords.y;
    var job = batch[at] || (batch[at] = {coords: coords, names: [], waiting: []});
    return new Promise(function (resolve, reject) {
      job.names.push(name); job.waiting.push([resolve, reject]);
    });
  }

  function sendBatch() {
    var jobs = batch; batch = null;
    Object.keys(jobs).forEach(function (at) {
      var job = jobs[at];
      fetch(tileUrl(job.names, job.coords), {credentials: "same-origin"})
        .then(function (r) {
          if (r.status === 403) { askToken(); throw new Error("forbidden"); }
          if (!r.ok) throw new Error("HTTP " + r.status);
          return r.arrayBuffer();
        })
        .then(function (buf) {
          var tile = M.decode(buf);
          job.waiting.forEach(function (w) { w[0](tile); });
        })
        .catch(function (err) { job.waiting.forEach(function (w) { w[1](err); }); });
    });
  }

  function featureUrl(layer, id) {
    var a = state.args, l = state.layers[layer];
    return a.data_base + "/feature/" + encodeURIComponent(layer) + "/" + encodeURIComponent(id) +
      "?k=" + l.key + "&t=" + encodeURIComponent(a.token);
  }

  // -- drawing ---------------------------------------------------------------------------------

  function diamond(ctx, x, y, r) {
    ctx.beginPath();
    ctx.moveTo(x, y - r * 1.25); ctx.lineTo(x + r * 1.25, y);
    ctx.lineTo(x, y + r * 1.25); ctx.lineTo(x - r * 1.25, y); ctx.closePath();
  }

  function drawPoint(ctx, f, x, y, st) {
    var p = f.properties;
    if (p.n !== undefined) {  // a cell of many points
      var r = Math.min(22, 9 + 2.2 * Math.log(p.n));
      ctx.beginPath(); ctx.arc(x, y, r + 4, 0, 2 * Math.PI);
      ctx.fillStyle = "rgba(38,84,124,.25)"; ctx.fill();
      ctx.beginPath(); ctx.arc(x, y, r, 0, 2 * Math.PI);
      ctx.fillStyle = "rgba(38,84,124,.9)"; ctx.fill();
      ctx.lineWidth = p.r > 0 ? 2.5 : 1; ctx.strokeStyle = p.r > 0 ? st.ring : "#ffffff";
      ctx.stroke();
      ctx.fillStyle = "#fff"; ctx.font = "600 11px sans-serif";
      ctx.textAlign = "center"; ctx.textBaseline = "middle";
      ctx.fillText(count(p.n), x, y + 0.5);
      return {kind: "cell", x: x, y: y, r: r + 2, f: f};
    }
    var s = p.s || 0, color = st.palette[s >> 1] || st.palette[0], ring = s & 1, r0 = st.radius;
    if (st.shape === "diamond") diamond(ctx, x, y, r0);
    else { ctx.beginPath(); ctx.arc(x, y, r0, 0, 2 * Math.PI); }
    ctx.globalAlpha = 0.92; ctx.fillStyle = color; ctx.fill(); ctx.globalAlpha = 1;
    ctx.lineWidth = ring ? 3 : st.strokeWeight; ctx.strokeStyle = ring ? st.ring : st.stroke;
    ctx.stroke();
    if (p.a && st.alert) {  // an open alert: a dashed halo outside the ring
      ctx.beginPath(); ctx.arc(x, y, r0 + 6, 0, 2 * Math.PI);
      ctx.setLineDash([4, 3]); ctx.lineWidth = 2.5; ctx.strokeStyle = st.alert;
      ctx.stroke(); ctx.setLineDash([]);
    }
    return {kind: "point", x: x, y: y, r: r0 + 3, f: f};
  }

  function drawDot(ctx, f, x, y, st) {
    var s = f.properties.s || 0, color = st.palette[s >> 1] || st.palette[0];
    ctx.beginPath(); ctx.arc(x, y, 2.5, 0, 2 * Math.PI);
    ctx.fillStyle = color; ctx.fill();
    return {kind: "point", x: x, y: y, r: 5, f: f};
  }

  function path(f, scale) {
    var p = new Path2D();
    f.parts.forEach(function (part) {
      p.moveTo(part[0] * scale, part[1] * scale);
      for (var i = 2; i < part.length; i += 2) p.lineTo(part[i] * scale, part[i + 1] * scale);
      if (part.closed) p.closePath();
    });
    return p;
  }

  function drawShape(ctx, f, scale, st) {
    var s = f.properties.s || 0, color = st.palette[s >> 1] || st.palette[0], ring = s & 1;
    var p = path(f, scale);
    ctx.setLineDash(st.dash ? st.dash.split(/[ ,]+/).map(Number) : []);
    if (f.type === M.POLYGON) {
      ctx.globalAlpha = st.fillOpacity; ctx.fillStyle = color; ctx.fill(p, "evenodd");
      ctx.globalAlpha = 1;
    }
    ctx.lineWidth = ring ? 3 : st.weight; ctx.strokeStyle = ring ? st.ring : color;
    ctx.stroke(p);
    ctx.setLineDash([]);
    return {kind: f.type === M.POLYGON ? "polygon" : "line", path: p, f: f,
            width: Math.max(8, st.weight + 4)};
  }

  // Draws `layer` of a decoded tile on `ctx` (a tile's canvas, or the printed sheet with its
  // transform set) in a `size`-pixel square; returns what a click can hit.
  function drawTile(ctx, tile, layer, st, size) {
    var hits = [];
    var data = tile[layer];
    if (!data) return hits;
    var scale = size / data.extent;
    var dots = st.kind === "polygon" || st.kind === "line";
    data.features.forEach(function (f) {
      if (f.type === M.POINT && dots) {  // a shape too small to see at this zoom: a dot
        f.parts.forEach(function (pt) {
          hits.push(drawDot(ctx, f, pt[0] * scale, pt[1] * scale, st));
        });
      } else if (f.type === M.POINT) {
        f.parts.forEach(function (pt) {
          hits.push(drawPoint(ctx, f, pt[0] * scale, pt[1] * scale, st));
        });
      } else {
        hits.push(drawShape(ctx, f, scale, st));
      }
    });
    return hits;
  }

  var TileLayer = L.GridLayer.extend({
    createTile: function (coords, done) {
      var size = this.getTileSize(), ratio = window.devicePixelRatio || 1;
      var canvas = L.DomUtil.create("canvas", "leaflet-tile");
      canvas.width = size.x * ratio; canvas.height = size.y * ratio;
      canvas.style.width = size.x + "px"; canvas.style.height = size.y + "px";
      var name = this.options.geomon, st = state.layers[name].style;
      busy(1);
      tileData(name, coords)
        .then(function (tile) {
          var ctx = canvas.getContext("2d");
          ctx.scale(ratio, ratio);
          canvas._tile = tile;  // kept for printing (may hold other layers too)
          canvas._hits = drawTile(ctx, canvas._tile, name, st, size.x);
          done(null, canvas);
        })
        .catch(function () { canvas._tile = null; canvas._hits = []; done(null, canvas); })
        .then(function () { busy(-1); });
      return canvas;
    }
  });

  function askToken() {
    var now = Date.now();
    if (now - state.asked < 10000) return;  // one request at a time
    state.asked = now;
    send("streamlit:setComponentValue", {value: {expired: now}, dataType: "json"});
  }

  // -- hit testing and popups ------------------------------------------------------------------

  var probe = document.createElement("canvas").getContext("2d");

  function hitAt(latlng) {
    var map = state.map, z = map.getZoom(), names = state.args.layers.map(function (l) {
      return l.name; }).reverse();  // top layer first
    var pt = map.project(latlng, z).round();
    for (var i = 0; i < names.length; i++) {
      var layer = state.layers[names[i]];
      if (!layer || !map.hasLayer(layer.grid)) continue;
      var size = layer.grid.getTileSize().x;
      var coords = {x: Math.floor(pt.x / size), y: Math.floor(pt.y / size), z: z};
      var t = layer.grid._tiles[coords.x + ":" + coords.y + ":" + coords.z];
      if (!t || !t.el._hits) continue;
      var x = pt.x - coords.x * size, y = pt.y - coords.y * size, hits = t.el._hits;
      for (var k = hits.length - 1; k >= 0; k--) {
        var h = hits[k];
        if (h.kind === "point" || h.kind === "cell") {
          if ((h.x - x) * (h.x - x) + (h.y - y) * (h.y - y) <= h.r * h.r) return [names[i], h];
        } else if (h.kind === "polygon" && probe.isPointInPath(h.path, x, y, "evenodd")) {
          return [names[i], h];
        } else if (h.kind === "line") {
          probe.lineWidth = h.width;
          if (probe.isPointInStroke(h.path, x, y)) return [names[i], h];
        }
      }
    }
    return null;
  }

  function openPopup(layer, id, latlng) {
    busy(1);
    return fetch(featureUrl(layer, id), {credentials: "same-origin"})
      .then(function (r) {
        if (r.status === 403) askToken();
        return r.ok ? r.json() : null;
      })
      .then(function (body) {
        if (!body) return;
        var title = "<div class='geomon-title'><b>" + esc(state.layers[layer].style.title) +
          "</b></div>";
        // Pan the popup into view clear of the legend (bottom right): a Leaflet popup lives in
        // the map pane, below every control, so no z-index can lift it over the legend.
        var size = state.map.getSize(), legendW = state.legend.offsetWidth || 0;
        var popup = L.popup({
          maxWidth: Math.max(220, Math.min(460, size.x - legendW - 60)),
          className: "geomon-popup", autoPan: true,
          autoPanPaddingTopLeft: L.point(12, 12),
          autoPanPaddingBottomRight: L.point(legendW + 16, 12),
        }).setLatLng(latlng).setContent(title + body.html).openOn(state.map);
        setTimeout(function () { clearLegend(popup); }, 400);  // after the pan
      })
      .catch(function () {})
      .then(function () { busy(-1); });
  }

  // A popup still under the legend (a map too small to pan it clear) folds the legend away.
  function clearLegend(popup) {
    var el = popup.getElement(), details = state.legend.querySelector("details");
    if (!el || !details || !details.open || !state.map.hasLayer(popup)) return;
    var a = el.getBoundingClientRect(), b = state.legend.getBoundingClientRect();
    if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) {
      details.open = false;
    }
  }

  // The legend starts open only on a large map: on a small one it would hide the east part.
  var LEGEND_OPEN_MIN = {x: 1000, y: 560};

  function legendOpenAtStart() {
    // the frame's height is set after the first render: the page's height is what it will be
    return state.map.getSize().x >= LEGEND_OPEN_MIN.x && state.args.height >= LEGEND_OPEN_MIN.y;
  }

  function onClick(e) {
    var hit = hitAt(e.latlng);
    if (!hit) return;
    var h = hit[1];
    if (h.kind === "cell") {
      state.map.setView(e.latlng, Math.min(state.map.getZoom() + 2, state.map.getMaxZoom()));
      return;
    }
    openPopup(hit[0], h.f.properties.i, e.latlng);
  }

  // -- the map ---------------------------------------------------------------------------------

  function createMap(a) {
    var style = document.createElement("style");  // geomon/mapview/map.css, as the page sent it
    style.textContent = a.css;
    document.head.appendChild(style);
    var map = L.map("map", {maxZoom: 18, minZoom: 3, zoomSnap: 1, preferCanvas: true,
                            fullscreenControl: true, fullscreenControlOptions: {
                              title: a.labels.full, titleCancel: a.labels.exit}});
    a.basemap.forEach(function (b) {
      L.tileLayer(b.url, {attribution: b.attr, subdomains: b.subdomains, maxZoom: 18}).addTo(map);
    });
    if (!a.basemap.length) map.attributionControl.setPrefix(false);
    L.control.scale({imperial: false}).addTo(map);
    state.control = L.control.layers(null, null, {collapsed: true}).addTo(map);
    var legend = L.control({position: "bottomright"});
    legend.onAdd = function () {
      var div = L.DomUtil.create("div", "geomon-legend");
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      return div;
    };
    legend.addTo(map);
    state.legend = legend.getContainer();
    state.print = window.GeomonPrint.control({
      state: state, drawTile: drawTile, tileData: tileData, send: send,
      askToken: askToken,
    }).addTo(map);
    state.busy = L.DomUtil.create("div", "geomon-busy", map.getContainer());
    state.busy.textContent = a.labels.loading;
    map.on("click", onClick);
    // A click must not scroll the app around the map's frame (focusing the frame scrolls the
    // page when the map runs past the window, and the click then misses): focus, no scroll.
    map.getContainer().addEventListener("mousedown", function (e) {
      if (e.target instanceof HTMLCanvasElement || e.target.classList.contains("leaflet-tile")) {
        e.preventDefault();
      }
      e.currentTarget.focus({preventScroll: true});
    }, true);
    map.on("mousemove", L.Util.throttle(function (e) {
      map.getContainer().classList.toggle("leaflet-interactive-cursor", !!hitAt(e.latlng));
    }, 80));
    if (a.bounds) map.fitBounds(a.bounds, {maxZoom: 15});
    else map.setView([35, 105], 4);
    state.map = map;
    window.geomonMap = api;
  }

  function syncLayers(a) {
    var map = state.map, wanted = {};
    a.layers.forEach(function (l, i) {
      wanted[l.name] = true;
      var old = state.layers[l.name];
      if (old && old.key === l.key && old.revision === a.revision) {
        old.style = l.style;
        return;
      }
      if (old) { state.control.removeLayer(old.grid); map.removeLayer(old.grid); }
      var pane = "geomon-" + l.name;
      if (!map.getPane(pane)) map.createPane(pane).style.zIndex = String(401 + i);
      map.getPane(pane).style.zIndex = String(401 + i);
      var grid = new TileLayer({geomon: l.name, pane: pane, updateWhenZooming: false,
                                keepBuffer: 2, maxZoom: 18, minZoom: l.style.minZoom || 0});
      state.layers[l.name] = {key: l.key, revision: a.revision, style: l.style, grid: grid};
      grid.addTo(map);
      var label = esc(l.style.title);
      if (l.style.minZoom) label += " <small>(" + esc(a.labels.fromZoom) + " " + l.style.minZoom + ")</small>";
      state.control.addOverlay(grid, label);
    });
    Object.keys(state.layers).forEach(function (name) {
      if (!wanted[name]) {
        state.control.removeLayer(state.layers[name].grid);
        map.removeLayer(state.layers[name].grid);
        delete state.layers[name];
      }
    });
  }

  function syncFocus(a) {
    var f = a.focus;
    var id = f ? f.layer + ":" + f.id : null;
    if (id === state.focusId) return;
    state.focusId = id;
    if (state.focus) { state.map.removeLayer(state.focus); state.focus = null; }
    if (!f) return;
    var latlng = L.latLng(f.lat, f.lon);
    state.map.setView(latlng, Math.max(state.map.getZoom(), 15));
    state.focus = L.circleMarker(latlng, {radius: 14, color: "#ff00ff", weight: 3, fill: false,
                                          interactive: false, renderer: L.svg()})
      .addTo(state.map);
    if (state.layers[f.layer]) openPopup(f.layer, f.id, latlng);
  }

  function render(a) {
    state.args = a;
    if (!state.map) createMap(a);
    if (state.legend.innerHTML !== a.legend) {
      var open = state.legend.querySelector("details");
      state.legend.innerHTML = a.legend;
      var now = state.legend.querySelector("details");
      if (open && now) now.open = open.open;
      else if (now && !state.legendShown) now.open = legendOpenAtStart();  // the first legend
      if (now) state.legendShown = true;
    }
    syncLayers(a);
    syncFocus(a);
    send("streamlit:setFrameHeight", {height: a.height});
  }

  // what tests and the benchmark read: features drawn per layer in the tiles on screen
  var api = {
    drawn: function () {  // distinct features (cells count their points) per layer
      var out = {};
      Object.keys(state.layers).forEach(function (name) {
        var ids = {}, cells = 0, grid = state.layers[name].grid;
        Object.keys(grid._tiles || {}).forEach(function (k) {
          var t = grid._tiles[k];
          if (!t.current || !t.el._hits) return;
          t.el._hits.forEach(function (h) {
            if (h.kind === "cell") cells += h.f.properties.n;
            else ids[h.f.properties.i] = true;
          });
        });
        out[name] = Object.keys(ids).length + cells;
      });
      return out;
    },
    pending: function () { return state.pending; },
    keys: function () {
      var out = {};
      Object.keys(state.layers).forEach(function (n) { out[n] = state.layers[n].key; });
      return out;
    },
    map: function () { return state.map; },
    hitAt: hitAt,
    printed: function () { return state.print.layout(); },  // where the last print put the map
    printPoint: function (latlng) { return state.print.point(latlng); },
  };

  window.addEventListener("message", function (event) {
    var d = event.data;
    if (d && d.type === "streamlit:render") render(d.args);
  });
  send("streamlit:componentReady", {apiVersion: 1});
})();

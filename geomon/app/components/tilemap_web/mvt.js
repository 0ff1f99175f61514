// A small Mapbox Vector Tile (v2) decoder: protobuf wire format -> layers of features with
// properties and geometries in tile units. Only what geomon's tiles use (all of the spec's
// value types, the three geometry types); no dependencies, so nothing to fetch from a CDN.
// Spec: https://github.com/mapbox/vector-tile-spec/tree/master/2.1
(function (global) {
  "use strict";
  var utf8 = new TextDecoder("utf-8");

  function Reader(buf, pos, end) {
    this.buf = buf;
    this.pos = pos || 0;
    this.end = end === undefined ? buf.length : end;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  Reader.prototype.varint = function () {
    var value = 0, mul = 1, b;
    do {
      b = this.buf[this.pos++];
      value += (b & 0x7f) * mul;
      mul *= 128;
    } while (b >= 0x80);
    return value;
  };
  Reader.prototype.svarint = function () {
    var n = this.varint();
    return n % 2 === 1 ? (n + 1) / -2 : n / 2;
  };
  Reader.prototype.bytes = function () {
    var len = this.varint(), start = this.pos;
    this.pos += len;
    return [start, this.pos];
  };
  Reader.prototype.string = function () {
    var r = this.bytes();
    return utf8.decode(this.buf.subarray(r[0], r[1]));
  };
  Reader.prototype.packed = function () {
    var r = this.bytes(), out = [], sub = new Reader(this.buf, r[0], r[1]);
    while (sub.pos < sub.end) out.push(sub.varint());
    return out;
  };
  Reader.prototype.skip = function (wire) {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.pos += this.varint();
    else if (wire === 5) this.pos += 4;
    else throw new Error("mvt: unknown wire type " + wire);
  };
  // read the fields of a message from pos to end, calling fn(field, wire) for each
  Reader.prototype.each = function (fn) {
    while (this.pos < this.end) {
      var tag = this.varint();
      fn(Math.floor(tag / 8), tag & 7);
    }
  };

  function value(r) {
    var out = null, range = r.bytes(), sub = new Reader(r.buf, range[0], range[1]);
    sub.each(function (field, wire) {
      if (field === 1) out = sub.string();
      else if (field === 2) { out = sub.view.getFloat32(sub.pos, true); sub.pos += 4; }
      else if (field === 3) { out = sub.view.getFloat64(sub.pos, true); sub.pos += 8; }
      else if (field === 4 || field === 5) out = sub.varint();
      else if (field === 6) out = sub.svarint();
      else if (field === 7) out = sub.varint() !== 0;
      else sub.skip(wire);
    });
    return out;
  }

  // geometry commands -> list of parts (each a flat [x0, y0, x1, y1, ...] array)
  function geometry(cmds) {
    var parts = [], part = null, x = 0, y = 0, i = 0;
    while (i < cmds.length) {
      var cmd = cmds[i] & 7, count = cmds[i] >> 3;
      i++;
      if (cmd === 7) { if (part) part.closed = true; continue; }
      for (var k = 0; k < count; k++) {
        var dx = cmds[i++], dy = cmds[i++];
        x += dx % 2 === 1 ? (dx + 1) / -2 : dx / 2;
        y += dy % 2 === 1 ? (dy + 1) / -2 : dy / 2;
        if (cmd === 1) { part = [x, y]; parts.push(part); }
        else part.push(x, y);
      }
    }
    return parts;
  }

  function layer(r) {
    var range = r.bytes(), sub = new Reader(r.buf, range[0], range[1]);
    var out = {name: "", extent: 4096, keys: [], values: [], raw: []};
    sub.each(function (field, wire) {
      if (field === 1) out.name = sub.string();
      else if (field === 2) out.raw.push(sub.bytes());
      else if (field === 3) out.keys.push(sub.string());
      else if (field === 4) out.values.push(value(sub));
      else if (field === 5) out.extent = sub.varint();
      else sub.skip(wire);
    });
    out.features = out.raw.map(function (fr) {
      var f = {id: null, type: 0, properties: {}, parts: []}, tags = [], cmds = [];
      var fs = new Reader(r.buf, fr[0], fr[1]);
      fs.each(function (field, wire) {
        if (field === 1) f.id = fs.varint();
        else if (field === 2) tags = fs.packed();
        else if (field === 3) f.type = fs.varint();
        else if (field === 4) cmds = fs.packed();
        else fs.skip(wire);
      });
      for (var t = 0; t + 1 < tags.length; t += 2) {
        f.properties[out.keys[tags[t]]] = out.values[tags[t + 1]];
      }
      f.parts = geometry(cmds);
      return f;
    });
    delete out.raw;
    return out;
  }

  // decode(ArrayBuffer) -> {layerName: {extent, features: [{type, properties, parts}]}}
  function decode(buffer) {
    var r = new Reader(new Uint8Array(buffer)), layers = {};
    r.each(function (field, wire) {
      if (field === 3) { var l = layer(r); layers[l.name] = l; }
      else r.skip(wire);
    });
    return layers;
  }

  global.GeomonMVT = {decode: decode, POINT: 1, LINESTRING: 2, POLYGON: 3};
})(window);

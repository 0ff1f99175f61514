// Copy the browser libraries the map needs from node_modules/ to static/vendor/.
//
// Runs as npm's `postinstall` (so `npm ci` is the whole install step). Streamlit serves
// ./static at /app/static/ when `[server] enableStaticServing = true`; geomon.mapview points
// folium at /app/static/vendor/<package>/<file>. The paths here and mapview.ASSETS must agree
// (tests/test_mapview.py checks every path mapview uses exists after this script has run).
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const modules = join(root, "node_modules");
const vendor = join(root, "static", "vendor");

// [package, path inside the package, destination inside static/vendor/<package>/]
const FILES = [
  ["leaflet", "dist/leaflet.js", "leaflet.js"],
  ["leaflet", "dist/leaflet.css", "leaflet.css"],
  ["leaflet", "dist/images", "images"],
  ["leaflet.markercluster", "dist/leaflet.markercluster.js", "leaflet.markercluster.js"],
  ["leaflet.markercluster", "dist/MarkerCluster.css", "MarkerCluster.css"],
  ["leaflet.markercluster", "dist/MarkerCluster.Default.css", "MarkerCluster.Default.css"],
  ["leaflet.fullscreen", "Control.FullScreen.js", "Control.FullScreen.js"],
  ["leaflet.fullscreen", "Control.FullScreen.css", "Control.FullScreen.css"],
  ["leaflet.fullscreen", "icon-fullscreen.svg", "icon-fullscreen.svg"],
  ["leaflet-measure", "dist/leaflet-measure.cn.js", "leaflet-measure.cn.js"],
  ["leaflet-measure", "dist/leaflet-measure.en.js", "leaflet-measure.en.js"],
  ["leaflet-measure", "dist/leaflet-measure.css", "leaflet-measure.css"],
  ["leaflet-measure", "dist/assets", "assets"],
  ["leaflet-draw", "dist/leaflet.draw.js", "leaflet.draw.js"],
  ["leaflet-draw", "dist/leaflet.draw.css", "leaflet.draw.css"],
  ["leaflet-draw", "dist/images", "images"],
  ["jquery", "dist/jquery.min.js", "jquery.min.js"],
  ["supercluster", "dist/supercluster.min.js", "supercluster.min.js"],
];

rmSync(vendor, { recursive: true, force: true });
const versions = {};
for (const [pkg, from, to] of FILES) {
  const src = join(modules, pkg, from);
  if (!existsSync(src)) {
    console.error(`vendor_assets: missing ${src}; run \`npm ci\` from the project root`);
    process.exit(1);
  }
  const dest = join(vendor, pkg, to);
  mkdirSync(dirname(dest), { recursive: true });
  cpSync(src, dest, { recursive: true });
  versions[pkg] ??= JSON.parse(readFileSync(join(modules, pkg, "package.json"), "utf8")).version;
}
writeFileSync(join(vendor, "versions.json"), JSON.stringify(versions, null, 2) + "\n");
console.log(`vendor_assets: copied ${FILES.length} entries to ${vendor}`);

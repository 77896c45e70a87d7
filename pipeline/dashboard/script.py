"""The page's own script (shared asset): draws every chart, lays map tiles when configured.

Tiles are laid only after one tile of the first map's view has loaded; when it does not (no
network, server down), the maps stay the offline drawing and a note says so.
"""

DASHBOARD_JS = r"""
(function () {
  "use strict";
  window.dashboardScriptMs = performance.now();
  var config = JSON.parse(document.getElementById("dashboard-config").textContent);
  var status = document.getElementById("charts-status");
  if (typeof Plotly === "undefined") {
    status.textContent = "The charts need " + config.plotly + " from the assets folder beside " +
      "this page's folder; it did not load. Copy the whole reports folder.";
    status.hidden = false;
    document.body.dataset.drawn = "failed";
    return;
  }
  function tileUrl(template, z, x, y) {
    return template.replace("{z}", z).replace("{x}", x).replace("{y}", y)
      .replace("{s}", "abc"[(x + y) % 3]).replace("{r}", "");
  }
  function tileImages(gd, tiles) {
    var full = gd._fullLayout, xr = full.xaxis.range, yr = full.yaxis.range;
    var west = Math.min(xr[0], xr[1]), east = Math.max(xr[0], xr[1]);
    var north = -Math.max(yr[0], yr[1]), south = -Math.min(yr[0], yr[1]);
    var z = Math.round(Math.log2(full._size.w / Math.max(east - west, 1e-9)));
    z = Math.max(0, Math.min(tiles.maxZoom, z));
    for (;;) {
      var size = 256 / Math.pow(2, z), n = Math.pow(2, z);
      var x0 = Math.max(0, Math.floor(west / size));
      var x1 = Math.min(n - 1, Math.floor(east / size));
      var y0 = Math.max(0, Math.floor(north / size));
      var y1 = Math.min(n - 1, Math.floor(south / size));
      if ((x1 - x0 + 1) * (y1 - y0 + 1) > 64 && z > 0) { z -= 1; continue; }
      var images = [];
      for (var x = x0; x <= x1; x++) {
        for (var y = y0; y <= y1; y++) {
          images.push({source: tileUrl(tiles.url, z, x, y), xref: "x", yref: "y",
            x: x * size, y: -y * size, sizex: size, sizey: size, sizing: "stretch",
            xanchor: "left", yanchor: "top", layer: "below"});
        }
      }
      return images;
    }
  }
  var probe = null;
  function tilesAvailable(url) {
    if (!probe) {
      probe = new Promise(function (resolve) {
        var image = new Image();
        image.onload = function () { resolve(true); };
        image.onerror = function () { resolve(false); };
        image.src = url;
      });
    }
    return probe;
  }
  function attachTiles(gd, tiles) {
    var first = tileImages(gd, tiles)[0];
    return tilesAvailable(first.source).then(function (ok) {
      var note = document.querySelector("[data-tiles-for='" + gd.id + "']");
      gd.dataset.tiles = ok ? "on" : "offline";
      if (note) {
        note.textContent = ok ? tiles.attribution :
          "Map tiles did not load (offline?): routes are drawn without a map.";
        note.hidden = !note.textContent;
      }
      if (!ok) { return; }
      gd.on("plotly_relayout", function (event) {
        var moved = Object.keys(event).some(function (key) {
          return key.indexOf("axis") >= 0 || key === "autosize" || key === "width";
        });
        if (moved) { Plotly.relayout(gd, {images: tileImages(gd, tiles)}); }
      });
      return Plotly.relayout(gd, {images: tileImages(gd, tiles)});
    });
  }
  var drawing = [];
  document.querySelectorAll("script.figure").forEach(function (node) {
    var figure = JSON.parse(node.textContent);
    var id = node.dataset.chart;
    figure.layout.template = config.template;
    drawing.push(Plotly.newPlot(id, figure.data, figure.layout, config.plot).then(function (gd) {
      if (config.tiles && config.maps.indexOf(id) >= 0) { return attachTiles(gd, config.tiles); }
    }));
  });
  Promise.all(drawing).then(function () {
    window.dashboardDrawnMs = performance.now();
    document.body.dataset.drawn = "true";
  });
})();
"""

/**
 * The live viewer's web page: one HTML document with its style and script
 * inline, so the viewer serves it from memory with no files to find.
 *
 * The page opens one WebSocket to `/ws`. Text messages are JSON events
 * (`hello`, `state`, `stats`, `shutdown`); binary messages are frames: an
 * 8-byte header (the port and the frame number, unsigned 32-bit little
 * endian) followed by the JPEG bytes as the viewer got or made them. After
 * drawing a tile's frame the page answers `{"type":"ready","port":P}`: the
 * viewer sends a tile's next frame only then, so a slow page is never more
 * than one frame behind and never builds a queue.
 *
 * Tiles carry `data-port`, `data-state` and `data-drawn` (frames drawn), for
 * people inspecting the page and for the browser test.
 *
 * @module
 */

/** The page served at `/`. */
export const VIEWER_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ActorGear live view</title>
<style>
  :root { color-scheme: dark; --bg: #101214; --tile: #1b1e22; --line: #2c3137; --text: #e6e8eb;
    --dim: #9aa3ad; --live: #3fb950; --stale: #d29922; --gone: #8b949e; --bad: #f85149; }
  * { box-sizing: border-box; }
  body { margin: 0; background: var(--bg); color: var(--text);
    font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
  header.top { display: flex; align-items: baseline; gap: 16px; padding: 14px 20px;
    border-bottom: 1px solid var(--line); }
  header.top h1 { font-size: 18px; margin: 0; font-weight: 600; }
  #summary, #status { color: var(--dim); }
  #status { margin-left: auto; }
  #banner { margin: 14px 20px 0; padding: 10px 14px; border-radius: 6px; font-weight: 600;
    background: #3a1d1d; border: 1px solid var(--bad); color: #ffd7d5; }
  #banner[hidden] { display: none; }
  #empty { padding: 40px 20px; color: var(--dim); }
  #grid { display: grid; gap: 16px; padding: 16px 20px 24px;
    grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); }
  .tile { background: var(--tile); border: 1px solid var(--line); border-radius: 8px;
    overflow: hidden; transition: opacity .3s, filter .3s; }
  .tile > header { display: flex; align-items: center; justify-content: space-between;
    padding: 8px 12px; }
  .tile h2 { margin: 0; font-size: 16px; font-weight: 600; }
  .state { font-size: 12px; font-weight: 700; text-transform: uppercase; letter-spacing: .06em;
    padding: 2px 8px; border-radius: 999px; background: #2a2f35; color: var(--dim); }
  .state.live { background: #12361d; color: var(--live); }
  .state.stale { background: #3b2e0f; color: var(--stale); }
  .state.gone { background: #2a2f35; color: var(--gone); }
  .screen { position: relative; background: #000; aspect-ratio: 4 / 3; }
  .screen canvas { display: block; width: 100%; height: 100%; object-fit: contain; }
  .waiting { position: absolute; inset: 0; display: grid; place-items: center; color: var(--dim); }
  .tile.has-frame .waiting { display: none; }
  .figures { display: flex; gap: 14px; padding: 8px 12px 0; font-variant-numeric: tabular-nums; }
  .fps { font-weight: 700; }
  .view { padding: 2px 12px 0; color: var(--dim); font-size: 12px;
    font-variant-numeric: tabular-nums; min-height: 1.4em; }
  .view.error { color: var(--bad); }
  .message { margin: 6px 12px 12px; padding: 6px 8px; background: #121418; border-radius: 4px;
    font: 12px/1.4 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; color: #c9d1d9;
    white-space: pre-wrap; word-break: break-all; min-height: 2.2em; }
  .tile[data-state="gone"], body.ended .tile { filter: grayscale(1); opacity: .5; }
</style>
</head>
<body>
<header class="top">
  <h1>ActorGear live view</h1>
  <span id="summary">no servers yet</span>
  <span id="status">connecting…</span>
</header>
<div id="banner" role="status" hidden></div>
<div id="empty">Waiting for servers to connect…</div>
<main id="grid"></main>
<script>
"use strict";
const grid = document.getElementById("grid");
const banner = document.getElementById("banner");
const statusText = document.getElementById("status");
const summary = document.getElementById("summary");
const empty = document.getElementById("empty");
const tiles = new Map();
const SHUTDOWN_WHY = {
  "all-gone": "every server has gone",
  "closed": "the client was closed",
  "transport-lost": "the client lost its sockets",
  "connect-timeout": "no server connected within connectTimeout",
};
let socket;
let ended = false;

function showBanner(text) {
  banner.textContent = text;
  banner.hidden = false;
}

function tileOf(port) {
  let tile = tiles.get(port);
  if (tile) return tile;
  const el = document.createElement("section");
  el.className = "tile";
  el.id = "tile-" + port;
  el.dataset.port = String(port);
  el.dataset.state = "unknown";
  el.dataset.drawn = "0";
  el.innerHTML = '<header><h2 class="label"></h2><span class="state">waiting</span></header>' +
    '<div class="screen"><canvas width="640" height="480"></canvas>' +
    '<div class="waiting">waiting for frames…</div></div>' +
    '<div class="figures"><span class="fps">0.0 fps</span><span class="rate"></span>' +
    '<span class="frames"></span></div><div class="view"></div>' +
    '<pre class="message">no message yet</pre>';
  el.querySelector(".label").textContent = "Port " + port;
  const canvas = el.querySelector("canvas");
  tile = {
    port, el, canvas, context: canvas.getContext("2d"), drawn: 0, previous: undefined,
    state: el.querySelector(".state"), fps: el.querySelector(".fps"),
    rate: el.querySelector(".rate"), frames: el.querySelector(".frames"),
    view: el.querySelector(".view"), message: el.querySelector(".message"),
  };
  tiles.set(port, tile);
  const after = [...tiles.keys()].filter((p) => p > port).sort((a, b) => a - b)[0];
  grid.insertBefore(el, after === undefined ? null : tiles.get(after).el);
  empty.hidden = true;
  updateSummary();
  return tile;
}

function setState(port, state) {
  const tile = tileOf(port);
  if (tile.el.dataset.state === state) return;
  tile.el.dataset.state = state;
  tile.state.textContent = state;
  tile.state.className = "state " + state;
  if (state === "gone") {
    // Nothing more will come to update them: say so rather than keep the last rates.
    tile.fps.textContent = "0.0 fps";
    tile.rate.textContent = "";
    tile.view.textContent = "gone: showing its last frame";
  }
  updateSummary();
}

function updateSummary() {
  const counts = { live: 0, stale: 0, gone: 0 };
  for (const tile of tiles.values()) {
    const state = tile.el.dataset.state;
    if (state in counts) counts[state]++;
  }
  const parts = [tiles.size + (tiles.size === 1 ? " server" : " servers")];
  for (const state of ["live", "stale", "gone"]) {
    if (counts[state] > 0) parts.push(counts[state] + " " + state);
  }
  summary.textContent = parts.join(" · ");
  document.title = "ActorGear: " + counts.live + " live";
}

function megabytes(bytesPerSecond) {
  return (bytesPerSecond / 1e6).toFixed(bytesPerSecond < 1e7 ? 2 : 1) + " MB/s";
}

function onStats(at, list) {
  for (const s of list) {
    const tile = tileOf(s.port);
    if (s.state) setState(s.port, s.state);
    const text = s.message === null ? "no message" : s.message;
    if (tile.message.textContent !== text) tile.message.textContent = text;
    tile.frames.textContent = s.frames.toLocaleString("en") + " frames";
    if (s.state === "gone") {
      tile.previous = undefined;
      continue;
    }
    tile.fps.textContent = s.fps.toFixed(1) + " fps";
    const previous = tile.previous;
    tile.previous = { at, bytes: s.bytes, shown: s.shown };
    if (s.error) {
      tile.view.textContent = "no preview: " + s.error;
      tile.view.classList.add("error");
      continue;
    }
    tile.view.classList.remove("error");
    if (previous === undefined || at <= previous.at) continue;
    const seconds = (at - previous.at) / 1000;
    tile.rate.textContent = megabytes(Math.max(0, s.bytes - previous.bytes) / seconds);
    const parts = ["shown " + (Math.max(0, s.shown - previous.shown) / seconds).toFixed(1) + "/s"];
    if (s.source) parts.push(s.source === "jpeg" ? "JPEG from the server" : "JPEG made here");
    if (s.viewDropped > 0) parts.push(s.viewDropped + " skipped for slow views");
    if (s.dropped > 0) parts.push(s.dropped + " dropped");
    if (s.lost > 0) parts.push(s.lost + " lost");
    tile.view.textContent = parts.join(" · ");
  }
}

function onShutdown(reason) {
  ended = true;
  document.body.classList.add("ended");
  // Nobody tracks the servers any more: their last figures would mislead.
  for (const tile of tiles.values()) {
    tile.fps.textContent = "0.0 fps";
    tile.rate.textContent = "";
    tile.view.textContent = "showing the last frame received";
    if (tile.el.dataset.state !== "gone") {
      tile.state.textContent = "ended";
      tile.state.className = "state gone";
    }
  }
  showBanner("Client shut down: " + (SHUTDOWN_WHY[reason] || reason) + ".");
  statusText.textContent = "client shut down";
}

function onEvent(event) {
  switch (event.type) {
    case "hello":
      for (const server of event.servers) setState(server.port, server.state);
      if (event.shutdown) onShutdown(event.shutdown);
      break;
    case "state":
      setState(event.port, event.state);
      break;
    case "stats":
      onStats(event.at, event.tiles);
      break;
    case "shutdown":
      onShutdown(event.reason);
      break;
  }
}

async function onFrame(buffer) {
  const header = new DataView(buffer, 0, 8);
  const port = header.getUint32(0, true);
  const seq = header.getUint32(4, true);
  const tile = tileOf(port);
  try {
    const blob = new Blob([new Uint8Array(buffer, 8)], { type: "image/jpeg" });
    const bitmap = await createImageBitmap(blob);
    if (tile.canvas.width !== bitmap.width || tile.canvas.height !== bitmap.height) {
      tile.canvas.width = bitmap.width;
      tile.canvas.height = bitmap.height;
      tile.el.querySelector(".screen").style.aspectRatio = bitmap.width + " / " + bitmap.height;
    }
    tile.context.drawImage(bitmap, 0, 0);
    bitmap.close();
    tile.drawn++;
    tile.el.dataset.drawn = String(tile.drawn);
    tile.el.dataset.seq = String(seq);
    tile.el.classList.add("has-frame");
  } catch (error) {
    tile.view.textContent = "cannot show frame " + seq + ": " + error;
  } finally {
    // The viewer holds this tile's next frame until the page asks for it.
    if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "ready", port }));
  }
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  socket = new WebSocket(scheme + location.host + "/ws");
  socket.binaryType = "arraybuffer";
  socket.onopen = () => { statusText.textContent = "connected"; };
  socket.onmessage = (message) => {
    if (typeof message.data === "string") onEvent(JSON.parse(message.data));
    else void onFrame(message.data);
  };
  socket.onclose = () => {
    if (ended) return;
    statusText.textContent = "disconnected";
    showBanner("The viewer has stopped; reload the page once it runs again.");
  };
}

connect();
</script>
</body>
</html>
`;

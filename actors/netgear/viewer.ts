/**
 * The live viewer: a small web server that shows every server of a NetGear
 * client in a browser, one tile per server with its newest frame, frames per
 * second, last message and state, as the client's liveness tracking reports
 * it.
 *
 * Frames reach the page as JPEG, never as base64: JPEG that arrived as JPEG
 * is passed on byte for byte, raw frames are encoded here at most `maxFps`
 * times a second per tile and only while someone watches. Every watcher gets
 * the newest frame when it is ready for one; frames it was too slow for are
 * skipped and counted, never queued.
 *
 * Routes: `/` the page; `/ws` its WebSocket (events as JSON, frames as
 * binary); `/stream/<port>` the tile as MJPEG (`multipart/x-mixed-replace`)
 * for `<img>` tags, ffplay or VLC.
 *
 * @example Watch a client's servers in a browser
 * ```ts ignore
 * // Not run: serves the page until every server has gone.
 * import { NetGear } from "./netgear.ts";
 * import { Viewer } from "./viewer.ts";
 *
 * const client = await NetGear.open({ receiveMode: true, multiserverMode: true, port: [5566, 5567] });
 * await using viewer = await Viewer.start(client);
 * console.log(`watch at ${viewer.url}`);
 * for await (const _ of client) { } // the app's own use of the frames
 * ```
 *
 * @module
 */

import { JpegCodec } from "../../transports/codecs/jpeg.ts";
import { VIEWER_PAGE } from "./_viewer_page.ts";
import { Tile, type ViewerCore } from "./_viewer_tile.ts";
import { MJPEG_BOUNDARY, MjpegStream, PageSession, VIEWER_CLOSED } from "./_viewer_watchers.ts";
import { ViewerError } from "./errors.ts";
import type { NetGearClientEventMap, ServerState, ShutdownReason } from "./events.ts";
import type { Received } from "./received.ts";
import type { ServerStats, TrackedServer } from "./stats.ts";

/**
 * What the viewer needs of a client: a `NetGearClient` has it all, and a
 * test can stand in for one.
 */
export interface ViewerClient {
  /**
   * Calls `listener` with every frame as it arrives.
   *
   * @param listener Told each frame.
   * @returns A function that removes the listener.
   */
  onFrame(listener: (received: Received) => void): () => void;
  /**
   * Per-server figures.
   *
   * @returns One entry per server seen.
   */
  stats(): Promise<ServerStats[]>;
  /**
   * Every server seen so far and its state.
   *
   * @returns One entry per port.
   */
  servers(): TrackedServer[];
  /** Why the client stopped, or `undefined` while it runs. */
  readonly shutdownReason: ShutdownReason | undefined;
  /**
   * Listens for `serverstate` and `shutdown`.
   *
   * @param type The event's name.
   * @param listener Told each event.
   */
  addEventListener<K extends keyof NetGearClientEventMap>(
    type: K,
    listener: (event: NetGearClientEventMap[K]) => void,
  ): void;
  /**
   * Stops listening.
   *
   * @param type The event's name.
   * @param listener The listener given to `addEventListener`.
   */
  removeEventListener<K extends keyof NetGearClientEventMap>(
    type: K,
    listener: (event: NetGearClientEventMap[K]) => void,
  ): void;
}

/** Options of {@linkcode Viewer.start}. */
export interface ViewerOptions {
  /**
   * The address to listen on. The default keeps the viewer on this machine;
   * `"0.0.0.0"` shows it to the network (anyone who can reach the port sees
   * the video).
   *
   * @default {"127.0.0.1"}
   */
  hostname?: string;
  /**
   * The port to listen on; 0 picks a free one (read it from `url`).
   *
   * @default {0}
   */
  port?: number;
  /**
   * Most frames per second sent to the page for each tile; frames in
   * between are skipped (raw ones are not even encoded).
   *
   * @default {30}
   */
  maxFps?: number;
  /**
   * JPEG quality (10 to 100) of raw frames encoded for the page; frames that
   * arrived as JPEG are passed on as they are.
   *
   * @default {80}
   */
  quality?: number;
  /**
   * Aborts starting; once started, aborting closes the viewer.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/** One tile's figures, as {@linkcode Viewer.stats} reports them. */
export interface ViewerTileStats {
  /** The server's port. */
  readonly port: number;
  /** The server's state, or `"unknown"` before the client reported one. */
  readonly state: ServerState | "unknown";
  /** Frames the viewer saw from this server. */
  readonly received: number;
  /** Frames sent on to watchers (at most `maxFps` a second). */
  readonly shown: number;
  /** Raw frames the viewer JPEG-encoded (frames that came as JPEG are not counted). */
  readonly encoded: number;
  /** Frames a slow watcher never got because a newer one replaced them. */
  readonly dropped: number;
  /** Pages and MJPEG streams watching the tile now. */
  readonly watchers: number;
}

/** Every option with its value decided. */
interface ResolvedViewerOptions {
  readonly hostname: string;
  readonly port: number;
  readonly maxFps: number;
  readonly quality: number;
  readonly signal: AbortSignal | undefined;
}

const STATS_INTERVAL_MS = 500;
/** How long close() waits for a page to answer the WebSocket closing handshake. */
const CLOSE_GRACE_MS = 1000;
const LOOPBACK_NAMES = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

/**
 * A live view of a NetGear client's servers in the browser.
 *
 * Start it with {@linkcode Viewer.start}, open its `url`, close it when
 * done (`await using` does that). It only reads from the client (through
 * `onFrame`, `stats` and the `serverstate` and `shutdown` events): the app
 * keeps receiving frames with `recv` as before.
 *
 * @example Start on a chosen port, stop on Ctrl+C
 * ```ts ignore
 * // Not run: listens on port 8080 and runs until Ctrl+C.
 * import { NetGear } from "./netgear.ts";
 * import { Viewer } from "./viewer.ts";
 *
 * const stop = new AbortController();
 * Deno.addSignalListener("SIGINT", () => stop.abort());
 * const client = await NetGear.open({
 *   receiveMode: true, multiserverMode: true, port: [5566, 5567], signal: stop.signal,
 * });
 * const viewer = await Viewer.start(client, { port: 8080, maxFps: 15, signal: stop.signal });
 * console.log(viewer.url); // http://127.0.0.1:8080/
 * ```
 */
export class Viewer implements AsyncDisposable {
  readonly #client: ViewerClient;
  readonly #options: ResolvedViewerOptions;
  readonly #tiles = new Map<number, Tile>();
  readonly #pages = new Set<PageSession>();
  readonly #streams = new Set<MjpegStream>();
  readonly #core: ViewerCore;
  readonly #loopbackOnly: boolean;
  #server!: Deno.HttpServer<Deno.NetAddr>;
  #url = "";
  #codec: JpegCodec | undefined;
  #codecError: unknown;
  #untap: (() => void) | undefined;
  #statsTimer: ReturnType<typeof setInterval> | undefined;
  #statsInFlight: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  readonly #onState = (event: NetGearClientEventMap["serverstate"]) => this.#stateChanged(event);
  readonly #onShutdown = (event: NetGearClientEventMap["shutdown"]) =>
    this.#shutDown(event.detail.reason);
  readonly #onAbort = () => void this.close();

  private constructor(client: ViewerClient, options: ResolvedViewerOptions) {
    this.#client = client;
    this.#options = options;
    this.#loopbackOnly = LOOPBACK_NAMES.has(options.hostname);
    const frameIntervalMs = 1000 / options.maxFps;
    this.#core = {
      frameIntervalMs,
      encode: (frame) => {
        if (this.#codec === undefined) {
          // Without libjpeg-turbo every raw frame would fail the same way:
          // remember why instead of trying to load it at every frame.
          if (this.#codecError !== undefined) throw this.#codecError;
          try {
            this.#codec = new JpegCodec();
          } catch (error) {
            this.#codecError = error;
            throw error;
          }
        }
        return this.#codec.encode(frame, { quality: options.quality, fastDct: true });
      },
    };
  }

  /**
   * Starts a viewer of `client`'s servers: an HTTP server on `hostname` and
   * `port` serving the live page at `url`.
   *
   * @param client The client to show (a `NetGearClient`).
   * @param options Address, port, frame rate, JPEG quality and `signal`.
   * @returns The running viewer.
   * @throws {RangeError} When `port`, `maxFps` or `quality` is out of range.
   * @throws {TypeError} When `hostname` is not a non-empty string.
   * @throws {ViewerError} When it cannot listen (for example the port is in use).
   * @throws The signal's reason when aborted before it started.
   * @example
   * ```ts ignore
   * // Not run: needs an open `client`.
   * await using viewer = await Viewer.start(client, { maxFps: 10, quality: 70 });
   * console.log(`open ${viewer.url}`);
   * ```
   */
  static start(client: ViewerClient, options: ViewerOptions = {}): Promise<Viewer> {
    try {
      options.signal?.throwIfAborted();
      const viewer = new Viewer(client, resolveOptions(options));
      viewer.#listen();
      return Promise.resolve(viewer);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** The page's address, such as `http://127.0.0.1:41234/`. */
  get url(): string {
    return this.#url;
  }

  /** Whether {@linkcode Viewer.close} was called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /**
   * Every tile's figures: frames seen, shown, encoded and skipped, watchers.
   *
   * @returns One entry per server seen, in port order.
   */
  stats(): ViewerTileStats[] {
    return [...this.#tiles.values()].sort((a, b) => a.port - b.port).map((tile) => ({
      port: tile.port,
      state: tile.state,
      received: tile.received,
      shown: tile.shown,
      encoded: tile.encoded,
      dropped: tile.dropped,
      watchers: tile.seats.size,
    }));
  }

  #listen(): void {
    const { hostname, port, signal } = this.#options;
    try {
      this.#server = Deno.serve({
        hostname,
        port,
        onListen: () => {},
        onError: (error) => {
          if (error !== VIEWER_CLOSED) {
            console.error(`[viewer] ${error instanceof Error ? error.message : String(error)}`);
          }
          return new Response("internal error", { status: 500 });
        },
      }, (request) => this.#handle(request));
    } catch (error) {
      const why = error instanceof Deno.errors.AddrInUse
        ? "the address is in use; choose another port, or 0 for any free one"
        : error instanceof Error
        ? error.message
        : String(error);
      throw new ViewerError(
        hostname,
        port,
        `Cannot start the viewer on ${hostname}:${port}: ${why}`,
        { cause: error },
      );
    }
    this.#url = `http://${urlHost(hostname)}:${this.#server.addr.port}/`;
    this.#untap = this.#client.onFrame((received) => this.#tile(received.port).offer(received));
    for (const server of this.#client.servers()) this.#tile(server.port).state = server.state;
    this.#client.addEventListener("serverstate", this.#onState);
    this.#client.addEventListener("shutdown", this.#onShutdown);
    signal?.addEventListener("abort", this.#onAbort, { once: true });
  }

  #tile(port: number): Tile {
    let tile = this.#tiles.get(port);
    if (tile === undefined) {
      tile = new Tile(port, this.#core);
      this.#tiles.set(port, tile);
      for (const page of this.#pages) page.sit(tile);
    }
    return tile;
  }

  #handle(request: Request): Response {
    if (this.#closing) return text(503, "the viewer is closing");
    const url = new URL(request.url);
    // Refuse pages of other sites (WebSockets ignore CORS) and, on loopback,
    // DNS-rebound host names: the video is for this machine's user only.
    if (!this.#hostAllowed(request.headers.get("host")) || !sameOrigin(request)) {
      return text(403, "forbidden");
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      return text(405, "only GET is served");
    }
    if (url.pathname === "/" || url.pathname === "/index.html") {
      return new Response(VIEWER_PAGE, {
        headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
      });
    }
    if (url.pathname === "/ws") return this.#openPage(request);
    if (url.pathname === "/favicon.ico") return new Response(null, { status: 204 });
    const stream = /^\/stream\/(\d{1,5})$/.exec(url.pathname);
    if (stream) return this.#openStream(Number(stream[1]));
    return text(404, "not found: the page is at /");
  }

  #hostAllowed(host: string | null): boolean {
    if (!this.#loopbackOnly) return true;
    if (host === null) return false;
    const name = host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.split(":")[0];
    return LOOPBACK_NAMES.has(name);
  }

  #openPage(request: Request): Response {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return text(426, "this is the page's WebSocket: connect with a WebSocket");
    }
    const { socket, response } = Deno.upgradeWebSocket(request);
    const page = new PageSession(socket);
    // Known from now on, so that close() ends it even before it opens.
    this.#pages.add(page);
    socket.addEventListener("open", () => {
      page.opened = true;
      page.send(JSON.stringify({
        type: "hello",
        servers: this.#client.servers(),
        shutdown: this.#client.shutdownReason ?? null,
      }));
      for (const tile of this.#tiles.values()) page.sit(tile);
      this.#startStats();
    });
    socket.addEventListener("message", (event) => page.onMessage(event.data));
    socket.addEventListener("close", () => {
      page.leave();
      this.#pages.delete(page);
      if (this.#pages.size === 0) this.#stopStats();
    });
    return response;
  }

  #openStream(port: number): Response {
    const tile = this.#tiles.get(port);
    if (tile === undefined) {
      return text(404, `no server on port ${port} yet: the page at / lists those seen`);
    }
    const stream = new MjpegStream(tile, (ended) => this.#streams.delete(ended));
    this.#streams.add(stream);
    return new Response(stream.body, {
      headers: {
        "content-type": `multipart/x-mixed-replace; boundary=${MJPEG_BOUNDARY}`,
        "cache-control": "no-store",
      },
    });
  }

  #stateChanged(event: NetGearClientEventMap["serverstate"]): void {
    const detail = event.detail;
    this.#tile(detail.port).state = detail.state;
    this.#broadcast(JSON.stringify({ type: "state", ...detail }));
  }

  #shutDown(reason: string): void {
    this.#stopStats();
    this.#broadcast(JSON.stringify({ type: "shutdown", reason }));
  }

  #broadcast(message: string): void {
    for (const page of this.#pages) page.send(message);
  }

  #startStats(): void {
    if (this.#statsTimer !== undefined || this.#client.shutdownReason !== undefined) return;
    this.#pushStats();
    this.#statsTimer = setInterval(() => this.#pushStats(), STATS_INTERVAL_MS);
  }

  #stopStats(): void {
    clearInterval(this.#statsTimer);
    this.#statsTimer = undefined;
  }

  #pushStats(): void {
    if (this.#statsInFlight !== undefined) return;
    this.#statsInFlight = this.#client.stats().then((list) => {
      this.#statsInFlight = undefined;
      if (list.length === 0 || this.#closing || this.#client.shutdownReason) return;
      const tiles = list.map((s) => {
        const tile = this.#tile(s.port);
        return {
          port: s.port,
          state: s.state,
          fps: s.fps,
          frames: s.frames,
          bytes: s.bytes,
          dropped: s.dropped,
          lost: s.lost,
          message: tile.preview(s.lastMessage),
          shown: tile.shown,
          viewDropped: tile.dropped,
          source: tile.source ?? null,
          error: tile.error ?? null,
        };
      });
      this.#broadcast(JSON.stringify({ type: "stats", at: Date.now(), tiles }));
    }, () => {
      this.#statsInFlight = undefined;
    });
  }

  /**
   * Stops serving: ends every page's WebSocket and every MJPEG stream, stops
   * listening and frees the JPEG encoder. The client is not touched. Safe to
   * call twice.
   *
   * @returns When everything is closed.
   */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#closing = this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#options.signal?.removeEventListener("abort", this.#onAbort);
    this.#client.removeEventListener("serverstate", this.#onState);
    this.#client.removeEventListener("shutdown", this.#onShutdown);
    this.#untap?.();
    this.#stopStats();
    for (const tile of this.#tiles.values()) tile.stop();
    for (const stream of [...this.#streams]) stream.close();
    const pages = [...this.#pages].map((page) => {
      try {
        page.socket.close(1001, "the viewer closed");
      } catch {
        // Not open yet: the connection is dropped with the server.
      }
      return page.closed;
    });
    if (pages.length > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const grace = new Promise<void>((resolve) => timer = setTimeout(resolve, CLOSE_GRACE_MS));
      await Promise.race([Promise.all(pages), grace]);
      clearTimeout(timer);
    }
    await this.#statsInFlight;
    await this.#server.shutdown();
    this.#codec?.close();
  }

  /** Same as {@linkcode Viewer.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function resolveOptions(options: ViewerOptions): ResolvedViewerOptions {
  const hostname = options.hostname ?? "127.0.0.1";
  if (typeof hostname !== "string" || hostname.trim() === "" || /[\s/]/.test(hostname)) {
    throw new TypeError(
      `Cannot start the viewer: option "hostname" is ${
        JSON.stringify(hostname)
      }; expected a host name or IP address such as "127.0.0.1"`,
    );
  }
  return {
    hostname,
    port: integer("port", options.port ?? 0, 0, 65535),
    maxFps: integer("maxFps", options.maxFps ?? 30, 1, 120),
    quality: integer("quality", options.quality ?? 80, 10, 100),
    signal: options.signal,
  };
}

function integer(option: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(
      `Cannot start the viewer: option "${option}" is ${
        typeof value === "string" ? JSON.stringify(value) : String(value)
      }; expected an integer from ${min} to ${max}`,
    );
  }
  return value;
}

/** The host to put in the page's URL: wildcard addresses become loopback. */
function urlHost(hostname: string): string {
  if (hostname === "0.0.0.0") return "127.0.0.1";
  if (hostname === "::") return "[::1]";
  return hostname.includes(":") && !hostname.startsWith("[") ? `[${hostname}]` : hostname;
}

function sameOrigin(request: Request): boolean {
  const origin = request.headers.get("origin");
  // No Origin: not a page of another site (curl, ffplay, a same-origin <img>).
  if (origin === null) return true;
  try {
    return new URL(origin).host === request.headers.get("host");
  } catch {
    return false;
  }
}

function text(status: number, body: string): Response {
  return new Response(body + "\n", {
    status,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}

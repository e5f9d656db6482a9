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

import type { ServerState } from "../actors/netgear/events.ts";
import type { Frame } from "../capture/frame.ts";
import { JpegCodec } from "./codecs/jpeg.ts";
import type { NetGearClient, Received, ServerStateEvent } from "./netgear.ts";
import { previewValue } from "./preview.ts";
import { VIEWER_PAGE } from "./_viewer_page.ts";

/** What the viewer needs of a client: {@linkcode NetGearClient} has it all. */
export type ViewerClient = Pick<
  NetGearClient,
  "onFrame" | "stats" | "servers" | "shutdownReason" | "addEventListener" | "removeEventListener"
>;

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

/**
 * The viewer could not start: a port in use, an address not available, no
 * network permission for it…
 *
 * @example Fall back to any free port
 * ```ts ignore
 * import { Viewer, ViewerError } from "./viewer.ts";
 *
 * let viewer: Viewer;
 * try {
 *   viewer = await Viewer.start(client, { port: 8080 });
 * } catch (error) {
 *   if (!(error instanceof ViewerError)) throw error;
 *   viewer = await Viewer.start(client);
 * }
 * ```
 */
export class ViewerError extends Error {
  /** The address it tried to listen on. */
  readonly hostname: string;
  /** The port it tried to listen on. */
  readonly port: number;
  /**
   * @param hostname The address it tried to listen on.
   * @param port The port it tried to listen on.
   * @param message What failed and what to do.
   * @param options The original error as `cause`.
   */
  constructor(hostname: string, port: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ViewerError";
    this.hostname = hostname;
    this.port = port;
  }
}

/** Every option with its value decided. */
interface ResolvedViewerOptions {
  readonly hostname: string;
  readonly port: number;
  readonly maxFps: number;
  readonly quality: number;
  readonly signal: AbortSignal | undefined;
}

/** The longest last-message preview sent to the page, in characters. */
const MESSAGE_PREVIEW = 160;
const STATS_INTERVAL_MS = 500;
/** How long close() waits for a page to answer the WebSocket closing handshake. */
const CLOSE_GRACE_MS = 1000;
const LOOPBACK_NAMES = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);
const encoder = new TextEncoder();
/** What ends the MJPEG responses still open on close (not worth a log line). */
const VIEWER_CLOSED = new Error("the viewer closed");
const MJPEG_BOUNDARY = "actorgear-frame";
const MJPEG_FIRST = encoder.encode(`--${MJPEG_BOUNDARY}\r\n`);
// The boundary follows each image at once: browsers show a part only once
// they see the boundary that ends it.
const MJPEG_AFTER = encoder.encode(`\r\n--${MJPEG_BOUNDARY}\r\n`);

/** A frame as shown: JPEG bytes and, built once for every page, its WebSocket packet. */
class Shown {
  readonly port: number;
  readonly seq: number;
  readonly jpeg: Uint8Array;
  #packet: Uint8Array | undefined;

  constructor(port: number, seq: number, jpeg: Uint8Array) {
    this.port = port;
    this.seq = seq;
    this.jpeg = jpeg;
  }

  /** The page's binary message: port and seq (u32 little endian), then the JPEG. */
  get packet(): Uint8Array {
    if (this.#packet === undefined) {
      const packet = new Uint8Array(8 + this.jpeg.byteLength);
      const header = new DataView(packet.buffer);
      header.setUint32(0, this.port, true);
      header.setUint32(4, this.seq >>> 0, true);
      packet.set(this.jpeg, 8);
      this.#packet = packet;
    }
    return this.#packet;
  }
}

/**
 * One watcher of one tile: holds at most one frame for it (the newest) until
 * it is ready, so a slow watcher skips frames instead of queueing them.
 */
class Seat {
  readonly #tile: Tile;
  readonly #deliver: (shown: Shown) => void;
  #ready = true;
  #pending: Shown | undefined;

  constructor(tile: Tile, deliver: (shown: Shown) => void) {
    this.#tile = tile;
    this.#deliver = deliver;
  }

  offer(shown: Shown): void {
    if (this.#ready) {
      this.#ready = false;
      this.#deliver(shown);
      return;
    }
    if (this.#pending !== undefined) this.#tile.dropped++;
    this.#pending = shown;
  }

  /** The watcher can take one more frame. */
  ready(): void {
    const pending = this.#pending;
    if (pending === undefined) {
      this.#ready = true;
      return;
    }
    this.#pending = undefined;
    this.#deliver(pending);
  }

  leave(): void {
    this.#tile.leave(this);
  }
}

/** One server's tile: its newest frame, paced to `maxFps`, and who watches it. */
class Tile {
  readonly port: number;
  state: ServerState | "unknown" = "unknown";
  received = 0;
  shown = 0;
  encoded = 0;
  dropped = 0;
  /** Whether the frame shown last came as JPEG (passed on) or raw (encoded here). */
  source: "jpeg" | "raw" | undefined;
  /** Why frames of this tile cannot be shown, if they cannot. */
  error: string | undefined;
  readonly seats = new Set<Seat>();
  /** The last message previewed and its text: stats come every 500 ms, messages less often. */
  #previewed: { message: unknown; text: string | null } | undefined;
  #current: Shown | undefined;
  #newest: { seq: number; jpeg?: Uint8Array; frame?: Frame } | undefined;
  #lastShownAt = -Infinity;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #viewer: ViewerCore;

  constructor(port: number, viewer: ViewerCore) {
    this.port = port;
    this.#viewer = viewer;
  }

  /** On the client's delivery path: keep a reference, nothing more. */
  offer(received: Received): void {
    this.received++;
    if (received.jpeg !== undefined) {
      this.#newest = { seq: received.seq, jpeg: received.jpeg };
    } else if (received.frame !== undefined) {
      this.#newest = { seq: received.seq, frame: received.frame };
    } else {
      return;
    }
    if (this.seats.size > 0) this.#schedule();
  }

  /**
   * The page's text for `message`, made once per message: a message with a
   * million keys costs about as much to preview as to decode, and it would
   * otherwise be paid again at every stats push.
   */
  preview(message: unknown): string | null {
    if (this.#previewed === undefined || !Object.is(this.#previewed.message, message)) {
      this.#previewed = { message, text: messagePreview(message) };
    }
    return this.#previewed.text;
  }

  join(deliver: (shown: Shown) => void): Seat {
    const seat = new Seat(this, deliver);
    this.seats.add(seat);
    if (this.#current !== undefined) seat.offer(this.#current);
    if (this.#newest !== undefined) this.#schedule();
    return seat;
  }

  leave(seat: Seat): void {
    this.seats.delete(seat);
    if (this.seats.size === 0) this.stop();
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(): void {
    if (this.#timer !== undefined) return;
    const due = this.#lastShownAt + this.#viewer.frameIntervalMs - performance.now();
    // Even when due now, a timer takes the encoding off the delivery path.
    this.#timer = setTimeout(() => this.#show(), Math.max(0, due));
  }

  #show(): void {
    this.#timer = undefined;
    const newest = this.#newest;
    this.#newest = undefined;
    if (newest === undefined || this.seats.size === 0) return;
    let jpeg = newest.jpeg;
    if (jpeg === undefined) {
      try {
        jpeg = this.#viewer.encode(newest.frame!);
        this.encoded++;
        this.error = undefined;
      } catch (error) {
        this.error = error instanceof Error ? error.message : String(error);
        return;
      }
    }
    this.#lastShownAt = performance.now();
    this.shown++;
    this.source = newest.jpeg === undefined ? "raw" : "jpeg";
    const shown = new Shown(this.port, newest.seq, jpeg);
    this.#current = shown;
    for (const seat of this.seats) seat.offer(shown);
  }
}

/** What tiles ask of the viewer. */
interface ViewerCore {
  readonly frameIntervalMs: number;
  encode(frame: Frame): Uint8Array;
}

/** A page connected over the WebSocket, with a seat at every tile. */
class PageSession {
  readonly socket: WebSocket;
  readonly seats = new Map<number, Seat>();
  readonly closed: Promise<void>;

  constructor(socket: WebSocket) {
    this.socket = socket;
    this.closed = new Promise((resolve) => socket.addEventListener("close", () => resolve()));
  }

  /** Whether the socket has opened: frames sent before would be lost, and their seats stuck. */
  opened = false;

  sit(tile: Tile): void {
    if (!this.opened || this.seats.has(tile.port)) return;
    this.seats.set(tile.port, tile.join((shown) => this.send(shown.packet)));
  }

  send(data: string | Uint8Array): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(data);
  }

  /** The page drew a tile's frame (or asked for one): its next may go. */
  onMessage(data: unknown): void {
    if (typeof data !== "string" || data.length > 200) return;
    let message: unknown;
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    const { type, port } = (message ?? {}) as { type?: unknown; port?: unknown };
    if (type === "ready" && typeof port === "number") this.seats.get(port)?.ready();
  }

  leave(): void {
    for (const seat of this.seats.values()) seat.leave();
    this.seats.clear();
  }
}

/** An MJPEG response for one tile. */
class MjpegStream {
  readonly body: ReadableStream<Uint8Array>;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #seat: Seat | undefined;
  #ended = false;
  readonly #onEnd: (stream: MjpegStream) => void;

  constructor(tile: Tile, onEnd: (stream: MjpegStream) => void) {
    this.#onEnd = onEnd;
    this.body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
        controller.enqueue(MJPEG_FIRST);
        this.#seat = tile.join((shown) => this.#write(shown));
      },
      // Called only once the connection has taken everything enqueued: the
      // socket's back-pressure is what makes a slow reader skip frames.
      pull: () => this.#seat?.ready(),
      cancel: () => this.#end(),
    }, { highWaterMark: 0 });
  }

  #write(shown: Shown): void {
    if (this.#ended) return;
    const { jpeg } = shown;
    this.#controller.enqueue(encoder.encode(
      `Content-Type: image/jpeg\r\nContent-Length: ${jpeg.byteLength}\r\nX-Frame-Seq: ${shown.seq}\r\n\r\n`,
    ));
    this.#controller.enqueue(jpeg);
    this.#controller.enqueue(MJPEG_AFTER);
  }

  /** Ends the response: what is queued is dropped, so a stuck reader cannot hold close() up. */
  close(): void {
    if (this.#ended) return;
    this.#controller.error(VIEWER_CLOSED);
    this.#end();
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#seat?.leave();
    this.#onEnd(this);
  }
}

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
  readonly #onState = (event: Event) => this.#stateChanged(event as CustomEvent<ServerStateEvent>);
  readonly #onShutdown = (event: Event) =>
    this.#shutDown((event as CustomEvent<{ reason: string }>).detail.reason);
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
   * @param client The client to show (a {@linkcode NetGearClient}).
   * @param options Address, port, frame rate, JPEG quality and `signal`.
   * @returns The running viewer.
   * @throws {RangeError} When `port`, `maxFps` or `quality` is out of range.
   * @throws {TypeError} When `hostname` is not a non-empty string.
   * @throws {ViewerError} When it cannot listen (for example the port is in use).
   * @throws The signal's reason when aborted before it started.
   * @example
   * ```ts ignore
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

  #stateChanged(event: CustomEvent<ServerStateEvent>): void {
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

/**
 * A message as the page shows it: short text, whatever a server sent (a
 * bigint, a cycle, a `toString` key that is no function…); null for none.
 */
function messagePreview(message: unknown): string | null {
  return message === undefined ? null : previewValue(message, { maxLength: MESSAGE_PREVIEW });
}

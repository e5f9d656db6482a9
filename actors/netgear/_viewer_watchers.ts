/**
 * Who watches the viewer's tiles: a page over its WebSocket (a seat at every
 * tile) or an MJPEG response (a seat at one).
 *
 * @module
 */

import type { Seat, Shown, Tile } from "./_viewer_tile.ts";

const encoder = new TextEncoder();
/** What ends the MJPEG responses still open on close (not worth a log line). */
export const VIEWER_CLOSED: Error = new Error("the viewer closed");
/** The boundary between an MJPEG response's images. */
export const MJPEG_BOUNDARY = "actorgear-frame";
const MJPEG_FIRST = encoder.encode(`--${MJPEG_BOUNDARY}\r\n`);
// The boundary follows each image at once: browsers show a part only once
// they see the boundary that ends it.
const MJPEG_AFTER = encoder.encode(`\r\n--${MJPEG_BOUNDARY}\r\n`);

/** A page connected over the WebSocket, with a seat at every tile. */
export class PageSession {
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
export class MjpegStream {
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

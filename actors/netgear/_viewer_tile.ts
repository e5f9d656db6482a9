/**
 * The viewer's tiles: one per server, holding its newest frame and pacing
 * it to the watchers, each of which gets at most one frame at a time (a slow
 * watcher skips frames, never queues them).
 *
 * @module
 */

import type { Frame } from "../../capture/frame.ts";
import type { ServerState } from "./events.ts";
import { previewValue } from "./preview.ts";
import type { Received } from "./received.ts";

/** The longest last-message preview sent to the page, in characters. */
const MESSAGE_PREVIEW = 160;

/** A frame as shown: JPEG bytes and, built once for every page, its WebSocket packet. */
export class Shown {
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
export class Seat {
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
export class Tile {
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
export interface ViewerCore {
  readonly frameIntervalMs: number;
  encode(frame: Frame): Uint8Array;
}

/**
 * A message as the page shows it: short text, whatever a server sent (a
 * bigint, a cycle, a `toString` key that is no function…); null for none.
 */
function messagePreview(message: unknown): string | null {
  return message === undefined ? null : previewValue(message, { maxLength: MESSAGE_PREVIEW });
}

/**
 * The reactor's poll timeouts, against a fake libc: a parked entry bounds the
 * poll only while nothing else waits.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  MAX_POLL_FAILURES,
  PARK_MS,
  Reactor,
  type ReactorEntry,
} from "../../../transports/zmq/_reactor.ts";
import { type Libc, POLLFD_SIZE, POLLIN } from "../../../transports/zmq/_libc.ts";

/** A libc whose polls the test ends by hand. */
class FakeLibc implements Libc {
  readonly wakeFd = 1000;
  /** The timeout of each poll started, in order. */
  readonly timeouts: number[] = [];
  #pending: { fds: Uint8Array; count: number; resolve: (n: number) => void } | undefined;
  #woken = false;

  poll(fds: Uint8Array, count: number, timeoutMs: number): Promise<number> {
    this.timeouts.push(timeoutMs);
    // poll(2) sets every revents.
    const view = new DataView(fds.buffer);
    for (let i = 0; i < count; i++) view.setInt16(i * POLLFD_SIZE + 6, 0, true);
    return new Promise((resolve) => {
      this.#pending = { fds, count, resolve };
      if (this.#woken) this.#finish(0);
    });
  }

  wake(): void {
    this.#woken = true;
    if (this.#pending) this.#finish(0);
  }

  drain(): void {
    this.#woken = false;
  }

  /** Ends the pending poll with `fd` (a polled descriptor's index) ready. */
  fire(fd: number): void {
    const pending = this.#pending!;
    const view = new DataView(pending.fds.buffer);
    for (let i = 1; i < pending.count; i++) {
      if (view.getInt32(i * POLLFD_SIZE, true) === fd) {
        view.setInt16(i * POLLFD_SIZE + 6, POLLIN, true);
      }
    }
    this.#pending = undefined;
    pending.resolve(1);
  }

  /** Ends the pending poll as failed (poll(2) returned -1). */
  fail(): void {
    const pending = this.#pending!;
    this.#pending = undefined;
    pending.resolve(-1);
  }

  /** Ends the pending poll as timed out. */
  timeOut(): void {
    const pending = this.#pending!;
    this.#pending = undefined;
    pending.resolve(0);
  }

  #finish(index: number): void {
    const pending = this.#pending!;
    new DataView(pending.fds.buffer).setInt16(index * POLLFD_SIZE + 6, POLLIN, true);
    this.#pending = undefined;
    pending.resolve(1);
  }
}

const turn = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

function entry(fd: number, onReady: () => void = () => {}): ReactorEntry {
  return { fd, onReady, onError: () => {} };
}

Deno.test("Reactor: a parked entry bounds the poll only while nothing else waits", async () => {
  const libc = new FakeLibc();
  const reactor = new Reactor(libc);
  const a = entry(10, () => reactor.park(a));
  const b = entry(11);
  reactor.add(a);
  reactor.add(b);
  await turn();
  assert.deepEqual(libc.timeouts, [-1, -1]); // b's add restarted the poll
  // a is served and parked while b still waits: no timeout.
  libc.fire(10);
  await turn();
  assert.deepEqual(libc.timeouts, [-1, -1, -1]);
  assert.equal(reactor.polling, true);
  // b leaves with a still parked: the poll restarts with the park timeout.
  await reactor.remove(b);
  await turn();
  assert.deepEqual(libc.timeouts, [-1, -1, -1, PARK_MS]);
  // Nothing claims a: it stops being polled, and no poll is left pending.
  libc.timeOut();
  await turn();
  assert.equal(reactor.polling, false);
  assert.equal(reactor.size, 0);
});

Deno.test("Reactor: a parked entry alone bounds the poll; re-added, it needs no restart", async () => {
  const libc = new FakeLibc();
  const reactor = new Reactor(libc);
  const a = entry(10, () => reactor.park(a));
  reactor.add(a);
  await turn();
  libc.fire(10);
  await turn();
  assert.deepEqual(libc.timeouts, [-1, PARK_MS]);
  reactor.add(a);
  await turn();
  assert.deepEqual(libc.timeouts, [-1, PARK_MS]);
  await reactor.remove(a);
  await turn();
  assert.equal(reactor.polling, false);
});

Deno.test("Reactor: a poll that fails once (EINTR) is tried again, and the entry is still served", async () => {
  const libc = new FakeLibc();
  const reactor = new Reactor(libc);
  let served = 0;
  const errors: Error[] = [];
  const a: ReactorEntry = { fd: 10, onReady: () => served++, onError: (e) => errors.push(e) };
  reactor.add(a);
  await turn();
  for (let i = 0; i < MAX_POLL_FAILURES - 1; i++) {
    libc.fail();
    await turn();
  }
  assert.equal(reactor.polling, true);
  libc.fire(10);
  await turn();
  assert.equal(served, 1);
  assert.deepEqual(errors, []);
  // The count starts again after a poll that worked.
  for (let i = 0; i < MAX_POLL_FAILURES - 1; i++) {
    libc.fail();
    await turn();
  }
  assert.deepEqual(errors, []);
  await reactor.remove(a);
  await turn();
  assert.equal(reactor.polling, false);
});

Deno.test("Reactor: a poll that keeps failing fails every entry once, naming poll, and stops", async () => {
  const libc = new FakeLibc();
  const reactor = new Reactor(libc);
  const errors: [number, Error][] = [];
  for (const fd of [10, 11]) {
    reactor.add({ fd, onReady: () => {}, onError: (e) => errors.push([fd, e]) });
  }
  await turn();
  libc.fail(); // the poll that covers both
  await turn();
  for (let i = 0; i < MAX_POLL_FAILURES; i++) {
    if (!reactor.polling) break;
    libc.fail();
    await turn();
  }
  assert.deepEqual(errors.map(([fd]) => fd).sort(), [10, 11]);
  for (const [, error] of errors) {
    assert.match(error.message, /^Cannot wait on ZeroMQ sockets: poll\(\) failed 3 times in a row/);
  }
  assert.equal(reactor.polling, false);
  assert.equal(reactor.size, 0);
});

// Drops 320 MB of ArrayBuffers (V8 external memory), then reports what
// noteReceived() did with a message big enough for it to look.
import { LOOK_EVERY_BYTES, noteReceived } from "../../transports/zmq/_external_memory.ts";

let held: ArrayBuffer[] | undefined = Array.from({ length: 40 }, () => new ArrayBuffer(8 << 20));
const before = Deno.memoryUsage().external;
held.length = 0;
held = undefined;
const collected = noteReceived(LOOK_EVERY_BYTES);
// V8 frees the backing stores on a sweeper thread after the collection and
// gives no event for it: look again for up to 3 s.
let after = Deno.memoryUsage().external;
for (let tries = 0; collected && tries < 150 && after > 64e6; tries++) {
  await new Promise((resolve) => setTimeout(resolve, 20));
  after = Deno.memoryUsage().external;
}
console.log(JSON.stringify({ before: before / 1e6, collected, after: after / 1e6 }));

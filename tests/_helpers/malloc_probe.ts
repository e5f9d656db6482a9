// Makes a ZeroMQ socket (which tunes malloc once per process), then asks
// glibc where a 20 MiB block comes from and whether its memory is kept once
// freed. Prints {"tuning", "mapped", "kept"} or {"error"}.
import { ZmqSocket } from "../../transports/zmq/zmq_socket.ts";
import { tuneMalloc } from "../../transports/zmq/_malloc_tuning.ts";

const SIZE = 20 * 1024 * 1024;
const libc = Deno.dlopen("libc.so.6", {
  malloc: { parameters: ["usize"], result: "pointer" },
  free: { parameters: ["pointer"], result: "void" },
  memset: { parameters: ["pointer", "i32", "usize"], result: "pointer" },
  // struct mallinfo2: ten size_t fields.
  mallinfo2: { parameters: [], result: { struct: Array(10).fill("usize") } },
});

/** mallinfo2's hblkhd (bytes in mmapped blocks) and keepcost (free bytes at the main heap's top). */
function info(): { mapped: number; keep: number } {
  const fields = new BigUint64Array(libc.symbols.mallinfo2().buffer);
  return { mapped: Number(fields[4]), keep: Number(fields[9]) };
}

try {
  const socket = new ZmqSocket("pull");
  await socket.close();
  const before = info();
  const block = libc.symbols.malloc(BigInt(SIZE));
  if (block === null) throw new Error("malloc failed");
  libc.symbols.memset(block, 1, BigInt(SIZE));
  const during = info();
  libc.symbols.free(block);
  const after = info();
  console.log(JSON.stringify({
    tuning: tuneMalloc(),
    mapped: during.mapped - before.mapped >= SIZE,
    kept: after.keep >= SIZE,
  }));
} catch (error) {
  console.log(
    JSON.stringify({
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    }),
  );
}

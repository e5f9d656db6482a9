import "../_helpers/preload_native.ts";
import assert from "node:assert/strict";
import {
  ipcAddressProblem,
  ipcPath,
  MAX_IPC_PATH_BYTES,
  removeIpcFile,
  zmqEndpoint,
} from "../../transports/endpoint.ts";
import { ZmqSocket } from "../../transports/zmq/zmq_socket.ts";

Deno.test("endpoint: tcp and ipc endpoints, one per port, vidgear's address:port rule for paths", () => {
  assert.equal(zmqEndpoint("tcp", "10.0.0.2", 5566), "tcp://10.0.0.2:5566");
  assert.equal(zmqEndpoint("ipc", "/run/netgear", 5566), "ipc:///run/netgear:5566");
  assert.equal(zmqEndpoint("ipc", "cams", 5567), "ipc:///tmp/cams:5567");
  assert.equal(ipcPath("a.b_c-d", 1), "/tmp/a.b_c-d:1");
});

Deno.test("endpoint: ipc addresses that cannot work are explained", () => {
  for (const good of ["cams", "/tmp/netgear", "/run/user/1000/cams.v2"]) {
    assert.equal(ipcAddressProblem(good), undefined, good);
  }
  for (const bad of ["", "cams/left", "../up", "/tmp/dir/", "a b", "nul\0"]) {
    assert.match(
      ipcAddressProblem(bad) ?? "",
      /an absolute path such as .* or a bare name/,
      JSON.stringify(bad),
    );
  }
  const long = `/tmp/${"x".repeat(MAX_IPC_PATH_BYTES)}`;
  assert.match(ipcAddressProblem(long) ?? "", /a shorter path: .* holds at most 107/);
  // The longest address that fits still fits with the largest port.
  const fits = `/tmp/${"x".repeat(MAX_IPC_PATH_BYTES - "/tmp/".length - ":65535".length)}`;
  assert.equal(ipcAddressProblem(fits), undefined);
});

Deno.test("endpoint: removeIpcFile removes a closed socket's file, never a regular file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "actorgear-endpoint-" });
  try {
    const endpoint = `ipc://${dir}/sock:1`;
    const socket = new ZmqSocket("rep");
    await socket.bind(endpoint);
    await socket.close();
    assert.ok((await Deno.lstat(`${dir}/sock:1`)).isSocket, "ZeroMQ leaves the file behind");
    assert.equal(await removeIpcFile(endpoint), true);
    await assert.rejects(Deno.lstat(`${dir}/sock:1`), Deno.errors.NotFound);
    assert.equal(await removeIpcFile(endpoint), false, "gone already");

    await Deno.writeTextFile(`${dir}/plain:1`, "data");
    assert.equal(await removeIpcFile(`ipc://${dir}/plain:1`), false);
    assert.equal(await Deno.readTextFile(`${dir}/plain:1`), "data");
    assert.equal(await removeIpcFile("tcp://127.0.0.1:1"), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

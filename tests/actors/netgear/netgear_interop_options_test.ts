/**
 * The vidgear interop options: `wire`, `protocol: "ipc"` with its address
 * rule, and the SSH tunnel options (vidgear's `ssh_tunnel_*`): defaults,
 * what each resolves to, and every refusal with the option it names.
 */
import assert from "node:assert/strict";
import { resolveOptions } from "../../../actors/netgear/_resolve_options.ts";
import { ConfigurationError, NetGear, type NetGearOptions } from "../../../actors/netgear/mod.ts";

function refusal(options: unknown, option: string, pattern: RegExp): void {
  let caught: unknown;
  try {
    resolveOptions(options as NetGearOptions);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ConfigurationError, `expected a ConfigurationError, got ${caught}`);
  assert.equal(caught.option, option, caught.message);
  assert.match(caught.message, pattern);
}

const client = { receiveMode: true, multiserverMode: true, port: [5566, 5567] } as const;
const server = { multiserverMode: true, port: 5566 } as const;
const tunnel = { ...server, sshTunnelMode: "pi@10.0.0.7:2222" } as const;

Deno.test("interop options: defaults are ActorGear's CBOR over tcp, no tunnel", () => {
  for (const options of [client, server]) {
    const resolved = resolveOptions(options);
    assert.equal(resolved.wire, "cbor");
    assert.equal(resolved.protocol, "tcp");
    assert.equal(resolved.sshTunnel, undefined);
  }
});

Deno.test("interop options: wire vidgear in multi-server mode, both patterns, both ends", () => {
  for (const pattern of [1, 2] as const) {
    assert.equal(resolveOptions({ ...client, pattern, wire: "vidgear" }).wire, "vidgear");
    assert.equal(resolveOptions({ ...server, pattern, wire: "vidgear" }).wire, "vidgear");
  }
  refusal({ ...client, wire: "json" }, "wire", /"json"; expected "cbor" .* or "vidgear"/);
  refusal(
    { multiclientMode: true, port: [5566, 5567], wire: "vidgear" },
    "wire",
    /in multi-client mode: wire "vidgear" speaks vidgear's multi-server mode only/,
  );
  refusal(
    { port: 5566, wire: "vidgear" },
    "wire",
    /outside multi-server mode: wire "vidgear" speaks vidgear's multi-server mode/,
  );
});

Deno.test("interop options: ipc addresses are paths or bare names, /tmp/actorgear by default", () => {
  assert.equal(resolveOptions({ ...client, protocol: "ipc" }).address, "actorgear");
  assert.equal(
    resolveOptions({ ...client, protocol: "ipc", address: "/run/cams" }).address,
    "/run/cams",
  );
  assert.equal(resolveOptions({ ...server, protocol: "ipc", address: "cams" }).address, "cams");
  refusal(
    { ...client, protocol: "ipc", address: "a/b" },
    "address",
    /with protocol "ipc", an absolute path/,
  );
  refusal(
    { ...client, protocol: "ipc", address: `/tmp/${"x".repeat(120)}` },
    "address",
    /a shorter path: .* at most 107/,
  );
  refusal(
    { ...client, protocol: "ipc", address: 5 },
    "address",
    /expected with protocol "ipc", a string/,
  );
  // tcp keeps refusing paths.
  refusal({ ...client, address: "/tmp/x" }, "address", /a host name or IP address/);
  refusal({ ...client, protocol: "udp" }, "protocol", /expected "tcp", or "ipc"/);
});

Deno.test("interop options: sshTunnelMode and its companions resolve to the tunnel's options", () => {
  assert.deepEqual(resolveOptions(tunnel).sshTunnel, { destination: "pi@10.0.0.7:2222" });
  assert.deepEqual(
    resolveOptions({
      ...tunnel,
      sshTunnelKeyfile: "/keys/id_ed25519",
      sshTunnelPwd: "secret",
      sshTunnelKnownHosts: "/keys/known_hosts",
      sshTunnelStrictHostKey: "accept-new",
    }).sshTunnel,
    {
      destination: "pi@10.0.0.7:2222",
      keyFile: "/keys/id_ed25519",
      password: "secret",
      knownHostsFile: "/keys/known_hosts",
      strictHostKeyChecking: "accept-new",
    },
  );
  assert.deepEqual(resolveOptions({ ...server, sshTunnelMode: "host" }).sshTunnel, {
    destination: "host",
  });
  assert.deepEqual(resolveOptions({ ...server, sshTunnelMode: "me@[::1]:22" }).sshTunnel, {
    destination: "me@[::1]:22",
  });
});

Deno.test("interop options: SSH tunnels are refused where they cannot work, and say why", () => {
  refusal(
    { ...client, sshTunnelMode: "pi@host" },
    "sshTunnelMode",
    /unset on a client: servers open the tunnel/,
  );
  refusal(
    { port: 5566, sshTunnelMode: "pi@host" },
    "sshTunnelMode",
    /outside multi-server mode: an ActorGear server in plain mode binds/,
  );
  refusal(
    { multiclientMode: true, port: [5566, 5567], sshTunnelMode: "pi@host" },
    "sshTunnelMode",
    /unset in multi-client mode/,
  );
  refusal(
    { ...tunnel, protocol: "ipc" },
    "sshTunnelMode",
    /protocol "ipc": SSH forwards TCP ports/,
  );
  for (const bad of ["", "-oProxyCommand=x", "pi@host:port", "a b", "pi@host/x", 22]) {
    refusal({ ...server, sshTunnelMode: bad }, "sshTunnelMode", /"user@host" or "user@host:port"/);
  }
  for (const name of ["sshTunnelPwd", "sshTunnelKeyfile", "sshTunnelKnownHosts"]) {
    refusal({ ...server, [name]: "x" }, name, /unset unless sshTunnelMode is set/);
  }
  refusal({ ...server, sshTunnelStrictHostKey: false }, "sshTunnelStrictHostKey", /unset unless/);
  refusal({ ...tunnel, sshTunnelStrictHostKey: "yes" }, "sshTunnelStrictHostKey", /true, false/);
  refusal({ ...tunnel, sshTunnelKeyfile: "" }, "sshTunnelKeyfile", /a file path/);
});

Deno.test("interop options: a bad SSH password is refused without showing it", () => {
  // Malformed, and well-formed but given without sshTunnelMode.
  for (
    const options of [{ ...tunnel, sshTunnelPwd: "hunter2\n" }, {
      ...server,
      sshTunnelPwd: "hunter2",
    }]
  ) {
    let caught: unknown;
    try {
      resolveOptions(options);
    } catch (error) {
      caught = error;
    }
    assert.ok(caught instanceof ConfigurationError);
    assert.equal(caught.option, "sshTunnelPwd");
    assert.ok(!caught.message.includes("hunter2"), caught.message);
    assert.equal(caught.value, "(hidden)");
  }
});

Deno.test("interop options: a misspelt snake_case name gets its camelCase suggestion", async () => {
  await assert.rejects(
    NetGear.open({ ...server, ssh_tunnel_mode: "pi@host" } as NetGearOptions),
    (error) =>
      error instanceof ConfigurationError && /did you mean "sshTunnelMode"/.test(error.message),
  );
});

/**
 * Loads libc (the socket poller's FFI library) when a test file is loaded, not
 * inside its first test: the poller keeps it open for the whole process on
 * purpose, which Deno's resource sanitizer would otherwise report as a leak.
 *
 * @module
 */

import { libc } from "../../transports/_libc.ts";

libc();

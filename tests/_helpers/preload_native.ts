/**
 * Loads the native libraries the library keeps open for the whole process
 * (libc for the socket poller, libturbojpeg for JPEG) when a test file is
 * loaded, not inside its first test, which Deno's resource sanitizer would
 * otherwise report as a leak.
 *
 * @module
 */

import { libc } from "../../transports/zmq/_libc.ts";
import { JpegCodec } from "../../transports/codecs/jpeg.ts";

libc();
JpegCodec.isAvailable();

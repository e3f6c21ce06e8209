// The one place that loads the C++ addon (native/, built by node-gyp or shipped in prebuilds/).
import * as path from "node:path";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const load: (dir: string) => unknown = require("node-gyp-build");

export interface NativeAddon {
  /** CRC32C of `data`, extending `init` (a finished CRC of earlier bytes; 0 when absent). */
  crc32c(data: Uint8Array, init?: number): number;
  /** True when the SSE4.2 instruction path was chosen at load time. */
  crc32cIsHardware(): boolean;
}

const PACKAGE_ROOT = path.resolve(__dirname, "..");

export const native: NativeAddon = load(PACKAGE_ROOT) as NativeAddon;

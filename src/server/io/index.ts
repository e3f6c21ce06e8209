// Chooses the socket layer: the native epoll reactor where the addon has it, node:net otherwise.
import type { IoBackend, IoBackendName } from "./types";
import { NetBackend } from "./net";

type EpollModule = { EpollBackend: new () => IoBackend; epollSupported(): boolean };

function epollModule(): EpollModule | undefined {
  if (process.platform !== "linux") return undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require("./epoll") as EpollModule;
  } catch {
    return undefined;
  }
}

/** True when the native epoll reactor can be used on this machine. */
export function epollAvailable(): boolean {
  const m = epollModule();
  return m !== undefined && m.epollSupported();
}

export function createIoBackend(name: IoBackendName): IoBackend {
  if (name === "net") return new NetBackend();
  const m = epollModule();
  if (!m || !m.epollSupported()) throw new Error("the epoll backend is not available here (use --io net)");
  return new m.EpollBackend();
}

export type { IoBackend, IoBackendName, IoHandlers } from "./types";

// Shared state handed to every command handler. Families add what they own (the model's stores, metrics).
import type { EngineApi, WalSync } from "../engine/types";
import type { IoBackendName } from "./io/types";

export interface ServerConfig {
  host: string;
  port: number;
  dir: string;
  walSync: WalSync;
  io: IoBackendName;
  metricsPort: number | undefined;
  requirepass: string | undefined;
  maxclients: number;
  memtableSize: number;
  /** Default retention (ms) for auto-created series; 0 keeps points forever. */
  retention: number;
  logLevel: string;
  /** Per-client query buffer limit (Redis client-query-buffer-limit). */
  clientQueryBufferLimit: number;
  /** Largest bulk string accepted (Redis proto-max-bulk-len). */
  protoMaxBulkLen: number;
  /** Output buffer per client: reading pauses above the soft limit, the client is dropped above the hard one. */
  outputBufferSoftLimit: number;
  outputBufferHardLimit: number;
}

export interface ServerContext {
  readonly engine: EngineApi;
  readonly config: ServerConfig;
}

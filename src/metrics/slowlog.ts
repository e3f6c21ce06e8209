// The slow log: commands that ran longer than slowlog-log-slower-than microseconds, newest first, at most
// slowlog-max-len entries, with Redis's argument truncation.

export interface SlowlogEntry {
  id: number;
  /** Unix time in seconds when the command started. */
  time: number;
  /** Microseconds. */
  duration: number;
  args: Buffer[];
  addr: string;
  name: string;
}

const MAX_ARGS = 32;
const MAX_ARG_BYTES = 128;

export class SlowLog {
  private entries: SlowlogEntry[] = [];
  private nextId = 0;

  constructor(
    /** Microseconds; negative disables, 0 logs every command (slowlog-log-slower-than). */
    private readonly slowerThanUs: () => number = () => 10000,
    /** slowlog-max-len */
    private readonly maxLength: () => number = () => 128,
  ) {}

  get slowerThan(): number {
    return this.slowerThanUs();
  }

  get maxLen(): number {
    return this.maxLength();
  }

  /** Records the command if it was slow enough. `args` are copied (and truncated) here. */
  maybeRecord(durationUs: number, startedMs: number, args: Buffer[], addr: string, name: string): void {
    if (this.slowerThan < 0 || durationUs < this.slowerThan) return;
    const kept: Buffer[] = [];
    const n = Math.min(args.length, MAX_ARGS);
    for (let i = 0; i < n; i++) {
      if (i === MAX_ARGS - 1 && args.length > MAX_ARGS) {
        kept.push(Buffer.from(`... (${args.length - MAX_ARGS + 1} more arguments)`));
        break;
      }
      const a = args[i];
      kept.push(a.length > MAX_ARG_BYTES ? Buffer.concat([a.subarray(0, MAX_ARG_BYTES), Buffer.from(`... (${a.length - MAX_ARG_BYTES} more bytes)`)]) : Buffer.from(a));
    }
    this.entries.unshift({ id: this.nextId++, time: Math.floor(startedMs / 1000), duration: Math.round(durationUs), args: kept, addr, name });
    if (this.entries.length > this.maxLen) this.entries.length = Math.max(0, this.maxLen);
  }

  get length(): number {
    return this.entries.length;
  }

  get(count: number): SlowlogEntry[] {
    return count < 0 ? [...this.entries] : this.entries.slice(0, count);
  }

  reset(): void {
    this.entries = [];
  }
}

// Instantaneous rates as Redis's trackInstantaneousMetric() keeps them (INFO stats' instantaneous_ops_per_sec and
// *_kbps): every 100 ms the growth of a counter since the last sample, scaled to a second, goes into a ring of 16
// samples; the rate reported is their mean (so it covers the last 1.6 s).

const SAMPLES = 16;
const PERIOD_MS = 100;

class RateTrack {
  private readonly samples = new Float64Array(SAMPLES);
  private idx = 0;
  private lastValue: number;
  private lastTime: number;

  constructor(value: number, now: number) {
    this.lastValue = value;
    this.lastTime = now;
  }

  sample(value: number, now: number): void {
    const dt = now - this.lastTime;
    const dv = value - this.lastValue;
    // A counter reset (CONFIG RESETSTAT) counts as no growth, as a negative rate would mean nothing.
    this.samples[this.idx] = dt > 0 && dv > 0 ? (dv * 1000) / dt : 0;
    this.idx = (this.idx + 1) % SAMPLES;
    this.lastValue = value;
    this.lastTime = now;
  }

  get rate(): number {
    let sum = 0;
    for (let i = 0; i < SAMPLES; i++) sum += this.samples[i];
    return sum / SAMPLES;
  }
}

/** Named counters read every 100 ms from a timer that does not keep the process alive; stop() ends it. */
export class InstantaneousRates {
  private readonly tracks = new Map<string, { read: () => number; track: RateTrack }>();
  private timer: NodeJS.Timeout | undefined;

  constructor(counters: Record<string, () => number>, private readonly now: () => number = () => performance.now()) {
    const t = now();
    for (const [name, read] of Object.entries(counters)) this.tracks.set(name, { read, track: new RateTrack(read(), t) });
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.sample(), PERIOD_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Takes one sample of every counter (the timer's work; tests call it with a moved clock). */
  sample(): void {
    const t = this.now();
    for (const { read, track } of this.tracks.values()) track.sample(read(), t);
  }

  /** The mean per-second growth of `name` over the last 16 samples (0 for an unknown name). */
  rate(name: string): number {
    return this.tracks.get(name)?.track.rate ?? 0;
  }
}

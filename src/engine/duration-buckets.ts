// The engine's latency histogram (WAL fdatasync times), in Prometheus's cumulative-bucket form.


/** A cumulative-bucket duration histogram in seconds, as Prometheus exposes it. */
export class DurationBuckets {
  static readonly BOUNDS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];
  /** counts[i]: observations ≤ BOUNDS[i] and > BOUNDS[i-1]; the last slot is above every bound. */
  readonly counts = new Float64Array(DurationBuckets.BOUNDS.length + 1);
  sum = 0;
  count = 0;

  record(seconds: number): void {
    let i = 0;
    while (i < DurationBuckets.BOUNDS.length && seconds > DurationBuckets.BOUNDS[i]) i++;
    this.counts[i]++;
    this.sum += seconds;
    this.count++;
  }
}

// Results: medians and spread over repeats, a markdown table with ratios to peers, JSON and an SVG chart.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export interface Sample {
  rps: number;
  p50?: number;
  p99?: number;
  p999?: number;
}

/** One measured case: a workload on one system, repeated. */
export interface CaseResult {
  suite: string;
  workload: string;
  system: string;
  samples: Sample[];
  unit?: string;
}

export interface Summary {
  suite: string;
  workload: string;
  system: string;
  unit: string;
  median: number;
  min: number;
  max: number;
  p50?: number;
  p99?: number;
  repeats: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function summarize(c: CaseResult): Summary {
  const rps = c.samples.map((s) => s.rps);
  const p50s = c.samples.map((s) => s.p50).filter((x): x is number => x !== undefined);
  const p99s = c.samples.map((s) => s.p99).filter((x): x is number => x !== undefined);
  return {
    suite: c.suite,
    workload: c.workload,
    system: c.system,
    unit: c.unit ?? "ops/s",
    median: median(rps),
    min: Math.min(...rps),
    max: Math.max(...rps),
    p50: p50s.length ? median(p50s) : undefined,
    p99: p99s.length ? median(p99s) : undefined,
    repeats: rps.length,
  };
}

function fmt(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return n.toFixed(n < 10 ? 2 : 0);
}

/**
 * Markdown: one row per (workload, system) with throughput median and spread, latency, and the ratio of the
 * workload's first system (the subject, tskv) to this row's system.
 */
export function markdown(rows: Summary[], subjectPrefix = "tskv"): string {
  const out: string[] = [];
  const suites = [...new Set(rows.map((r) => r.suite))];
  for (const suite of suites) {
    out.push(`### ${suite}`, "", "| workload | system | throughput (median) | spread | p50 ms | p99 ms | subject ÷ this |", "|---|---|---:|---:|---:|---:|---:|");
    const inSuite = rows.filter((r) => r.suite === suite);
    for (const workload of [...new Set(inSuite.map((r) => r.workload))]) {
      const group = inSuite.filter((r) => r.workload === workload);
      const subject = group.find((r) => r.system.startsWith(subjectPrefix)) ?? group[0];
      for (const r of group) {
        const spread = r.repeats > 1 ? `${fmt(r.min)}–${fmt(r.max)}` : "";
        const ratio = r === subject ? "" : `${(subject.median / r.median).toFixed(2)}×`;
        out.push(
          `| ${workload} | ${r.system} | ${fmt(r.median)} ${r.unit} | ${spread} | ${r.p50?.toFixed(3) ?? ""} | ${r.p99?.toFixed(3) ?? ""} | ${ratio} |`,
        );
      }
    }
    out.push("");
  }
  return out.join("\n");
}

function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Horizontal throughput bars per workload, one bar per system, with p50/p99 written beside each bar. */
export function svg(rows: Summary[], title: string): string {
  const barH = 16;
  const gap = 6;
  const labelW = 260;
  const chartW = 520;
  const colors = ["#2b6cb0", "#c05621", "#2f855a", "#6b46c1", "#b83280", "#718096"];
  const systems = [...new Set(rows.map((r) => r.system))];
  const keyOf = (r: Summary): string => `${r.suite}: ${r.workload}`;
  const groups = [...new Set(rows.map(keyOf))];
  let y = 40;
  const parts: string[] = [];
  for (const g of groups) {
    const group = rows.filter((r) => keyOf(r) === g);
    const max = Math.max(...group.map((r) => r.median));
    parts.push(`<text x="8" y="${y + 12}" font-weight="bold">${escapeXml(g)}</text>`);
    y += barH + gap;
    for (const r of group) {
      const w = max > 0 ? Math.max(1, (r.median / max) * chartW) : 1;
      const color = colors[systems.indexOf(r.system) % colors.length];
      const lat = r.p50 !== undefined ? ` p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99?.toFixed(2)} ms` : "";
      parts.push(
        `<text x="16" y="${y + 12}">${escapeXml(r.system)}</text>`,
        `<rect x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${color}"/>`,
        `<text x="${labelW + w + 6}" y="${y + 12}">${escapeXml(fmt(r.median) + " " + r.unit + lat)}</text>`,
      );
      y += barH + gap;
    }
    y += gap * 2;
  }
  const width = labelW + chartW + 260;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y + 10}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="8" y="22" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
    ...parts,
    `</svg>`,
  ].join("\n");
}

export function machine(): Record<string, unknown> {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    node: process.version,
  };
}

export function writeResults(dir: string, name: string, rows: Summary[], extra: Record<string, unknown>): { json: string; svg: string } {
  fs.mkdirSync(dir, { recursive: true });
  const json = path.join(dir, `${name}.json`);
  const svgPath = path.join(dir, `${name}.svg`);
  fs.writeFileSync(json, JSON.stringify({ date: new Date().toISOString(), machine: machine(), ...extra, results: rows }, null, 2));
  fs.writeFileSync(svgPath, svg(rows, `tskv benchmarks ${new Date().toISOString().slice(0, 10)}`));
  return { json, svg: svgPath };
}

/**
 * One table per suite with a row per workload and a column per system (the peers first, then tskv builds in the
 * order given), then each tskv build ÷ each peer and, with two or more builds, the last build ÷ the first: what a
 * before/after of a change is read from. Ratios are of the figures as measured, so on rows whose unit is a cost
 * (bytes a point or a series: "lower is better" in their names) a ratio above 1 is tskv's loss.
 */
export function sideBySide(rows: Summary[], subjectPrefix = "tskv"): string {
  const out: string[] = [];
  for (const suite of [...new Set(rows.map((r) => r.suite))]) {
    const inSuite = rows.filter((r) => r.suite === suite);
    const systems = [...new Set(inSuite.map((r) => r.system))];
    const builds = systems.filter((s) => s.startsWith(subjectPrefix));
    const peers = systems.filter((s) => !s.startsWith(subjectPrefix));
    const ratios: Array<[string, string, string]> = [];
    for (const b of builds) for (const p of peers) ratios.push([`${b} ÷ ${p}`, b, p]);
    if (builds.length > 1) ratios.push([`${builds[builds.length - 1]} ÷ ${builds[0]}`, builds[builds.length - 1], builds[0]]);
    const cols = [...peers, ...builds];
    out.push(`### ${suite}`, "", `| workload | ${[...cols, ...ratios.map((r) => r[0])].join(" | ")} |`, `|---|${[...cols, ...ratios].map(() => "---:").join("|")}|`);
    for (const workload of [...new Set(inSuite.map((r) => r.workload))]) {
      const of = (system: string): Summary | undefined => inSuite.find((r) => r.workload === workload && r.system === system);
      const cells = cols.map((c) => {
        const r = of(c);
        if (!r) return "—";
        const spread = r.repeats > 1 ? ` (${fmt(r.min)}–${fmt(r.max)})` : "";
        return `${fmt(r.median)} ${r.unit}${spread}`;
      });
      const ratioCells = ratios.map(([, a, b]) => {
        const x = of(a);
        const y = of(b);
        return x && y && y.median > 0 ? `${(x.median / y.median).toFixed(2)}×` : "—";
      });
      out.push(`| ${workload} | ${[...cells, ...ratioCells].join(" | ")} |`);
    }
    out.push("");
  }
  return out.join("\n");
}

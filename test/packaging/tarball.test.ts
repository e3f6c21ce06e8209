// The packed tarball must serve on the epoll reactor when installed with --ignore-scripts (no compiler, no
// node-gyp run): the addon has to come from prebuilds/, and dist/ must be complete.
import { execFileSync, spawn, ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

import { epollAvailable } from "../../src/server/io";

const ROOT = path.resolve(__dirname, "../..");
const NPM = process.platform === "win32" ? "npm.cmd" : "npm";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Sends raw RESP bytes and collects the reply until `done(text)` says it is complete. */
function rawExchange(port: number, payload: string, done: (s: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, "127.0.0.1");
    let text = "";
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`timed out; got ${JSON.stringify(text)}`));
    }, 10000);
    sock.on("connect", () => sock.write(payload));
    sock.on("data", (d) => {
      text += d.toString("latin1");
      if (done(text)) {
        clearTimeout(timer);
        sock.end();
        resolve(text);
      }
    });
    sock.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

async function waitForPort(port: number, child: ChildProcess, deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`server exited early with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, "127.0.0.1");
      s.on("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("server did not start listening");
}

const linuxX64 = process.platform === "linux" && process.arch === "x64";
const maybe = linuxX64 ? describe : describe.skip;
if (!linuxX64) console.log(`packaging test skipped: prebuilds are checked on linux-x64, this is ${process.platform}-${process.arch}`);

maybe("packed tarball", () => {
  jest.setTimeout(300_000);
  let work: string;
  let child: ChildProcess | undefined;

  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "tskv-pack-"));
  });

  afterAll(() => {
    if (child && child.exitCode === null) child.kill("SIGKILL");
    fs.rmSync(work, { recursive: true, force: true });
  });

  it("installs with --ignore-scripts and serves from the prebuilt addon", async () => {
    // Stage a copy of the package so the prebuild's node-gyp run cannot disturb build/ under other tests.
    const stage = path.join(work, "stage");
    fs.mkdirSync(stage);
    for (const entry of ["package.json", "package-lock.json", "binding.gyp", "tsconfig.json", "tsconfig.build.json", "native", "src", "README.md", "LICENSE", "CHANGELOG.md"]) {
      if (fs.existsSync(path.join(ROOT, entry))) fs.cpSync(path.join(ROOT, entry), path.join(stage, entry), { recursive: true });
    }
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(stage, "node_modules"), "dir");
    execFileSync(NPM, ["run", "prebuild"], { cwd: stage, stdio: "pipe" });
    expect(fs.readdirSync(path.join(stage, "prebuilds", "linux-x64")).some((f) => f.endsWith(".node"))).toBe(true);
    execFileSync(NPM, ["run", "build:ts"], { cwd: stage, stdio: "pipe" });
    const packOut = execFileSync(NPM, ["pack", "--json", "--ignore-scripts", "--pack-destination", work], { cwd: stage, stdio: ["ignore", "pipe", "pipe"] });
    const [info] = JSON.parse(packOut.toString()) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const shipped = info.files.map((f) => f.path);
    expect(shipped.some((p) => p.startsWith("prebuilds/linux-x64/"))).toBe(true);
    expect(shipped).toContain("dist/cli/tskv-server.js");
    expect(shipped.some((p) => p.startsWith("build/"))).toBe(false);

    const app = path.join(work, "app");
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, "package.json"), JSON.stringify({ name: "app", version: "1.0.0", private: true }));
    execFileSync(NPM, ["install", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline", path.join(work, info.filename)], {
      cwd: app,
      stdio: "pipe",
    });
    const installed = path.join(app, "node_modules", "tskv");
    expect(fs.existsSync(path.join(installed, "build"))).toBe(false);

    const port = await freePort();
    const bin = path.join(app, "node_modules", ".bin", "tskv-server");
    child = spawn(bin, ["--port", String(port), "--dir", path.join(work, "data")], {
      cwd: app,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr?.on("data", (d) => (stderr += d));
    try {
      await waitForPort(port, child, 20000);
    } catch (e) {
      throw new Error(`${(e as Error).message}; stderr: ${stderr}`);
    }
    expect(await rawExchange(port, "PING\r\n", (s) => s.includes("\r\n"))).toBe("+PONG\r\n");
    const info2 = await rawExchange(port, "*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n", (s) => {
      const m = /^\$(\d+)\r\n/.exec(s);
      return m !== null && s.length >= m[0].length + Number(m[1]) + 2;
    });
    // The reactor is used wherever the shipped addon has it; the net backend otherwise.
    expect(info2).toContain(`io_backend:${epollAvailable() ? "epoll" : "net"}`);
    child.kill("SIGTERM");
    const code = await new Promise<number | null>((resolve) => child!.once("exit", (c) => resolve(c)));
    expect(code).toBe(0);
  });
});

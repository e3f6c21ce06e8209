import * as fs from "node:fs";
import * as path from "node:path";
import { ERROR_REPLIES } from "../../src/server/errors";

describe("docs/errors.md", () => {
  const doc = fs.readFileSync(path.resolve(__dirname, "../../docs/errors.md"), "utf8");
  it.each(Object.entries(ERROR_REPLIES))("documents %s with its exact reply", (code, reply) => {
    const row = doc.split("\n").find((l) => l.startsWith(`| \`${code}\``));
    expect(row).toBeDefined();
    expect(row).toContain(`\`-${reply}\``);
  });
});

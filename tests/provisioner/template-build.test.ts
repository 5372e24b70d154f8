/**
 * The template build is reused across processes only while nothing it was built from has changed:
 * a source's content, a new source file, the entry point. (Each `tenant create` is its own
 * process, and the bundle is most of a second of it.)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTemplateNow } from "../../provisioner/src/template-build.ts";

let dir: string;
const write = (path: string, text: string) => writeFileSync(join(dir, path), text);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "wfp-template-build-"));
  mkdirSync(join(dir, "src"));
  write("wrangler.jsonc", '{ "main": "src/index.ts", "compatibility_date": "2026-06-01" }');
  write(
    "src/index.ts",
    'import { greeting } from "./greeting.ts";\nexport default { fetch: () => new Response(greeting) };\n',
  );
  write("src/greeting.ts", 'export const greeting = "hello from the first build";\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the template build", () => {
  it("bundles once, reuses the bundle while its sources are unchanged, bundles again when one changes", async () => {
    const first = await buildTemplateNow(dir);
    expect(first.code).toContain("hello from the first build");
    const again = await buildTemplateNow(dir);
    expect(again).toMatchObject({ reused: true, hash: first.hash, code: first.code });

    write("src/greeting.ts", 'export const greeting = "hello from the second build";\n');
    const changed = await buildTemplateNow(dir);
    expect(changed.reused).toBe(false);
    expect(changed.code).toContain("hello from the second build");
    expect(changed.hash).not.toBe(first.hash);
    expect((await buildTemplateNow(dir)).reused).toBe(true);
  });

  it("bundles again when a source file appears (it could shadow another) or the entry changes", async () => {
    await buildTemplateNow(dir);
    write("src/unused.ts", "export const unused = 1;\n");
    expect((await buildTemplateNow(dir)).reused).toBe(false);
    expect((await buildTemplateNow(dir)).reused).toBe(true);

    write("src/other.ts", 'export default { fetch: () => new Response("other entry") };\n');
    write("wrangler.jsonc", '{ "main": "src/other.ts", "compatibility_date": "2026-06-01" }');
    const other = await buildTemplateNow(dir);
    expect(other.reused).toBe(false);
    expect(other.code).toContain("other entry");
  });
});

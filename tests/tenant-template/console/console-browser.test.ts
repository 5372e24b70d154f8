/**
 * The console in real Chromium (Debian's, driven by playwright-core) against the tenant Worker in
 * real workerd: sign in, browse, diff, references, compatibility check then register, settings,
 * key create and revoke, webhooks (register, the secret once, a test delivery to a receiver on
 * loopback, the delivery log, delete), the audit log, what a read-only key is not offered, a wrong
 * key refused; axe-core on each view (no serious or critical violation), and no CSP violation anywhere.
 *
 * Skipped, saying why, where there is no Chromium (`.ci/run` installs Debian's `chromium`).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { verifyWebhook } from "../../../contracts/webhook-signature.ts";
import {
  type ConsoleTenant,
  chromiumPath,
  launchChromium,
  SEED,
  seedConsoleData,
  startConsoleTenant,
} from "../../../scripts/lib/console-tenant.ts";
import { startWebhookReceiver, type WebhookReceiver } from "../../support/webhook-receiver.ts";

const executable = chromiumPath();
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

let tenant: ConsoleTenant;
let browser: Browser;
let receiver: WebhookReceiver;

/** A fresh tab (its own sessionStorage) that records CSP violations and page errors. */
async function openConsole(): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (/Content.Security.Policy|Refused to/i.test(message.text())) problems.push(message.text());
  });
  page.on("dialog", (dialog) => void dialog.accept());
  await page.goto(`${tenant.origin}/ui`);
  return { page, problems };
}

async function signIn(page: Page, key: string): Promise<void> {
  await page.getByLabel("API key").fill(key);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor();
}

/** axe-core's serious and critical violations on the page as it is now. */
async function seriousViolations(page: Page): Promise<string[]> {
  // Evaluated over the DevTools protocol, which the page's CSP does not govern (an injected
  // <script> would be refused, as it should be).
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(): Promise<{ violations: { id: string; impact: string }[] }> } })
      .axe;
    return (await axe.run()).violations.map(({ id, impact }) => ({ id, impact }));
  });
  return violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => v.id);
}

const newKey = (role: "read" | "write" | "admin", description: string) =>
  tenant.call<{ id: string; key: string }>("POST", "/api/keys", { role, description });

const SKIPPED =
  "skipped: no Chromium (looked for CHROMIUM_PATH, /usr/bin/chromium, chromium-browser, google-chrome); " +
  "`apt-get install chromium` (.ci/run does)";
if (executable === null) console.warn(`console browser tests ${SKIPPED}`);

describe.skipIf(executable === null)(
  executable === null ? `the console in Chromium (${SKIPPED})` : "the console in Chromium",
  () => {
    beforeAll(async () => {
      receiver = await startWebhookReceiver();
      // As the local platform runs tenants: webhooks may deliver to the receiver on loopback.
      tenant = await startConsoleTenant("console-browser", { bindings: { WEBHOOK_ALLOW_LOOPBACK: "true" } });
      await seedConsoleData(tenant);
      browser = await launchChromium(executable!);
    });

    afterAll(async () => {
      await browser?.close();
      await tenant?.dispose();
      await receiver?.close();
    });

    test("a wrong key is refused with the API's own message, and nothing is kept", async () => {
      const { page, problems } = await openConsole();
      await page.getByLabel("API key").fill("wfp_nobody_NotARealSecret0123456789");
      await page.getByRole("button", { name: "Sign in" }).click();
      await expect.poll(() => page.getByRole("alert").textContent()).toContain("Missing or invalid API key");
      expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
      expect(await seriousViolations(page)).toEqual([]);
      expect(problems).toEqual([]);
      await page.context().close();
    });

    test("signs in, keeps the key in the tab only, browses both trees, searches, diffs, draws references", async () => {
      const { page, problems } = await openConsole();
      await signIn(page, tenant.adminKey);
      expect(page.url()).toBe(`${tenant.origin}/ui`);
      expect(await page.evaluate("document.cookie")).toBe("");
      expect(await page.evaluate(() => sessionStorage.getItem("wfp-console-key"))).toBe(tenant.adminKey);

      // The Confluent tree, by keyboard: focus the root, open it with Right, go down with Down.
      const tree = page.getByRole("navigation", { name: "Registry tree" });
      const contexts = tree.getByRole("button", { name: /^Contexts/ });
      await contexts.focus();
      await page.keyboard.press("ArrowRight");
      expect(await contexts.getAttribute("aria-expanded")).toBe("true");
      await tree.getByRole("button", { name: /\(default\)/ }).waitFor();
      await page.keyboard.press("ArrowDown");
      await page.keyboard.press("ArrowRight");
      await tree.getByRole("button", { name: new RegExp(SEED.orders) }).click();
      await tree.getByRole("button", { name: "version 2" }).click();
      const detail = page.locator(".detail");
      await expect
        .poll(() => detail.getByRole("heading", { level: 2 }).textContent())
        .toContain(`${SEED.orders} version 2`);
      // Highlighted: JSON keys and strings in their own spans.
      expect(await detail.locator(".code .tok-key").count()).toBeGreaterThan(3);

      await detail.getByLabel(/^Compare/).selectOption({ label: `${SEED.orders} v1` });
      await expect.poll(() => detail.locator(".diff-wrap [role=status]").textContent()).toMatch(/changed line/);
      expect((await detail.locator("td.add").allTextContents()).map((line) => line.trim())).toContain(
        '"name": "note",',
      );
      expect(await detail.locator("td.del").count()).toBe(0);

      // References: orders-value v2 uses common-address v1; that one is used by both orders versions.
      const graph = detail.getByRole("img");
      expect(await graph.getAttribute("aria-label")).toContain(`references ${SEED.address} v1`);
      await detail.getByRole("button", { name: `Open ${SEED.address} v1` }).click();
      await expect
        .poll(() => detail.getByRole("img").getAttribute("aria-label"))
        .toContain(`referenced by ${SEED.orders} v1, ${SEED.orders} v2`);
      expect(await seriousViolations(page)).toEqual([]);

      // The /api tree over the same store: the registrations are versions of schemas in My Context.
      await tree.getByRole("button", { name: /^Products/ }).click();
      await tree.getByRole("button", { name: /My Product/ }).click();
      await tree.getByRole("button", { name: /My Domain/ }).click();
      await tree.getByRole("button", { name: /My Context/ }).click();
      await tree.getByRole("button", { name: `${SEED.payments} schema` }).click();
      await tree.getByRole("button", { name: /^1\.0\.0/ }).click();
      await expect.poll(() => detail.getByRole("heading", { level: 2 }).textContent()).toContain("PROTOBUF");
      expect(await detail.locator(".code .tok-keyword").allTextContents()).toEqual(
        expect.arrayContaining(["syntax", "message"]),
      );
      expect(await detail.locator(".code .tok-comment").count()).toBe(1);

      // Search by name keeps matching nodes and their ancestors, across both trees.
      await page.getByLabel("Search by name").fill("customers");
      await expect.poll(() => tree.getByRole("button", { name: /customers-value/ }).count()).toBe(2);
      expect(await tree.getByRole("button", { name: /orders-value/ }).count()).toBe(0);
      expect(problems).toEqual([]);
      await page.context().close();
    });

    test("checks compatibility with the verbose reasons, then registers (write key); settings change", async () => {
      const subject = "compat-flow-value";
      const record = (fields: object[]) => JSON.stringify({ type: "record", name: "Flow", fields });
      await tenant.call("POST", `/subjects/${subject}/versions`, {
        schema: record([{ name: "a", type: "string" }]),
      });
      const writer = await newKey("write", "compat flow");
      const { page, problems } = await openConsole();
      await signIn(page, writer.key);
      expect(await page.getByRole("button", { name: "Keys" }).count()).toBe(0);
      expect(await page.getByRole("button", { name: "Webhooks", exact: true }).count()).toBe(0);
      await page.getByRole("button", { name: "Compatibility" }).click();
      await page.getByLabel("Subject").fill(subject);
      // A new field without a default: not backward compatible, and the registry says why.
      await page.getByLabel("Schema", { exact: true }).fill(
        record([
          { name: "a", type: "string" },
          { name: "b", type: "int" },
        ]),
      );
      await page.getByRole("button", { name: "Check compatibility" }).click();
      await expect.poll(() => page.locator(".verdict").textContent()).toContain("Not compatible");
      expect(await page.locator(".reasons li").count()).toBeGreaterThan(0);
      expect(await page.getByRole("button", { name: /^Register/ }).count()).toBe(0);
      expect(await seriousViolations(page)).toEqual([]);

      await page.getByLabel("Schema", { exact: true }).fill(
        record([
          { name: "a", type: "string" },
          { name: "b", type: "int", default: 0 },
        ]),
      );
      await page.getByRole("button", { name: "Check compatibility" }).click();
      await expect.poll(() => page.locator(".verdict").textContent()).toContain("Compatible");
      await page.getByRole("button", { name: `Register in ${subject}` }).click();
      await expect.poll(() => page.getByText(/Registered in/).count()).toBe(1);
      expect(await tenant.call("GET", `/subjects/${subject}/versions`)).toEqual([1, 2]);

      // Settings: a write key may change a subject's level, not the global one.
      await page.getByRole("button", { name: "Settings" }).click();
      await page.getByLabel("Global").check();
      await expect.poll(() => page.locator(".settings-current").textContent()).toContain("In force");
      expect(await page.getByRole("button", { name: "Save settings" }).count()).toBe(0);
      await page.getByLabel("Subject", { exact: true }).check();
      await page.locator("#settings-subject").fill(subject);
      await page.locator("#settings-subject").press("Tab");
      await page.getByLabel("New compatibility level").selectOption("FULL");
      await page.getByRole("button", { name: "Save settings" }).click();
      await expect.poll(() => page.locator(".settings-current").textContent()).toContain("FULL");
      expect(await tenant.call("GET", `/config/${subject}`)).toMatchObject({ compatibilityLevel: "FULL" });
      expect(await seriousViolations(page)).toEqual([]);
      expect(problems).toEqual([]);
      await page.context().close();
    });

    test("an admin creates a key (shown once), revokes it, and pages through the filtered audit log", async () => {
      const { page, problems } = await openConsole();
      await signIn(page, tenant.adminKey);
      await page.getByRole("button", { name: "Keys" }).click();
      await page.getByLabel("Role").selectOption("read");
      await page.getByLabel("Description").fill("made in the browser");
      await page.getByRole("button", { name: "Create key" }).click();
      const shown = await page.getByLabel("New key").inputValue();
      expect(shown).toMatch(/^wfp_[a-z0-9]+_[A-Za-z0-9_-]{43}$/);
      const id = shown.split("_")[1]!;
      expect(await tenant.call("GET", "/api/whoami", undefined, shown)).toMatchObject({ keyId: id, role: "read" });
      const row = page.getByRole("row", { name: new RegExp(id) });
      await expect.poll(() => row.textContent()).toContain("active");
      expect(await seriousViolations(page)).toEqual([]);
      await page.getByRole("button", { name: "Done" }).click();
      expect(await page.getByLabel("New key").count()).toBe(0);

      await page.getByRole("button", { name: `Revoke key ${id}` }).click();
      await expect.poll(() => row.textContent()).toContain("revoked");
      await expect(tenant.call("GET", "/api/whoami", undefined, shown)).rejects.toThrow(/401/);

      // Enough entries for two pages of 20, all from this test's own subject.
      for (let n = 0; n < 21; n += 1)
        await tenant.call("PUT", "/config/audit-paging-value", { compatibility: n % 2 === 0 ? "FULL" : "NONE" });
      await page.getByRole("button", { name: "Audit log" }).click();
      await page.getByLabel("Target starts with").fill("/config/audit-paging-value");
      await page.getByRole("button", { name: "Filter" }).click();
      await expect.poll(() => page.locator("table.list tbody tr").count()).toBe(20);
      expect(await seriousViolations(page)).toEqual([]);
      await page.getByRole("button", { name: "Older" }).click();
      await expect.poll(() => page.locator("table.list tbody tr").count()).toBe(1);
      expect(await page.getByText("Page 2").count()).toBe(1);
      await page.getByRole("button", { name: "Newer" }).click();
      await expect.poll(() => page.locator("table.list tbody tr").count()).toBe(20);
      expect(problems).toEqual([]);
      await page.context().close();
    });

    test("an admin registers a webhook (secret shown once), tests it, pages its log, deletes it", async () => {
      const { page, problems } = await openConsole();
      await signIn(page, tenant.adminKey);
      await page.getByRole("button", { name: "Webhooks", exact: true }).click();
      const webhooksTable = page.getByRole("table", { name: "Webhooks" });
      await page.getByText("No webhooks.").waitFor();

      // A private address is the API's to refuse, and its message is shown as it is.
      await page.getByLabel("URL").fill("https://10.1.2.3/hook");
      await page.getByRole("button", { name: "Register webhook" }).click();
      await expect
        .poll(() => page.getByRole("alert").textContent())
        .toBe("Invalid webhook: body/url must not name a private, link-local or reserved address.");
      expect(await tenant.call("GET", "/api/webhooks")).toEqual({ items: [] });

      const url = `${receiver.origin}/console-hook`;
      await page.getByLabel("URL").fill(url);
      await page.getByLabel("schema.registered").check();
      await page.getByLabel("subject.deleted").check();
      await page.getByLabel("Description").fill("made in the browser");
      await page.getByRole("button", { name: "Register webhook" }).click();
      const secret = await page.getByLabel("Signing secret").inputValue();
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
      expect(await page.getByRole("alert").count()).toBe(0);
      const { items } = await tenant.call<{ items: { id: string; url: string; events: string[] | null }[] }>(
        "GET",
        "/api/webhooks",
      );
      expect(items).toEqual([expect.objectContaining({ url, events: ["schema.registered", "subject.deleted"] })]);
      const id = items[0]!.id;
      expect(JSON.stringify(items)).not.toContain(secret);
      const row = webhooksTable.getByRole("row", { name: new RegExp(id) });
      await expect.poll(() => row.textContent()).toContain("schema.registered, subject.deleted");
      expect(await row.textContent()).toContain(url);
      expect(await row.textContent()).toContain("made in the browser");
      expect(await row.textContent()).not.toContain(secret);
      expect(await seriousViolations(page)).toEqual([]);
      await page.getByRole("button", { name: "Done" }).click();
      expect(await page.getByLabel("Signing secret").count()).toBe(0);
      expect(await page.content()).not.toContain(secret);

      // None ticked: every event; registered from the keyboard.
      await page.getByLabel("URL").fill(`${receiver.origin}/console-all`);
      await page.getByLabel("URL").press("Enter");
      await page.getByLabel("Signing secret").waitFor();
      await page.getByRole("button", { name: "Done" }).click();
      const everything = webhooksTable.getByRole("row", { name: /console-all/ });
      await expect.poll(() => everything.textContent()).toContain("all events");

      // A test the receiver takes, signed with the secret shown; then one it refuses.
      await page.getByRole("button", { name: `Send test to webhook ${id}` }).click();
      await expect
        .poll(() => page.getByRole("status").textContent())
        .toBe(`Test delivery to ${url}: delivered, HTTP 200.`);
      const tests = receiver.received.filter((r) => r.path === "/console-hook");
      expect(tests.map((r) => [r.event.type, r.event.data.webhookId])).toEqual([["webhook.test", id]]);
      expect(await verifyWebhook(secret, tests[0]!.headers as Record<string, string>, tests[0]!.body)).toBeNull();
      receiver.answerWith("/console-hook", 500);
      await page.getByRole("button", { name: `Send test to webhook ${id}` }).click();
      await expect
        .poll(() => page.getByRole("status").textContent())
        .toBe(
          `Test delivery to ${url}: not delivered (it is retried like any delivery), HTTP 500, ` +
            "HTTP 500: receiver refused it.",
        );

      // The log: both tests, newest first; filtered by status (this harness runs no clock, so the
      // refused one stays pending).
      await page.getByRole("button", { name: `Deliveries of webhook ${id}` }).click();
      const log = page.getByRole("table", { name: "Deliveries, newest first" });
      const cells = async () =>
        (await log.locator("tbody tr").all()).map(async (tr) => (await tr.locator("td").allTextContents()).slice(1));
      const rows = async () => Promise.all(await cells());
      await expect.poll(rows).toEqual([
        ["webhook.test", "pending", "1", "500", "HTTP 500: receiver refused it", expect.stringMatching(/^20\d\d-/)],
        ["webhook.test", "delivered", "1", "200", "", ""],
      ]);
      expect(await seriousViolations(page)).toEqual([]);
      await page.getByLabel("Status").selectOption("delivered");
      await page.getByRole("button", { name: "Filter" }).click();
      await expect.poll(rows).toEqual([["webhook.test", "delivered", "1", "200", "", ""]]);

      // Paging: 21 more deliveries make two pages of 20 under "any".
      for (let n = 0; n < 21; n += 1) await tenant.call("POST", `/api/webhooks/${id}/test`);
      await page.getByLabel("Status").selectOption("");
      await page.getByRole("button", { name: "Filter" }).click();
      await expect.poll(async () => (await rows()).length).toBe(20);
      await page.getByRole("button", { name: "Older" }).click();
      await expect.poll(async () => (await rows()).length).toBe(3);
      expect(await page.getByText("Page 2").count()).toBe(1);
      await page.getByRole("button", { name: "Newer" }).click();
      await expect.poll(async () => (await rows()).length).toBe(20);

      // A new secret, shown once; for a while both sign (openConsole accepts the confirmation).
      await page.getByRole("button", { name: `Rotate secret of webhook ${id}` }).click();
      await expect.poll(() => page.getByLabel("Signing secret").inputValue()).not.toBe(secret);
      const rotated = await page.getByLabel("Signing secret").inputValue();
      expect(rotated).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
      expect(await page.getByText(`Webhook ${id} has a new secret.`).textContent()).toContain(
        "The previous secret also signs until 20",
      );
      await expect.poll(() => row.textContent()).toContain("previous secret signs until 20");
      expect(await row.textContent()).not.toContain(rotated);
      await tenant.call("POST", `/api/webhooks/${id}/test`);
      const signedByBoth = receiver.received.filter((r) => r.path === "/console-hook").at(-1)!;
      for (const each of [rotated, secret])
        expect(await verifyWebhook(each, signedByBoth.headers as Record<string, string>, signedByBoth.body)).toBeNull();
      await page.getByRole("button", { name: "Done" }).click();
      expect(await page.content()).not.toContain(rotated);

      // Delete from the keyboard (openConsole accepts the confirmation): the row, the log and the
      // webhook go.
      await page.getByRole("button", { name: `Delete webhook ${id}` }).press("Enter");
      await expect.poll(() => row.count()).toBe(0);
      // The focused button went with its row: focus is on the view's heading, not lost to the page.
      expect(await page.evaluate("document.activeElement?.id")).toBe("webhooks-title");
      expect(await log.count()).toBe(0);
      const left = await tenant.call<{ items: { url: string }[] }>("GET", "/api/webhooks");
      expect(left.items.map((each) => each.url)).toEqual([`${receiver.origin}/console-all`]);

      // The registry's limit (20) is the API's 409, its message shown as it is.
      const filler = `${receiver.origin}/console-filler`;
      for (let n = left.items.length; n < 20; n += 1) await tenant.call("POST", "/api/webhooks", { url: filler });
      await page.getByLabel("URL").fill(`${receiver.origin}/console-one-too-many`);
      await page.getByRole("button", { name: "Register webhook" }).click();
      await expect
        .poll(() => page.getByRole("alert").textContent())
        .toBe("This registry already has 20 webhooks, the most it may have. Delete one first.");
      expect(await page.getByLabel("Signing secret").count()).toBe(0);
      const all = await tenant.call<{ items: { id: string }[] }>("GET", "/api/webhooks");
      for (const each of all.items) await tenant.call("DELETE", `/api/webhooks/${each.id}`);
      expect(problems).toEqual([]);
      await page.context().close();
    });

    test("a read-only key is offered no write action", async () => {
      const reader = await newKey("read", "read-only console");
      const { page, problems } = await openConsole();
      await signIn(page, reader.key);
      expect(await page.locator("header").textContent()).toContain("role read");
      expect(await page.getByRole("button", { name: "Keys" }).count()).toBe(0);
      expect(await page.getByRole("button", { name: "Audit log" }).count()).toBe(0);
      expect(await page.getByRole("button", { name: "Webhooks", exact: true }).count()).toBe(0);

      await page.getByRole("button", { name: "Compatibility" }).click();
      await page.getByLabel("Subject").fill(SEED.customers);
      await page.getByLabel("Schema type").selectOption("JSON");
      await page.getByLabel("Schema", { exact: true }).fill('{"type":"object"}');
      await page.getByRole("button", { name: "Check compatibility" }).click();
      await page.locator(".verdict p").waitFor();
      expect(await page.getByRole("button", { name: /^Register/ }).count()).toBe(0);

      await page.getByRole("button", { name: "Settings" }).click();
      await expect.poll(() => page.locator(".settings-current").textContent()).toContain("In force");
      expect(await page.getByRole("button", { name: "Save settings" }).count()).toBe(0);
      expect(await seriousViolations(page)).toEqual([]);
      // Signing out forgets the key.
      await page.getByRole("button", { name: "Sign out" }).click();
      expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
      expect(problems).toEqual([]);
      await page.context().close();
    });
  },
);

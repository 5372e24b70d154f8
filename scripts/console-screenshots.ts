/**
 * Saves a screenshot of each main view of the console (/ui) into docs/console/, for docs/console.md:
 * a throwaway tenant in workerd with a little seed data, driven in Debian's Chromium as the tests
 * drive it (scripts/lib/console-tenant.ts). Needs Chromium (`apt-get install chromium`, or set
 * CHROMIUM_PATH); nothing is downloaded.
 *
 * Usage: npm run console:screenshots
 */
import { mkdirSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import { chromiumPath, launchChromium, SEED, seedConsoleData, startConsoleTenant } from "./lib/console-tenant.ts";

const OUT = fileURLToPath(new URL("../docs/console/", import.meta.url));

const executable = chromiumPath();
if (executable === null) {
  console.error("No Chromium found (CHROMIUM_PATH, /usr/bin/chromium): apt-get install chromium");
  process.exit(1);
}

mkdirSync(OUT, { recursive: true });
// A webhook receiver on loopback that takes every delivery, for the Webhooks view's test delivery.
const receiver = createServer((request, response) => {
  request.resume();
  request.on("end", () => response.writeHead(204, { connection: "close" }).end());
});
await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
const receiverOrigin = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
const tenant = await startConsoleTenant("console-screenshots", { bindings: { WEBHOOK_ALLOW_LOOPBACK: "true" } });
const browser = await launchChromium(executable);
try {
  await seedConsoleData(tenant);
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  const shot = async (name: string, fullPage = false) => {
    await page.screenshot({ path: `${OUT}${name}.png`, fullPage });
    console.log(`saved docs/console/${name}.png`);
  };
  await page.goto(`${tenant.origin}/ui`);
  await page.getByLabel("API key").fill(tenant.adminKey);
  await shot("sign-in");
  await page.getByRole("button", { name: "Sign in" }).click();

  await browse(page);
  await shot("browse");
  await page.getByRole("button", { name: `Open ${SEED.address} v1` }).click();
  await page.getByRole("img").waitFor();
  await page.locator(".detail h3", { hasText: "References" }).scrollIntoViewIfNeeded();
  await shot("references");

  await page.getByRole("button", { name: "Compatibility" }).click();
  await page.getByLabel("Subject").fill(SEED.address);
  await page.getByLabel("Schema", { exact: true }).fill(
    JSON.stringify({
      type: "record",
      name: "Address",
      namespace: "com.acme",
      fields: [{ name: "zip", type: "int" }],
    }),
  );
  await page.getByRole("button", { name: "Check compatibility" }).click();
  await page.locator(".reasons li").first().waitFor();
  await shot("compatibility");

  await page.getByRole("button", { name: "Settings" }).click();
  await page.getByText("In force").waitFor();
  await shot("settings");

  await page.getByRole("button", { name: "Keys" }).click();
  await page.getByLabel("Description").fill("CI pipeline, read only");
  await page.getByRole("button", { name: "Create key" }).click();
  await page.getByLabel("New key").waitFor();
  await shot("keys");

  const { id } = await tenant.call<{ id: string }>("POST", "/api/webhooks", {
    url: `${receiverOrigin}/registry-events`,
    description: "data catalogue sync",
  });
  await page.getByRole("button", { name: "Webhooks", exact: true }).click();
  await page.getByLabel("URL").fill(`${receiverOrigin}/ci`);
  await page.getByLabel("schema.registered").check();
  await page.getByLabel("version.deleted").check();
  await page.getByLabel("Description").fill("CI pipeline");
  await page.getByRole("button", { name: "Register webhook" }).click();
  await page.getByLabel("Signing secret").waitFor();
  await page.getByRole("button", { name: `Send test to webhook ${id}` }).click();
  await page.getByText(/^Test delivery to/).waitFor();
  await page.getByRole("button", { name: `Deliveries of webhook ${id}` }).click();
  await page.getByRole("table", { name: "Deliveries, newest first" }).locator("tbody tr").first().waitFor();
  // The whole page: the delivery log is below the form, the secret and the list.
  await shot("webhooks", true);

  await page.getByRole("button", { name: "Audit log" }).click();
  await page.locator("table.list tbody tr").first().waitFor();
  await shot("audit");
} finally {
  await browser.close();
  await tenant.dispose();
  receiver.close();
}

/** The browse view: orders-value v2 compared with v1. */
async function browse(page: Page): Promise<void> {
  const tree = page.getByRole("navigation", { name: "Registry tree" });
  await tree.getByRole("button", { name: /^Products/ }).click();
  await tree.getByRole("button", { name: /My Product/ }).click();
  await tree.getByRole("button", { name: /^Contexts/ }).click();
  await tree.getByRole("button", { name: /\(default\)/ }).click();
  await tree.getByRole("button", { name: `${SEED.orders} subject` }).click();
  await tree.getByRole("button", { name: "version 2" }).click();
  await page.getByLabel(/^Compare/).selectOption({ label: `${SEED.orders} v1` });
  await page.locator(".diff").waitFor();
}

/**
 * Where a webhook may deliver (tenant-template/src/webhooks/webhook-url.ts): Cloudflare's rule,
 * https to a public host, and the local platform's, which also allows loopback.
 */
import { describe, expect, it } from "vitest";
import { webhookUrlPolicy, webhookUrlRefusal } from "../../../tenant-template/src/webhooks/webhook-url.ts";

const CLOUDFLARE = { allowLoopback: false };
const LOCAL = { allowLoopback: true };

describe("webhookUrlRefusal", () => {
  it("allows https to public hosts and addresses everywhere", () => {
    for (const url of [
      "https://hooks.example.com/registry",
      "https://hooks.example.com:8443/a?b=c",
      "https://93.184.216.34/hook",
      "https://[2606:4700::1111]/hook",
      "https://172.32.0.1/", // just outside 172.16.0.0/12
      "https://100.128.0.1/", // just outside 100.64.0.0/10
    ]) {
      expect(webhookUrlRefusal(url, CLOUDFLARE), url).toBeNull();
      expect(webhookUrlRefusal(url, LOCAL), url).toBeNull();
    }
  });

  it("refuses loopback on Cloudflare, in every spelling, and allows it locally", () => {
    for (const url of [
      "http://127.0.0.1:8080/hook",
      "https://127.0.0.1/hook",
      "https://127.1.2.3/",
      "https://2130706433/", // 127.0.0.1 as one number
      "https://0x7f.1/",
      "https://localhost/",
      "https://api.localhost/",
      "https://[::1]/",
    ]) {
      expect(webhookUrlRefusal(url, CLOUDFLARE), url).not.toBeNull();
      expect(webhookUrlRefusal(url, LOCAL), url).toBeNull();
    }
  });

  it("refuses private, link-local, shared, reserved and local names everywhere", () => {
    for (const url of [
      "https://10.0.0.1/",
      "https://172.16.0.1/",
      "https://172.31.255.255/",
      "https://192.168.0.1/",
      "https://169.254.169.254/latest/meta-data/",
      "https://100.64.0.1/",
      "https://0.0.0.0/",
      "https://192.0.2.1/",
      "https://198.18.0.1/",
      "https://224.0.0.1/",
      "https://255.255.255.255/",
      "https://[fc00::1]/",
      "https://[fd12:3456::1]/",
      "https://[fe80::1]/",
      "https://[ff02::1]/",
      "https://[::]/",
      "https://[::ffff:10.0.0.1]/",
      "https://[::ffff:169.254.169.254]/",
      "https://[64:ff9b::a00:1]/",
      "https://[2001:db8::1]/",
      "https://metadata.google.internal/",
      "https://nas.local/",
      "https://router.home.arpa/",
      "https://intranet/",
    ]) {
      expect(webhookUrlRefusal(url, CLOUDFLARE), url).not.toBeNull();
      expect(webhookUrlRefusal(url, LOCAL), url).not.toBeNull();
    }
  });

  it("refuses plain http, other schemes, credentials and junk, saying why", () => {
    expect(webhookUrlRefusal("http://hooks.example.com/", CLOUDFLARE)).toBe("must use https");
    expect(webhookUrlRefusal("http://hooks.example.com/", LOCAL)).toBe("must use https");
    expect(webhookUrlRefusal("ftp://hooks.example.com/", CLOUDFLARE)).toBe("must use https");
    expect(webhookUrlRefusal("file:///etc/passwd", LOCAL)).toBe("must use https");
    expect(webhookUrlRefusal("https://u:p@hooks.example.com/", CLOUDFLARE)).toMatch(/credentials/);
    expect(webhookUrlRefusal("hooks.example.com/x", CLOUDFLARE)).toMatch(/absolute URL/);
    expect(webhookUrlRefusal(`https://hooks.example.com/${"a".repeat(2100)}`, CLOUDFLARE)).toMatch(/at most/);
  });

  it("takes the local platform's rule only from WEBHOOK_ALLOW_LOOPBACK=true", () => {
    expect(webhookUrlPolicy({ WEBHOOK_ALLOW_LOOPBACK: "true" })).toEqual(LOCAL);
    expect(webhookUrlPolicy({})).toEqual(CLOUDFLARE);
    expect(webhookUrlPolicy({ WEBHOOK_ALLOW_LOOPBACK: "1" })).toEqual(CLOUDFLARE);
  });
});

/**
 * The key format, its hashing and the Authorization header parser (tenant-template/src/auth),
 * shared by the tenant Worker and the operator CLI: Web Crypto only, so they run here too.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  digestsEqual,
  generateKey,
  generateKeyId,
  hashJson,
  hashKey,
  joinKey,
  keyIdOf,
  roleAllows,
} from "../../../contracts/api-key.ts";
import { presentedCredentials } from "../../../tenant-template/src/auth/credentials.ts";
import { TEST_ADMIN_KEY } from "../../support/tenant-credentials.ts";

const basic = (value: string) => `Basic ${Buffer.from(value).toString("base64")}`;
const SECRET = "Vq3".padEnd(43, "x");

describe("the key format", () => {
  it("generates wfp_<id>_<43 base64url> keys with fresh [a-z0-9]{12} ids, never admin", () => {
    const ids = new Set(Array.from({ length: 200 }, () => generateKeyId()));
    expect(ids.size).toBe(200);
    for (const id of ids) expect(id).toMatch(/^[a-z0-9]{12}$/);
    const key = generateKey("abc123");
    expect(key).toMatch(/^wfp_abc123_[A-Za-z0-9_-]{43}$/);
    expect(keyIdOf(key)).toBe("abc123");
    expect(() => generateKey("Not_An_Id")).toThrow();
  });

  it("reads the key id of a whole key, and only of a well-formed one", () => {
    expect(keyIdOf(TEST_ADMIN_KEY)).toBe("admin");
    expect(keyIdOf(`wfp_k1_${SECRET}`)).toBe("k1");
    // Secrets are base64url and may contain '_': the id ends at the first one.
    expect(keyIdOf(`wfp_k1_a_b-c${SECRET}`)).toBe("k1");
    for (const bad of [
      "",
      "wfp_",
      `wfp__${SECRET}`,
      `wfp_K1_${SECRET}`,
      `wfp_k1_short`,
      `wfp_k1_${"x".repeat(129)}`,
      `xfp_k1_${SECRET}`,
      `wfp_k1_${SECRET}=`,
    ])
      expect(keyIdOf(bad), bad).toBeNull();
    expect(joinKey("k1", SECRET)).toBe(`wfp_k1_${SECRET}`);
    expect(joinKey("K1", SECRET)).toBeNull();
  });

  it("hashes as any sha-256 does (lower-case hex of the whole key), so the CLI and the Worker agree", async () => {
    const key = generateKey("admin");
    expect(await hashKey(key)).toBe(createHash("sha256").update(key, "utf8").digest("hex"));
    expect(await hashJson({ a: 1 })).toBe(createHash("sha256").update('{"a":1}').digest("hex"));
  });

  it("compares digests by every character, whatever the position of a difference", async () => {
    const digest = await hashKey("a");
    expect(digestsEqual(digest, digest)).toBe(true);
    for (const index of [0, 31, 63]) {
      const changed = digest.slice(0, index) + (digest[index] === "0" ? "1" : "0") + digest.slice(index + 1);
      expect(digestsEqual(digest, changed)).toBe(false);
    }
    expect(digestsEqual(digest, digest.slice(1))).toBe(false);
  });

  it("orders roles read < write < admin", () => {
    expect(roleAllows("admin", "write")).toBe(true);
    expect(roleAllows("write", "write")).toBe(true);
    expect(roleAllows("write", "admin")).toBe(false);
    expect(roleAllows("read", "write")).toBe(false);
  });
});

describe("the Authorization header", () => {
  it("takes a whole key as Bearer (any case of the scheme)", () => {
    expect(presentedCredentials(`Bearer ${TEST_ADMIN_KEY}`)).toEqual({
      kind: "key",
      keyId: "admin",
      key: TEST_ADMIN_KEY,
    });
    expect(presentedCredentials(`bearer ${TEST_ADMIN_KEY}`)).toMatchObject({ kind: "key" });
    expect(presentedCredentials(undefined)).toEqual({ kind: "none" });
    expect(presentedCredentials(null)).toEqual({ kind: "none" });
  });

  it("takes Basic as key id and secret, or the whole key as password (same id, or no user name)", () => {
    expect(presentedCredentials(basic(`k1:${SECRET}`))).toEqual({ kind: "key", keyId: "k1", key: `wfp_k1_${SECRET}` });
    expect(presentedCredentials(basic(`k1:wfp_k1_${SECRET}`))).toEqual({
      kind: "key",
      keyId: "k1",
      key: `wfp_k1_${SECRET}`,
    });
    expect(presentedCredentials(basic(`:wfp_k1_${SECRET}`))).toEqual({
      kind: "key",
      keyId: "k1",
      key: `wfp_k1_${SECRET}`,
    });
    // Under another user name it is taken as that key's secret (a secret may begin with wfp_),
    // which then fails to match.
    expect(presentedCredentials(basic(`k2:wfp_k1_${SECRET}`))).toEqual({
      kind: "key",
      keyId: "k2",
      key: `wfp_k2_wfp_k1_${SECRET}`,
    });
  });

  it("calls anything else malformed", () => {
    for (const header of [
      "",
      "Bearer",
      "Bearer  ",
      `Token ${TEST_ADMIN_KEY}`,
      "Bearer abc",
      `Bearer ${TEST_ADMIN_KEY} extra`,
      "Basic !!!",
      basic("no-colon"),
      basic(`k1:short`),
      basic(`UPPER:${SECRET}`),
      `Bearer ${"a".repeat(600)}`,
    ]) {
      expect(presentedCredentials(header), header).toEqual({ kind: "malformed" });
    }
  });
});

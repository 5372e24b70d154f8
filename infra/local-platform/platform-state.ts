/**
 * The local platform's durable state: every resource the emulated Cloudflare API knows about.
 * Kept as one JSON document under the state directory and replaced atomically on each change,
 * so a crash never leaves half a file. Script module sources live beside it, one file a module.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

import { ACCOUNT_SCRIPT, type ScriptRecord } from "./script-record.ts";

export { ACCOUNT_SCRIPT } from "./script-record.ts";
export type { ModuleType, ScriptRecord, WorkerBinding } from "./script-record.ts";

export interface DispatchNamespaceRecord {
  id: string;
  name: string;
  createdOn: string;
  modifiedOn: string;
}

export interface D1Record {
  uuid: string;
  name: string;
  createdAt: string;
  jurisdiction?: "eu" | "fedramp" | "us";
  primaryLocationHint?: string;
  readReplicationMode: "auto" | "disabled";
}

export interface KvRecord {
  id: string;
  title: string;
}

export interface CustomHostnameRecord {
  id: string;
  hostname: string;
  createdAt: string;
  sslMethod: "http" | "txt" | "email";
  sslType: "dv";
  sslSettings: Record<string, unknown>;
  sslId: string;
  ownershipValue: string;
  validationToken: string;
  customOriginServer?: string;
  customMetadata?: Record<string, unknown>;
}

export interface RegionalHostnameRecord {
  hostname: string;
  regionKey: string;
  routing: string;
  createdOn: string;
}

/** A Worker route of the zone (`/zones/{z}/workers/routes`): which script a URL pattern runs. */
export interface WorkerRouteRecord {
  id: string;
  pattern: string;
  /** None: the pattern is excluded from Workers. */
  script?: string;
}

/** A DNS record of the zone; locally it only decides whether a hostname of the zone is served. */
export interface DnsRecord {
  id: string;
  type: "A" | "AAAA" | "CNAME" | "TXT";
  name: string;
  content: string;
  proxied: boolean;
  ttl: number;
  comment?: string;
  createdOn: string;
  modifiedOn: string;
}

export interface PlatformStateData {
  version: 1;
  accountId: string;
  accountName: string;
  zoneId: string;
  zoneName: string;
  /** The SaaS zone's fallback origin, once set (`platform init` sets it). */
  fallbackOrigin?: string;
  dispatchNamespaces: Record<string, DispatchNamespaceRecord>;
  /** Scripts in dispatch namespaces, by `namespace/name`. */
  scripts: Record<string, ScriptRecord>;
  /** The account's own scripts (the dispatcher), by name. */
  accountScripts: Record<string, ScriptRecord>;
  workerRoutes: Record<string, WorkerRouteRecord>;
  dnsRecords: Record<string, DnsRecord>;
  d1: Record<string, D1Record>;
  kv: Record<string, KvRecord>;
  customHostnames: Record<string, CustomHostnameRecord>;
  regionalHostnames: Record<string, RegionalHostnameRecord>;
}

export const hexId = () => randomBytes(16).toString("hex");
export const nowIso = () => new Date().toISOString();
export const scriptKey = (namespace: string, name: string) => `${namespace}/${name}`;

/** Loads, mutates and persists the platform's state. */
export class PlatformState {
  readonly data: PlatformStateData;
  private readonly file: string;

  constructor(
    readonly dir: string,
    zoneName: string,
  ) {
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, "state.json");
    if (existsSync(this.file)) {
      this.data = JSON.parse(readFileSync(this.file, "utf8")) as PlatformStateData;
      // State written before the account's own Workers, routes and DNS existed here.
      this.data.accountScripts ??= {};
      this.data.workerRoutes ??= {};
      this.data.dnsRecords ??= {};
    } else {
      this.data = {
        version: 1,
        accountId: hexId(),
        accountName: "Local account",
        zoneId: hexId(),
        zoneName,
        dispatchNamespaces: {},
        scripts: {},
        accountScripts: {},
        workerRoutes: {},
        dnsRecords: {},
        d1: {},
        kv: {},
        customHostnames: {},
        regionalHostnames: {},
      };
      this.save();
    }
  }

  save(): void {
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.data, null, 2));
    renameSync(tmp, this.file);
  }

  /** Modules live under their etag, so a failed upload can fall back to the previous version. */
  moduleDir(namespace: string, script: string, etag?: string): string {
    const base =
      namespace === ACCOUNT_SCRIPT
        ? join(this.dir, "account-scripts", encodeURIComponent(script))
        : join(this.dir, "scripts", encodeURIComponent(namespace), encodeURIComponent(script));
    return etag === undefined ? base : join(base, etag);
  }

  writeModules(
    namespace: string,
    script: string,
    etag: string,
    modules: { name: string; contents: Uint8Array }[],
  ): void {
    for (const module of modules) {
      const path = join(this.moduleDir(namespace, script, etag), module.name);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, module.contents);
    }
  }

  readModule(record: ScriptRecord, moduleName: string): Uint8Array {
    return readFileSync(join(this.moduleDir(record.namespace, record.name, record.etag), moduleName));
  }

  /** Removes every stored version of a script except `keepEtag` (all of them when omitted). */
  pruneModules(namespace: string, script: string, keepEtag?: string): void {
    const base = this.moduleDir(namespace, script);
    if (!existsSync(base)) return;
    for (const entry of readdirSync(base)) {
      if (entry !== keepEtag) rmSync(join(base, entry), { recursive: true, force: true });
    }
    if (keepEtag === undefined) rmSync(base, { recursive: true, force: true });
  }

  /** Removes the stored modules of this one version of a script. */
  removeModuleVersion(record: ScriptRecord): void {
    rmSync(this.moduleDir(record.namespace, record.name, record.etag), { recursive: true, force: true });
  }

  removeScriptModules(record: ScriptRecord): void {
    this.pruneModules(record.namespace, record.name);
  }
}

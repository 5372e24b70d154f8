/**
 * The events a webhook can subscribe to, and how they are read off a change (docs/webhooks.md,
 * "Events"). Every mutation through either API passes the access layer, which already holds what
 * the audit log records of it: the route's action, its path parameters, and the state before and
 * after (a Confluent subject's versions and settings, or an /api document as answered). The events
 * are derived from that, in one place, rather than raised by each handler: a handler cannot forget
 * one, and a change the audit log sees is a change webhooks see.
 *
 * An event's lane is what its deliveries are ordered by: the subject (Confluent), the schema (/api
 * versions), or the settings level. Deliveries of one lane to one webhook go out one at a time, in
 * the order of the changes.
 */

/** Every event type, in the order the docs list them. */
export const WEBHOOK_EVENT_TYPES = [
  "schema.registered",
  "version.published",
  "version.deprecated",
  "version.removed",
  "version.deleted",
  "subject.deleted",
  "config.changed",
  "mode.changed",
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** `POST /api/webhooks/{id}/test` sends this one, to that webhook only, whatever it subscribed to. */
export const TEST_EVENT_TYPE = "webhook.test";

/** An event before it is stored: its type, its lane, and what it concerns. */
export interface ChangeEvent {
  type: WebhookEventType | typeof TEST_EVENT_TYPE;
  lane: string;
  data: Record<string, unknown>;
}

/** What the access layer knows of a successful mutation. */
export interface ChangeFacts {
  /** The access rule's action, e.g. `subject.register`, `version.update`. */
  action: string;
  params: Record<string, string>;
  /** The request's query, for `permanent`. */
  query: Record<string, string>;
  /** The URL of the document a create made (Location), else the request's path. */
  target: string;
  /** For a Confluent change: the subject (qualified) or null for a level, and the URL's context. */
  confluent: { subject: string | null; context: string | undefined } | null;
  before: unknown;
  after: unknown;
}

interface StateVersion {
  version: number | null;
  id: number | null;
  status: string;
}
interface StateSetting {
  subject: string;
  config: string | null;
  mode: string | null;
}
interface ConfluentStateShape {
  versions: StateVersion[] | null;
  settings: StateSetting[];
}

const API_DELETES = new Set(["product.delete", "domain.delete", "context.delete", "schema.delete"]);
const STATUS_EVENTS: Readonly<Record<string, WebhookEventType>> = {
  Published: "version.published",
  Deprecated: "version.deprecated",
  Removed: "version.removed",
};

/**
 * The events one successful change makes; none for a change no event describes (a key, a
 * product created, an import).
 *
 * @example
 *   changeEvents({ action: "subject.register", confluent: { subject: "orders-value", context: undefined },
 *                  before, after, ... })
 *   // [{ type: "schema.registered", lane: "subject:orders-value",
 *   //     data: { subject: "orders-value", version: 3, id: 12 } },
 *   //  { type: "version.published", ... }]
 */
export function changeEvents(facts: ChangeFacts): ChangeEvent[] {
  return facts.confluent === null ? apiEvents(facts) : confluentEvents(facts, facts.confluent);
}

function confluentEvents(
  facts: ChangeFacts,
  { subject, context }: { subject: string | null; context: string | undefined },
): ChangeEvent[] {
  const before = stateOf(facts.before);
  const after = stateOf(facts.after);
  const lane = subject === null ? `level:${context ?? "."}` : `subject:${subject}`;
  const where = { subject, ...(context === undefined ? {} : { context }) };
  const events: ChangeEvent[] = [];
  const beforeVersions = new Map((before?.versions ?? []).map((v) => [v.version, v]));
  const afterVersions = new Map((after?.versions ?? []).map((v) => [v.version, v]));
  const permanent = facts.query.permanent === "true";
  switch (facts.action) {
    case "subject.register":
      for (const [number, version] of afterVersions) {
        if (number === null || beforeVersions.has(number)) continue;
        const data = { ...where, version: number, id: version.id };
        events.push({ type: "schema.registered", lane, data });
        if (version.status === "Published") events.push({ type: "version.published", lane, data });
      }
      break;
    case "subject.delete": {
      const gone = [...beforeVersions.values()].filter((v) =>
        permanent ? !afterVersions.has(v.version) : v.status !== "Removed",
      );
      if (gone.length > 0)
        events.push({
          type: "subject.deleted",
          lane,
          data: { ...where, versions: gone.map((v) => v.version), permanent },
        });
      break;
    }
    case "subject.version.delete":
      for (const [number, version] of beforeVersions) {
        const now = afterVersions.get(number);
        const deleted = permanent ? now === undefined : version.status !== "Removed" && now?.status === "Removed";
        if (deleted)
          events.push({
            type: "version.deleted",
            lane,
            data: { ...where, version: number, id: version.id, permanent },
          });
      }
      break;
    default: {
      const setting = /^(?:subject\.)?(config|mode)\.(?:update|delete)$/.exec(facts.action)?.[1] as
        | "config"
        | "mode"
        | undefined;
      if (setting === undefined) break;
      const changed = settingChange(before?.settings ?? [], after?.settings ?? [], setting);
      if (changed !== undefined)
        events.push({
          type: setting === "config" ? "config.changed" : "mode.changed",
          lane,
          data: { ...where, [setting]: changed },
        });
    }
  }
  return events;
}

/** The level's new value (parsed JSON, or null when it was deleted) if it changed, else undefined. */
function settingChange(before: StateSetting[], after: StateSetting[], field: "config" | "mode"): unknown {
  const keys = new Set([...before, ...after].map((s) => s.subject));
  for (const key of keys) {
    const was = before.find((s) => s.subject === key)?.[field] ?? null;
    const is = after.find((s) => s.subject === key)?.[field] ?? null;
    if (was === is) continue;
    if (is === null) return null;
    try {
      return JSON.parse(is);
    } catch {
      return is;
    }
  }
  return undefined;
}

function apiEvents(facts: ChangeFacts): ChangeEvent[] {
  const before = documentOf(facts.before);
  const after = documentOf(facts.after);
  if (API_DELETES.has(facts.action)) {
    const level = facts.action.slice(0, facts.action.indexOf("."));
    return [{ type: "subject.deleted", lane: `api:${facts.target}`, data: { path: facts.target, level } }];
  }
  if (!facts.action.startsWith("version.")) return [];
  const version = after ?? before;
  if (version === null) return [];
  const lane = `schema:${String(version.schemaId)}`;
  const data = {
    path: `/api/schemas/${String(version.schemaId)}/versions/${String(version.id)}`,
    schemaId: version.schemaId,
    versionId: version.id,
    semanticVersion: version.semanticVersion ?? null,
    status: after?.status ?? null,
  };
  if (facts.action === "version.delete") return [{ type: "version.deleted", lane, data: { ...data, status: null } }];
  const events: ChangeEvent[] = [];
  if (facts.action === "version.create") events.push({ type: "schema.registered", lane, data });
  const status = after?.status;
  if (typeof status === "string" && status !== before?.status) {
    const type = STATUS_EVENTS[status];
    if (type !== undefined) events.push({ type, lane, data });
  }
  return events;
}

function stateOf(value: unknown): ConfluentStateShape | null {
  if (typeof value !== "object" || value === null) return null;
  const state = value as Partial<ConfluentStateShape>;
  return { versions: Array.isArray(state.versions) ? state.versions : null, settings: state.settings ?? [] };
}

function documentOf(value: unknown): Record<string, unknown> | null {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : null;
}

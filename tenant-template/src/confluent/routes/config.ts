/**
 * `/config` and `/config/{subject}`: compatibility levels and Confluent's other config fields, at
 * the root (the default context's level), a context's level (`/contexts/{ctx}/config`, or
 * `/config/:.ctx:`) and a subject's. The chain they fall back along is subject-settings.ts.
 */
import { z } from "@hono/zod-openapi";
import { NONE, SUBJECT, TENANT } from "../../auth/access-rule.ts";
import { configAnswer, configUpdateAnswer, presentConfig, type Json } from "../confluent-answers.ts";
import { CONFLUENT_ERRORS } from "../confluent-error.ts";
import {
  CONFIG_FIELDS,
  configBody,
  flag,
  settingsLevelOf,
  settingsParams,
  urlLevelOf,
  type ConfigInput,
} from "../confluent-input.ts";
import { ConfluentResource, errors, fail, ok, reply, type Ctx } from "../confluent-route.ts";
import { findSubject, setConfig } from "../confluent-store.ts";
import { DEFAULT_COMPATIBILITY, effectiveConfig, modeIn, settingsOf, type SettingsLevel } from "../subject-settings.ts";

const { invalidCompatibilityLevel, invalidContext, invalidSubject, invalidSchema } = CONFLUENT_ERRORS;

/** The config a PUT leaves stored (merged into what was), and its answer: the fields it set. */
function configUpdate(body: ConfigInput, stored: Json | null): { config: Json; answer: Json } {
  const config: Json = { ...(stored ?? {}) };
  const answer: Json = {};
  const raw = body.compatibility ?? body.compatibilityLevel;
  if (raw !== undefined && raw !== null) {
    const level = (raw as string).toUpperCase();
    config.compatibilityLevel = level;
    answer.compatibility = level;
  }
  for (const field of CONFIG_FIELDS) {
    const value = body[field];
    if (value === undefined) continue;
    // null (and an empty alias) removes the field.
    if (value === null || (field === "alias" && value === "")) delete config[field];
    else config[field] = value;
    answer[field] = value;
  }
  // An empty update changes nothing and answers the level in force, as Confluent does.
  if (Object.keys(answer).length === 0) answer.compatibility = config.compatibilityLevel ?? DEFAULT_COMPATIBILITY;
  return { config, answer };
}

/** A subject's own config cannot change while the subject is read-only (42205). */
async function requireConfigWritable(c: Ctx, level: SettingsLevel): Promise<void> {
  if (level.subject === undefined) return;
  const mode = await modeIn(c.var.session, level);
  if (mode === "READONLY" || mode === "READONLY_OVERRIDE")
    fail(CONFLUENT_ERRORS.operationNotPermitted, `${level.label} is in read-only mode.`);
}

const defaultToGlobal = z.object({
  defaultToGlobal: flag("Walk on to the levels it falls back to (the context's, __GLOBAL) when this one has none."),
});

export const config = new ConfluentResource("Confluent: config");

// The level's own config (else the server's default); `?defaultToGlobal=true` walks on to __GLOBAL.
config.route(
  {
    method: "get",
    path: "/config",
    summary: "The level's compatibility config (BACKWARD unless set)",
    description: "The root's is the default context's; under /contexts/{context}, that context's.",
    access: { role: "read", scope: NONE, action: "config.read" },
    query: defaultToGlobal,
    responses: { ...ok(configAnswer, "The config."), ...errors(invalidContext) },
  },
  async (c, { params, query }) => {
    const level = urlLevelOf(params);
    return reply(
      c,
      presentConfig(
        query.defaultToGlobal
          ? await effectiveConfig(c.var.session, level)
          : ((await settingsOf(c.var.session, level.key)).config ?? {}),
      ),
    );
  },
);

// The global (or context-wide) level changes every subject: only an (unscoped) admin may.
config.route(
  {
    method: "put",
    path: "/config",
    summary: "Set the level's compatibility and other config fields (merged into what is stored)",
    access: { role: "admin", scope: TENANT, action: "config.update" },
    body: configBody,
    responses: { ...ok(configUpdateAnswer, "The fields set."), ...errors(invalidCompatibilityLevel, invalidSchema) },
  },
  async (c, { params, body }) => {
    const level = urlLevelOf(params);
    const { config, answer } = configUpdate(body, (await settingsOf(c.var.session, level.key)).config);
    await setConfig(c.var.session, level.key, config);
    return reply(c, answer);
  },
);

config.route(
  {
    method: "delete",
    path: "/config",
    summary: "Remove the level's config (the one it falls back to applies again)",
    access: { role: "admin", scope: TENANT, action: "config.delete" },
    responses: { ...ok(configAnswer, "The config removed."), ...errors(invalidContext) },
  },
  async (c, { params }) => {
    const level = urlLevelOf(params);
    const own = (await settingsOf(c.var.session, level.key)).config;
    await setConfig(c.var.session, level.key, null);
    return reply(c, presentConfig(own ?? {}));
  },
);

config.route(
  {
    method: "get",
    path: "/config/{subject}",
    summary: "A subject's compatibility config (`:.ctx:` alone: that context's)",
    access: { role: "read", scope: SUBJECT, action: "subject.config.read" },
    params: settingsParams,
    query: defaultToGlobal,
    responses: {
      ...ok(configAnswer, "The config."),
      ...errors(CONFLUENT_ERRORS.subjectConfigNotFound, invalidSubject, invalidContext),
    },
  },
  async (c, { params, query }) => {
    const level = settingsLevelOf(params);
    const own = (await settingsOf(c.var.session, level.key)).config;
    if (own !== null && Object.keys(own).length > 0) return reply(c, presentConfig(own));
    if (query.defaultToGlobal) return reply(c, presentConfig(await effectiveConfig(c.var.session, level)));
    fail(CONFLUENT_ERRORS.subjectConfigNotFound, `${level.label} does not have subject-level compatibility configured`);
  },
);

config.route(
  {
    method: "put",
    path: "/config/{subject}",
    summary: "Set a subject's compatibility and other config fields",
    access: { role: "write", scope: SUBJECT, action: "subject.config.update" },
    params: settingsParams,
    body: configBody,
    responses: {
      ...ok(configUpdateAnswer, "The fields set."),
      ...errors(invalidCompatibilityLevel, invalidSchema, CONFLUENT_ERRORS.operationNotPermitted, invalidSubject),
    },
  },
  async (c, { params, body }) => {
    const level = settingsLevelOf(params);
    await requireConfigWritable(c, level);
    const { config, answer } = configUpdate(body, (await settingsOf(c.var.session, level.key)).config);
    await setConfig(c.var.session, level.key, config);
    return reply(c, answer);
  },
);

config.route(
  {
    method: "delete",
    path: "/config/{subject}",
    summary: "Remove a subject's config (the levels it falls back to apply again)",
    access: { role: "write", scope: SUBJECT, action: "subject.config.delete" },
    params: settingsParams,
    responses: {
      ...ok(configAnswer, "The config removed."),
      ...errors(
        CONFLUENT_ERRORS.subjectNotFound,
        CONFLUENT_ERRORS.subjectConfigNotFound,
        CONFLUENT_ERRORS.operationNotPermitted,
        invalidSubject,
      ),
    },
  },
  async (c, { params }) => {
    const level = settingsLevelOf(params);
    await requireConfigWritable(c, level);
    const own = (await settingsOf(c.var.session, level.key)).config;
    if (own === null && level.subject !== undefined && (await findSubject(c.var.session, level.subject)) === null)
      fail(CONFLUENT_ERRORS.subjectNotFound, `Subject '${level.subject.qualified}' not found.`);
    if (own === null)
      fail(
        CONFLUENT_ERRORS.subjectConfigNotFound,
        `${level.label} does not have subject-level compatibility configured`,
      );
    await setConfig(c.var.session, level.key, null);
    return reply(c, presentConfig(own));
  },
);

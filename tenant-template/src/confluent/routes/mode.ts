/**
 * `/mode` and `/mode/{subject}`: READWRITE, READONLY, READONLY_OVERRIDE or IMPORT, at the root,
 * a context's level and a subject's (the chain is subject-settings.ts).
 */
import { z } from "@hono/zod-openapi";
import { NONE, SUBJECT, TENANT } from "../../auth/access-rule.ts";
import { modeAnswer } from "../confluent-answers.ts";
import { CONFLUENT_ERRORS } from "../confluent-error.ts";
import { flag, modeBody, settingsLevelOf, settingsParams, urlLevelOf } from "../confluent-input.ts";
import { ConfluentResource, errors, fail, ok, reply, type Ctx } from "../confluent-route.ts";
import { contextKey, findSubject, listSubjects, setMode } from "../confluent-store.ts";
import { DEFAULT_MODE, GLOBAL_KEY, modeIn, settingsOf, type SettingsLevel } from "../subject-settings.ts";

const { invalidMode, invalidContext, invalidSubject, operationNotPermitted } = CONFLUENT_ERRORS;

/** IMPORT over existing subjects needs `?force=true` (their ids could collide with the imported ones). */
async function checkImportSwitch(c: Ctx, mode: string, force: boolean, level: SettingsLevel): Promise<void> {
  if (mode !== "IMPORT" || force || (await modeIn(c.var.session, level)) === "IMPORT") return;
  const subjects = await listSubjects(c.var.session);
  const key = level.key;
  const occupied = subjects.some(
    (summary) =>
      summary.live > 0 &&
      (key === GLOBAL_KEY || summary.subject.qualified === key || contextKey(summary.subject.context) === key),
  );
  if (occupied)
    fail(
      operationNotPermitted,
      "Cannot import since found existing subjects: set force=true to switch to IMPORT anyway.",
    );
}

/** The mode a PUT asks for: upper-cased, or the default when the body names none. */
function modeOf(body: z.output<typeof modeBody>): string {
  return body.mode === undefined ? DEFAULT_MODE : body.mode.toUpperCase();
}

const force = z.object({ force: flag("Switch to IMPORT although subjects exist.") });

export const mode = new ConfluentResource("Confluent: mode");

mode.route(
  {
    method: "get",
    path: "/mode",
    summary: "The level's mode in force (READWRITE unless set)",
    access: { role: "read", scope: NONE, action: "mode.read" },
    responses: { ...ok(modeAnswer, "The mode."), ...errors(invalidContext) },
  },
  async (c, { params }) => reply(c, { mode: await modeIn(c.var.session, urlLevelOf(params)) }),
);

mode.route(
  {
    method: "put",
    path: "/mode",
    summary: "Set the level's mode (IMPORT over existing subjects needs `?force=true`)",
    access: { role: "admin", scope: TENANT, action: "mode.update" },
    query: force,
    body: modeBody,
    responses: { ...ok(modeAnswer, "The mode set."), ...errors(invalidMode, operationNotPermitted) },
  },
  async (c, { params, query, body }) => {
    const level = urlLevelOf(params);
    const wanted = modeOf(body);
    await checkImportSwitch(c, wanted, query.force, level);
    await setMode(c.var.session, level.key, wanted);
    return reply(c, { mode: wanted });
  },
);

mode.route(
  {
    method: "delete",
    path: "/mode",
    summary: "Remove the level's mode (READWRITE, or what it falls back to, applies again)",
    access: { role: "admin", scope: TENANT, action: "mode.delete" },
    responses: { ...ok(modeAnswer, "The mode removed."), ...errors(invalidContext) },
  },
  async (c, { params }) => {
    const level = urlLevelOf(params);
    const current = (await settingsOf(c.var.session, level.key)).mode ?? DEFAULT_MODE;
    await setMode(c.var.session, level.key, null);
    return reply(c, { mode: current });
  },
);

mode.route(
  {
    method: "get",
    path: "/mode/{subject}",
    summary: "A subject's mode (`:.ctx:` alone: that context's)",
    access: { role: "read", scope: SUBJECT, action: "subject.mode.read" },
    params: settingsParams,
    query: z.object({ defaultToGlobal: flag("Answer the mode in force when the subject has none.") }),
    responses: { ...ok(modeAnswer, "The mode."), ...errors(CONFLUENT_ERRORS.subjectModeNotFound, invalidSubject) },
  },
  async (c, { params, query }) => {
    const level = settingsLevelOf(params);
    const own = (await settingsOf(c.var.session, level.key)).mode;
    if (own !== null) return reply(c, { mode: own });
    if (query.defaultToGlobal) return reply(c, { mode: await modeIn(c.var.session, level) });
    fail(CONFLUENT_ERRORS.subjectModeNotFound, `${level.label} does not have subject-level mode configured`);
  },
);

mode.route(
  {
    method: "put",
    path: "/mode/{subject}",
    summary: "Set a subject's mode",
    access: { role: "write", scope: SUBJECT, action: "subject.mode.update" },
    params: settingsParams,
    query: z.object({ force: flag("Switch to IMPORT although the subject has versions.") }),
    body: modeBody,
    responses: { ...ok(modeAnswer, "The mode set."), ...errors(invalidMode, operationNotPermitted, invalidSubject) },
  },
  async (c, { params, query, body }) => {
    const level = settingsLevelOf(params);
    const wanted = modeOf(body);
    await checkImportSwitch(c, wanted, query.force, level);
    await setMode(c.var.session, level.key, wanted);
    return reply(c, { mode: wanted });
  },
);

mode.route(
  {
    method: "delete",
    path: "/mode/{subject}",
    summary: "Remove a subject's mode",
    access: { role: "write", scope: SUBJECT, action: "subject.mode.delete" },
    params: settingsParams,
    responses: {
      ...ok(modeAnswer, "The mode removed."),
      ...errors(CONFLUENT_ERRORS.subjectNotFound, CONFLUENT_ERRORS.subjectModeNotFound, invalidSubject),
    },
  },
  async (c, { params }) => {
    const level = settingsLevelOf(params);
    const own = (await settingsOf(c.var.session, level.key)).mode;
    if (own === null && level.subject !== undefined && (await findSubject(c.var.session, level.subject)) === null)
      fail(CONFLUENT_ERRORS.subjectNotFound, `Subject '${level.subject.qualified}' not found.`);
    if (own === null)
      fail(CONFLUENT_ERRORS.subjectModeNotFound, `${level.label} does not have subject-level mode configured`);
    await setMode(c.var.session, level.key, null);
    return reply(c, { mode: own });
  },
);

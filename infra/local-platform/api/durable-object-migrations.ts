/**
 * Durable Object classes of an account Worker, as an upload's `migrations` make them and its
 * `durable_object_namespace` bindings name them. Cloudflare's rules, as far as this platform needs
 * them (docs/local-platform.md, "Durable Objects in uploads"):
 *
 * - a class exists once a migration created it (`new_sqlite_classes`); `deleted_classes` removes it;
 * - `new_classes` (key-value backed) is refused as Cloudflare refuses it on new accounts (10099);
 * - a binding to a class no migration created is refused (10061, Cloudflare's message);
 * - `old_tag`, when sent, must be the script's current tag; `new_tag` becomes it;
 * - renames and transfers are not supported locally (400 / 10021).
 */
import { createHash } from "node:crypto";
import type { z } from "zod";
import { badRequest } from "../cloudflare-envelope.ts";
import type { ScriptRecord, WorkerBinding } from "../platform-state.ts";
import type { MetadataSchema, MigrationStepSchema } from "./script-upload.ts";

type Migrations = NonNullable<z.output<typeof MetadataSchema>["migrations"]>;
type Step = z.output<typeof MigrationStepSchema>;

/** The classes and tag after the upload's migrations, and its bindings with their namespace ids. */
export interface MigratedClasses {
  migrationTag?: string;
  durableObjectClasses: string[];
  bindings: WorkerBinding[];
}

/**
 * Applies `migrations` to what the previous version had and checks every Durable Object binding
 * against the result.
 *
 * @example
 *   const migrations = { new_tag: "v1", new_sqlite_classes: ["Counter"] };
 *   applyDurableObjectMigrations("wfp-dispatcher", migrations, undefined, bindings)
 */
export function applyDurableObjectMigrations(
  scriptName: string,
  migrations: Migrations | undefined,
  previous: ScriptRecord | undefined,
  bindings: WorkerBinding[],
): MigratedClasses {
  const classes = new Set(previous?.durableObjectClasses ?? []);
  let migrationTag = previous?.migrationTag;
  if (migrations !== undefined) {
    if (migrations.old_tag !== undefined && migrations.old_tag !== migrationTag) {
      throw badRequest(
        10021,
        `Migration tag precondition failed: the script's current migration tag is '${migrationTag ?? ""}', ` +
          `the upload's old_tag is '${migrations.old_tag}'`,
      );
    }
    const steps: Step[] = "steps" in migrations ? migrations.steps : [migrations as Step];
    for (const step of steps) applyStep(step, classes);
    if (migrations.new_tag !== undefined) migrationTag = migrations.new_tag;
  }
  const resolved = bindings.map((binding) => {
    if (binding.type !== "durable_object_namespace") return binding;
    if (!classes.has(binding.class_name)) {
      throw badRequest(
        10061,
        `Cannot create binding for class '${binding.class_name}' because it is not currently configured to ` +
          "implement Durable Objects. Ensure a --new-class migration has been applied to it.",
      );
    }
    return { ...binding, namespace_id: namespaceId(scriptName, binding.class_name) };
  });
  return {
    ...(migrationTag === undefined ? {} : { migrationTag }),
    durableObjectClasses: [...classes].sort(),
    bindings: resolved,
  };
}

function applyStep(step: Step, classes: Set<string>): void {
  if ((step.new_classes ?? []).length > 0) {
    throw badRequest(
      10099,
      "Creating new key-value backed Durable Object namespaces is no longer supported on this account. " +
        "Please create a namespace using a `new_sqlite_classes` migration instead.",
    );
  }
  if ((step.renamed_classes ?? []).length > 0 || (step.transferred_classes ?? []).length > 0) {
    throw badRequest(10021, "Renamed and transferred Durable Object classes are not supported by the local platform");
  }
  for (const name of step.new_sqlite_classes ?? []) {
    if (classes.has(name))
      throw badRequest(10021, `Cannot apply new-sqlite-class migration to class '${name}': it exists`);
    classes.add(name);
  }
  for (const name of step.deleted_classes ?? []) {
    if (!classes.delete(name)) throw badRequest(10021, `Cannot apply deleted-class migration to class '${name}': none`);
  }
}

/** A stable 32-hex id per script and class, standing for Cloudflare's namespace id. */
function namespaceId(scriptName: string, className: string): string {
  return createHash("sha256").update(`${scriptName}\u0000${className}`).digest("hex").slice(0, 32);
}

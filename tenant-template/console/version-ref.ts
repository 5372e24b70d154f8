/**
 * A schema version the console can show, from either API over the one store, and how to load it:
 * its text and format, the other versions it can be compared with, and (for a Confluent subject
 * version) what it references and what references it.
 */
import type { ApiClient } from "./api-client.ts";
import type { SchemaFormat } from "./schema-tokens.ts";

export type VersionRef =
  | { kind: "api"; schemaId: string; schemaName: string; versionId: string; semanticVersion: string }
  | { kind: "subject"; subject: string; version: number };

/** A subject version, as the graph draws it. */
export interface SubjectVersion {
  subject: string;
  version: number;
}

export interface LoadedVersion {
  title: string;
  format: SchemaFormat;
  text: string;
  /** The versions of the same schema or subject (this one included). */
  siblings: VersionRef[];
  /** Null for /api versions, whose references are not modelled. */
  references: SubjectVersion[] | null;
  referencedBy: SubjectVersion[] | null;
}

interface ApiVersion {
  id: string;
  semanticVersion: string;
  status: string;
  format: SchemaFormat;
  specification: string;
}
interface ConfluentVersion {
  subject: string;
  version: number;
  id: number;
  schemaType?: SchemaFormat;
  schema: string;
  references?: { name: string; subject: string; version: number }[];
}

const enc = encodeURIComponent;

/** The label of a ref in lists and selects. */
export function refLabel(ref: VersionRef): string {
  return ref.kind === "api" ? `${ref.schemaName} ${ref.semanticVersion}` : `${ref.subject} v${ref.version}`;
}

/** A stable key for a ref (lists, selects, equality). */
export function refKey(ref: VersionRef): string {
  return ref.kind === "api" ? `api:${ref.schemaId}:${ref.versionId}` : `subject:${ref.subject}:${ref.version}`;
}

/** Just the text and format of a version (the other side of a diff). */
export async function loadVersionText(
  api: ApiClient,
  ref: VersionRef,
): Promise<{ format: SchemaFormat; text: string }> {
  if (ref.kind === "api") {
    const version = await api.get<ApiVersion>(`/api/schemas/${enc(ref.schemaId)}/versions/${enc(ref.versionId)}`);
    return { format: version.format, text: version.specification };
  }
  const version = await api.get<ConfluentVersion>(`/subjects/${enc(ref.subject)}/versions/${ref.version}`);
  return { format: version.schemaType ?? "AVRO", text: version.schema };
}

/**
 * Everything the version view shows.
 *
 * @example
 *   await loadVersion(api, { kind: "subject", subject: "orders-value", version: 2 })
 */
export async function loadVersion(api: ApiClient, ref: VersionRef): Promise<LoadedVersion> {
  if (ref.kind === "api") {
    const base = `/api/schemas/${enc(ref.schemaId)}/versions`;
    const [version, list] = await Promise.all([
      api.get<ApiVersion>(`${base}/${enc(ref.versionId)}`),
      api.get<{ items: ApiVersion[] }>(`${base}?limit=500`),
    ]);
    return {
      title: `${refLabel(ref)} (${version.status}, ${version.format})`,
      format: version.format,
      text: version.specification,
      siblings: list.items.map((each) => ({
        kind: "api",
        schemaId: ref.schemaId,
        schemaName: ref.schemaName,
        versionId: each.id,
        semanticVersion: each.semanticVersion,
      })),
      references: null,
      referencedBy: null,
    };
  }
  const path = `/subjects/${enc(ref.subject)}/versions`;
  const [version, numbers, referencingIds] = await Promise.all([
    api.get<ConfluentVersion>(`${path}/${ref.version}`),
    api.get<number[]>(path),
    api.get<number[]>(`${path}/${ref.version}/referencedby`),
  ]);
  // An id may be used by several subjects: each of its subject versions references this one.
  const referencedBy = (
    await Promise.all(referencingIds.map((id) => api.get<SubjectVersion[]>(`/schemas/ids/${id}/versions`)))
  ).flat();
  return {
    title: `${ref.subject} version ${ref.version} (id ${version.id}, ${version.schemaType ?? "AVRO"})`,
    format: version.schemaType ?? "AVRO",
    text: version.schema,
    siblings: numbers.map((n) => ({ kind: "subject", subject: ref.subject, version: n })),
    references: (version.references ?? []).map(({ subject, version }) => ({ subject, version })),
    referencedBy,
  };
}

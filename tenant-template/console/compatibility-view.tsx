/**
 * Paste a schema, pick a subject, see the compatibility verdict with the registry's verbose reasons
 * (`POST /compatibility/subjects/{s}/versions/latest?verbose=true`), then register it
 * (`POST /subjects/{s}/versions`): the register button exists only for a write key.
 */
import { useState } from "preact/hooks";
import { ApiCallError, type ApiClient, roleAllows } from "./api-client.ts";
import type { SchemaFormat } from "./schema-tokens.ts";
import { messageOf, useLoad } from "./use-load.ts";

type Verdict =
  | { kind: "compatible"; messages: string[] }
  | { kind: "incompatible"; messages: string[] }
  | { kind: "new-subject" }
  | { kind: "error"; message: string };

/** Confluent's "subject not found": nothing to be compatible with yet. */
const SUBJECT_NOT_FOUND = 40401;
const enc = encodeURIComponent;

/**
 * @example
 *   <CompatibilityView api={api} />
 */
export function CompatibilityView(props: { api: ApiClient }) {
  const { api } = props;
  const subjects = useLoad(() => api.get<string[]>("/subjects?subjectPrefix=:*:"), [api]);
  const [subject, setSubject] = useState("");
  const [format, setFormat] = useState<SchemaFormat>("AVRO");
  const [schema, setSchema] = useState("");
  const [verdict, setVerdict] = useState<Verdict | null>(null);
  const [registered, setRegistered] = useState<string | null>(null);
  const canRegister = roleAllows(api.whoami.role, "write");
  const body = () => ({ schema, ...(format === "AVRO" ? {} : { schemaType: format }) });

  const check = async (event: Event) => {
    event.preventDefault();
    setRegistered(null);
    setVerdict(null);
    try {
      const answer = await api.send<{ is_compatible: boolean; messages?: string[] }>(
        "POST",
        `/compatibility/subjects/${enc(subject)}/versions/latest?verbose=true`,
        body(),
      );
      setVerdict({ kind: answer.is_compatible ? "compatible" : "incompatible", messages: answer.messages ?? [] });
    } catch (error) {
      if (error instanceof ApiCallError && error.errorCode === SUBJECT_NOT_FOUND) setVerdict({ kind: "new-subject" });
      else setVerdict({ kind: "error", message: messageOf(error) });
    }
  };

  const register = async () => {
    try {
      const answer = await api.send<{ id: number }>("POST", `/subjects/${enc(subject)}/versions`, body());
      setRegistered(`Registered in ${subject} with schema id ${answer.id}.`);
    } catch (error) {
      setRegistered(`Not registered: ${messageOf(error)}`);
    }
  };

  return (
    <section aria-labelledby="compat-title">
      <h2 id="compat-title">Check compatibility{canRegister ? " and register" : ""}</h2>
      <form onSubmit={check} class="stack">
        <label for="compat-subject">Subject</label>
        <input
          id="compat-subject"
          list="compat-subjects"
          required
          value={subject}
          onInput={(e) => setSubject(e.currentTarget.value)}
          autocomplete="off"
        />
        <datalist id="compat-subjects">
          {subjects.state === "ready" && subjects.value.map((name) => <option key={name} value={name} />)}
        </datalist>
        <label for="compat-format">Schema type</label>
        <select id="compat-format" value={format} onChange={(e) => setFormat(e.currentTarget.value as SchemaFormat)}>
          <option value="AVRO">Avro</option>
          <option value="JSON">JSON Schema</option>
          <option value="PROTOBUF">Protobuf</option>
        </select>
        <label for="compat-schema">Schema</label>
        <textarea
          id="compat-schema"
          required
          rows={12}
          spellcheck={false}
          value={schema}
          onInput={(e) => setSchema(e.currentTarget.value)}
        />
        <div>
          <button type="submit">Check compatibility</button>
        </div>
      </form>
      <div role="status" class="verdict">
        {verdict?.kind === "compatible" && <p class="ok">Compatible with the latest version of {subject}.</p>}
        {verdict?.kind === "incompatible" && <p class="bad">Not compatible with the latest version of {subject}.</p>}
        {verdict?.kind === "new-subject" && <p class="ok">{subject} has no versions yet: this would be its first.</p>}
        {verdict?.kind === "error" && <p class="bad">{verdict.message}</p>}
        {(verdict?.kind === "compatible" || verdict?.kind === "incompatible") && verdict.messages.length > 0 && (
          <ul class="reasons">
            {verdict.messages.map((message) => (
              <li key={message}>{message}</li>
            ))}
          </ul>
        )}
      </div>
      {canRegister && (verdict?.kind === "compatible" || verdict?.kind === "new-subject") && (
        <button type="button" onClick={register}>
          Register in {subject}
        </button>
      )}
      {registered !== null && <p role="status">{registered}</p>}
    </section>
  );
}

/**
 * Compatibility level and mode at each level Confluent has: global (`:.__GLOBAL:`), a context (the
 * default context's is the root `/config`, another's `:.ctx:`) and a subject. Shown as in force
 * (`defaultToGlobal=true`); changing a subject's needs a write key, a context's or the global one
 * an admin key, and the form is offered only to such a key.
 */
import { useState } from "preact/hooks";
import { type ApiClient, roleAllows } from "./api-client.ts";
import { messageOf, useLoad } from "./use-load.ts";

export const COMPATIBILITY_LEVELS = [
  "BACKWARD",
  "BACKWARD_TRANSITIVE",
  "FORWARD",
  "FORWARD_TRANSITIVE",
  "FULL",
  "FULL_TRANSITIVE",
  "NONE",
] as const;
export const MODES = ["READWRITE", "READONLY", "READONLY_OVERRIDE", "IMPORT"] as const;

type Scope = "global" | "context" | "subject";
const enc = encodeURIComponent;

/** The path suffix of a level, after `/config` or `/mode`. */
function levelPath(scope: Scope, name: string): string {
  if (scope === "global") return `/${enc(":.__GLOBAL:")}`;
  if (scope === "context") return name === "." ? "" : `/${enc(`:${name}:`)}`;
  return `/${enc(name)}`;
}

/**
 * @example
 *   <SettingsView api={api} />
 */
export function SettingsView(props: { api: ApiClient }) {
  const { api } = props;
  const scoped = api.whoami.subjectPrefix !== null;
  const [scope, setScope] = useState<Scope>(scoped ? "subject" : "global");
  const [name, setName] = useState(scoped ? api.whoami.subjectPrefix! : ".");
  const [generation, setGeneration] = useState(0);
  const [saved, setSaved] = useState<string | null>(null);
  const contexts = useLoad(() => (scoped ? Promise.resolve(["."]) : api.get<string[]>("/contexts")), [api]);
  const path = levelPath(scope, name);
  const current = useLoad(async () => {
    if (scope === "subject" && name.trim() === "") return null;
    const [config, mode] = await Promise.all([
      api.get<{ compatibilityLevel?: string }>(`/config${path}?defaultToGlobal=true`),
      api.get<{ mode?: string }>(`/mode${path}?defaultToGlobal=true`),
    ]);
    return { level: config.compatibilityLevel ?? "BACKWARD", mode: mode.mode ?? "READWRITE" };
  }, [api, path, generation]);
  const canChange = roleAllows(api.whoami.role, scope === "subject" ? "write" : "admin");
  const [level, setLevel] = useState("");
  const [mode, setMode] = useState("");

  const save = async (event: Event) => {
    event.preventDefault();
    setSaved(null);
    try {
      if (level !== "") await api.send("PUT", `/config${path}`, { compatibility: level });
      if (mode !== "") await api.send("PUT", `/mode${path}`, { mode });
      setSaved("Saved.");
      setLevel("");
      setMode("");
      setGeneration((n) => n + 1);
    } catch (error) {
      setSaved(`Not saved: ${messageOf(error)}`);
    }
  };

  return (
    <section aria-labelledby="settings-title">
      <h2 id="settings-title">Compatibility and mode</h2>
      <fieldset>
        <legend>Level</legend>
        {(scoped ? (["subject"] as const) : (["global", "context", "subject"] as const)).map((each) => (
          <label key={each} class="inline">
            <input
              type="radio"
              name="settings-scope"
              value={each}
              checked={scope === each}
              onChange={() => {
                setScope(each);
                setName(each === "context" ? "." : each === "subject" ? (api.whoami.subjectPrefix ?? "") : "");
                setSaved(null);
              }}
            />{" "}
            {each === "global" ? "Global" : each === "context" ? "Context" : "Subject"}
          </label>
        ))}
      </fieldset>
      {scope === "context" && (
        <>
          <label for="settings-context">Context</label>{" "}
          <select id="settings-context" value={name} onChange={(e) => setName(e.currentTarget.value)}>
            {(contexts.state === "ready" ? contexts.value : ["."]).map((each) => (
              <option key={each} value={each}>
                {each === "." ? ". (default)" : each}
              </option>
            ))}
          </select>
        </>
      )}
      {scope === "subject" && (
        <>
          <label for="settings-subject">Subject</label>{" "}
          <input id="settings-subject" value={name} onChange={(e) => setName(e.currentTarget.value)} />
        </>
      )}
      <div role="status" class="settings-current">
        {current.state === "ready" && current.value !== null && (
          <p>
            In force: compatibility <strong>{current.value.level}</strong>, mode <strong>{current.value.mode}</strong>.
          </p>
        )}
        {current.state === "error" && <p class="bad">{current.message}</p>}
      </div>
      {canChange && current.state === "ready" && current.value !== null && (
        <form onSubmit={save} class="stack">
          <label for="settings-level">New compatibility level</label>
          <select id="settings-level" value={level} onChange={(e) => setLevel(e.currentTarget.value)}>
            <option value="">(unchanged)</option>
            {COMPATIBILITY_LEVELS.map((each) => (
              <option key={each}>{each}</option>
            ))}
          </select>
          <label for="settings-mode">New mode</label>
          <select id="settings-mode" value={mode} onChange={(e) => setMode(e.currentTarget.value)}>
            <option value="">(unchanged)</option>
            {MODES.map((each) => (
              <option key={each}>{each}</option>
            ))}
          </select>
          <div>
            <button type="submit">Save settings</button>
          </div>
        </form>
      )}
      {saved !== null && <p role="status">{saved}</p>}
    </section>
  );
}

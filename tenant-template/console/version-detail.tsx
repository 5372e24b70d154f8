/**
 * One schema version: its text highlighted, a side-by-side diff with any other version of the same
 * schema or subject, and (Confluent subject versions) the graph of its references.
 */
import { useState } from "preact/hooks";
import type { ApiClient } from "./api-client.ts";
import { HighlightedSchema } from "./highlighted-schema.tsx";
import { ReferenceGraph } from "./reference-graph.tsx";
import { useLoad } from "./use-load.ts";
import { VersionDiff } from "./version-diff.tsx";
import { loadVersion, loadVersionText, refKey, refLabel, type VersionRef } from "./version-ref.ts";

/**
 * @example
 *   <VersionDetail api={api} version={{ kind: "subject", subject: "orders-value", version: 1 }} onOpen={setVersion} />
 */
export function VersionDetail(props: { api: ApiClient; version: VersionRef; onOpen: (ref: VersionRef) => void }) {
  const { api, version } = props;
  const loaded = useLoad(() => loadVersion(api, version), [api, refKey(version)]);
  const [compareKey, setCompareKey] = useState("");
  const other =
    loaded.state === "ready" ? loaded.value.siblings.find((each) => refKey(each) === compareKey) : undefined;
  const otherText = useLoad(
    () => (other === undefined ? Promise.resolve(null) : loadVersionText(api, other)),
    [api, other === undefined ? "" : refKey(other)],
  );

  if (loaded.state === "loading") return <p role="status">Loading {refLabel(version)}…</p>;
  if (loaded.state === "error") return <p role="alert">{loaded.message}</p>;
  const current = loaded.value;
  const others = current.siblings.filter((each) => refKey(each) !== refKey(version));
  return (
    <article class="version" aria-labelledby="version-title">
      <h2 id="version-title">{current.title}</h2>
      <HighlightedSchema text={current.text} format={current.format} label={`Schema of ${refLabel(version)}`} />
      <h3>Compare</h3>
      {others.length === 0 ? (
        <p>No other version to compare with.</p>
      ) : (
        <>
          <label for="compare-with">Compare {refLabel(version)} with</label>{" "}
          <select id="compare-with" value={compareKey} onChange={(e) => setCompareKey(e.currentTarget.value)}>
            <option value="">(choose a version)</option>
            {others.map((each) => (
              <option key={refKey(each)} value={refKey(each)}>
                {refLabel(each)}
              </option>
            ))}
          </select>
        </>
      )}
      {other !== undefined && otherText.state === "ready" && otherText.value !== null && (
        <VersionDiff
          before={{ label: refLabel(other), ...otherText.value }}
          after={{ label: refLabel(version), format: current.format, text: current.text }}
        />
      )}
      {otherText.state === "error" && <p role="alert">{otherText.message}</p>}
      {version.kind === "subject" && current.references !== null && current.referencedBy !== null && (
        <>
          <h3>References</h3>
          <ReferenceGraph
            self={{ subject: version.subject, version: version.version }}
            references={current.references}
            referencedBy={current.referencedBy}
            onOpen={(node) => props.onOpen({ kind: "subject", ...node })}
          />
        </>
      )}
    </article>
  );
}

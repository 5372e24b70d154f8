/**
 * The audit log (admin, `GET /api/audit`): newest first, filtered by actor, action, target and
 * outcome, a page at a time (the API's cursor; "Newer" goes back through the cursors already seen).
 */
import { useState } from "preact/hooks";
import type { ApiClient } from "./api-client.ts";
import { CursorPager, type Cursors } from "./cursor-pager.tsx";
import { useLoad } from "./use-load.ts";

interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  outcome: "ok" | "denied" | "error";
  status: number;
}

const PAGE_SIZE = 20;
type Filters = { actor: string; action: string; target: string; outcome: string };
const NO_FILTERS: Filters = { actor: "", action: "", target: "", outcome: "" };

/**
 * @example
 *   <AuditView api={api} />
 */
export function AuditView(props: { api: ApiClient }) {
  const { api } = props;
  const [draft, setDraft] = useState<Filters>(NO_FILTERS);
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  // The cursors of the pages before this one; the last is this page's.
  const [cursors, setCursors] = useState<Cursors>([null]);
  const cursor = cursors[cursors.length - 1] ?? null;
  const page = useLoad(() => {
    const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
    for (const [name, value] of Object.entries(filters)) if (value !== "") query.set(name, value);
    if (cursor !== null) query.set("cursor", cursor);
    return api.get<{ items: AuditEntry[]; nextCursor: string | null }>(`/api/audit?${query}`);
  }, [api, JSON.stringify(filters), cursor]);

  const field = (name: keyof Filters, label: string) => (
    <>
      <label for={`audit-${name}`}>{label}</label>
      <input
        id={`audit-${name}`}
        value={draft[name]}
        onInput={(e) => setDraft({ ...draft, [name]: e.currentTarget.value })}
      />
    </>
  );

  return (
    <section aria-labelledby="audit-title">
      <h2 id="audit-title">Audit log</h2>
      <form
        class="row"
        onSubmit={(event) => {
          event.preventDefault();
          setFilters(draft);
          setCursors([null]);
        }}
      >
        {field("actor", "Actor (key id)")}
        {field("action", "Action")}
        {field("target", "Target starts with")}
        <label for="audit-outcome">Outcome</label>
        <select
          id="audit-outcome"
          value={draft.outcome}
          onChange={(e) => setDraft({ ...draft, outcome: e.currentTarget.value })}
        >
          <option value="">any</option>
          <option value="ok">ok</option>
          <option value="denied">denied</option>
          <option value="error">error</option>
        </select>
        <button type="submit">Filter</button>
      </form>
      {page.state === "error" && <p role="alert">{page.message}</p>}
      {page.state === "ready" && (
        <>
          <table class="list">
            <caption class="visually-hidden">Audit entries, newest first</caption>
            <thead>
              <tr>
                <th scope="col">At</th>
                <th scope="col">Actor</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">Outcome</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {page.value.items.map((entry) => (
                <tr key={entry.id}>
                  <td>{entry.at}</td>
                  <td>
                    <code>{entry.actor}</code>
                  </td>
                  <td>{entry.action}</td>
                  <td class="target">{entry.target}</td>
                  <td class={entry.outcome === "ok" ? "ok" : "bad"}>{entry.outcome}</td>
                  <td>{entry.status}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {page.value.items.length === 0 && <p>No entries.</p>}
          <CursorPager
            label="Audit pages"
            cursors={cursors}
            setCursors={setCursors}
            nextCursor={page.value.nextCursor}
          />
        </>
      )}
    </section>
  );
}

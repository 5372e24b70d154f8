/**
 * One webhook's delivery log (`GET /api/webhooks/{id}/deliveries`): newest first, filtered by
 * status, a page at a time (the API's cursor; "Newer" goes back through the cursors already seen,
 * as the audit log does). Loaded again when `generation` changes (a test delivery was just sent) or
 * on "Refresh", since pending deliveries move on their own.
 */
import { useState } from "preact/hooks";
import type { ApiClient } from "./api-client.ts";
import { CursorPager, type Cursors } from "./cursor-pager.tsx";
import { useLoad } from "./use-load.ts";
import type { DeliveryRecord as Delivery } from "../src/webhooks/webhook-records.ts";

const PAGE_SIZE = 20;
const STATUS_CLASS: Record<Delivery["status"], string> = { delivered: "ok", failed: "bad", pending: "" };

/**
 * @example
 *   <WebhookDeliveries api={api} webhook={{ id: "wh_...", url: "https://..." }} generation={0} />
 */
export function WebhookDeliveries(props: { api: ApiClient; webhook: { id: string; url: string }; generation: number }) {
  const { api, webhook } = props;
  const [draft, setDraft] = useState("");
  const [status, setStatus] = useState("");
  // The cursors of the pages before this one; the last is this page's.
  const [cursors, setCursors] = useState<Cursors>([null]);
  const [refreshed, setRefreshed] = useState(0);
  const cursor = cursors[cursors.length - 1] ?? null;
  const page = useLoad(() => {
    const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (status !== "") query.set("status", status);
    if (cursor !== null) query.set("cursor", cursor);
    return api.get<{ items: Delivery[]; nextCursor: string | null }>(
      `/api/webhooks/${encodeURIComponent(webhook.id)}/deliveries?${query}`,
    );
  }, [api, webhook.id, status, cursor, props.generation, refreshed]);

  return (
    <section aria-labelledby="deliveries-title" class="deliveries">
      <h3 id="deliveries-title">
        Deliveries of <code>{webhook.id}</code> ({webhook.url})
      </h3>
      <form
        class="row"
        onSubmit={(event) => {
          event.preventDefault();
          setStatus(draft);
          setCursors([null]);
        }}
      >
        <label for="deliveries-status">Status</label>
        <select id="deliveries-status" value={draft} onChange={(e) => setDraft(e.currentTarget.value)}>
          <option value="">any</option>
          <option value="pending">pending</option>
          <option value="delivered">delivered</option>
          <option value="failed">failed</option>
        </select>
        <button type="submit">Filter</button>
        <button type="button" onClick={() => setRefreshed((n) => n + 1)}>
          Refresh
        </button>
      </form>
      {page.state === "error" && <p role="alert">{page.message}</p>}
      {page.state === "ready" && (
        <>
          <table class="list">
            <caption class="visually-hidden">Deliveries, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Created</th>
                <th scope="col">Event type</th>
                <th scope="col">Status</th>
                <th scope="col">Attempts</th>
                <th scope="col">Last status</th>
                <th scope="col">Last error</th>
                <th scope="col">Next attempt</th>
              </tr>
            </thead>
            <tbody>
              {page.value.items.map((delivery) => (
                <tr key={delivery.id}>
                  <td>{delivery.createdAt}</td>
                  <td>
                    <code>{delivery.eventType}</code>
                  </td>
                  <td class={STATUS_CLASS[delivery.status]}>{delivery.status}</td>
                  <td>{delivery.attempts}</td>
                  <td>{delivery.lastStatus ?? ""}</td>
                  <td class="target">{delivery.lastError ?? ""}</td>
                  <td>{delivery.nextAttemptAt ?? ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {page.value.items.length === 0 && <p>No deliveries.</p>}
          <CursorPager
            label="Delivery pages"
            cursors={cursors}
            setCursors={setCursors}
            nextCursor={page.value.nextCursor}
          />
        </>
      )}
    </section>
  );
}

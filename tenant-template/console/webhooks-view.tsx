/**
 * Webhooks (admin, `/api/webhooks`, docs/webhooks.md): register one (its signing secret is shown
 * once, here, and never again), list them, rotate a secret (the new one shown once too), send a
 * test delivery, read a webhook's delivery log, delete one. Whether a URL may be delivered to is the API's decision: its refusal is shown as it
 * is, so the console has no second copy of the address rules to fall out of step.
 */
import { useRef, useState } from "preact/hooks";
import { WEBHOOK_EVENT_TYPES } from "../src/webhooks/webhook-events.ts";
import type { WebhookRecord } from "../src/webhooks/webhook-records.ts";
import type { ApiClient } from "./api-client.ts";
import { messageOf, useLoad } from "./use-load.ts";
import { WebhookDeliveries } from "./webhook-deliveries.tsx";

/** `POST /api/webhooks/{id}/test`'s answer. */
interface TestOutcome {
  eventId: string;
  delivered: boolean;
  status: number | null;
  error: string | null;
}

/**
 * @example
 *   <WebhooksView api={api} />
 */
export function WebhooksView(props: { api: ApiClient }) {
  const { api } = props;
  const [generation, setGeneration] = useState(0);
  const webhooks = useLoad(() => api.get<{ items: WebhookRecord[] }>("/api/webhooks"), [api, generation]);
  const [url, setUrl] = useState("");
  const [events, setEvents] = useState<string[]>([]);
  const [description, setDescription] = useState("");
  // A secret to copy now: of a webhook just registered, or just given a new one.
  const [created, setCreated] = useState<{ id: string; secret: string; previousUntil: string | null } | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [testing, setTesting] = useState<string | null>(null);
  const [tested, setTested] = useState<{ webhook: WebhookRecord; outcome: TestOutcome } | null>(null);
  const [shown, setShown] = useState<WebhookRecord | null>(null);
  // Bumped after a test delivery, so an open delivery log shows it.
  const [deliveriesGeneration, setDeliveriesGeneration] = useState(0);
  // Where focus goes when the row whose Delete button had it is gone.
  const title = useRef<HTMLHeadingElement>(null);

  const register = async (event: Event) => {
    event.preventDefault();
    setProblem(null);
    try {
      const answer = await api.send<WebhookRecord & { secret: string }>("POST", "/api/webhooks", {
        url: url.trim(),
        // None ticked: every event, which the API means by leaving `events` out (it refuses []).
        ...(events.length === 0 ? {} : { events }),
        ...(description === "" ? {} : { description }),
      });
      setCreated({ id: answer.id, secret: answer.secret, previousUntil: null });
      setUrl("");
      setEvents([]);
      setDescription("");
      setGeneration((n) => n + 1);
    } catch (error) {
      setProblem(messageOf(error));
    }
  };
  const sendTest = async (webhook: WebhookRecord) => {
    setProblem(null);
    setTested(null);
    setTesting(webhook.id);
    try {
      const outcome = await api.send<TestOutcome>("POST", `/api/webhooks/${encodeURIComponent(webhook.id)}/test`);
      setTested({ webhook, outcome });
      setDeliveriesGeneration((n) => n + 1);
    } catch (error) {
      setProblem(messageOf(error));
    } finally {
      setTesting(null);
    }
  };
  const rotate = async (webhook: WebhookRecord) => {
    const question =
      `Give webhook ${webhook.id} a new signing secret? For 24 hours deliveries are signed with the current one ` +
      "too, so its receiver can switch.";
    if (!window.confirm(question)) return;
    setProblem(null);
    try {
      const path = `/api/webhooks/${encodeURIComponent(webhook.id)}/rotate-secret`;
      const answer = await api.send<WebhookRecord & { secret: string }>("POST", path);
      setCreated({ id: answer.id, secret: answer.secret, previousUntil: answer.previousSecretExpiresAt });
      setGeneration((n) => n + 1);
    } catch (error) {
      setProblem(messageOf(error));
    }
  };
  const remove = async (webhook: WebhookRecord) => {
    if (!window.confirm(`Delete webhook ${webhook.id} (${webhook.url})? Its pending deliveries and its log go too.`))
      return;
    setProblem(null);
    try {
      await api.send("DELETE", `/api/webhooks/${encodeURIComponent(webhook.id)}`);
      if (shown?.id === webhook.id) setShown(null);
      if (tested?.webhook.id === webhook.id) setTested(null);
      setGeneration((n) => n + 1);
      title.current?.focus();
    } catch (error) {
      setProblem(messageOf(error));
    }
  };
  const toggle = (type: string, on: boolean) =>
    setEvents((now) => WEBHOOK_EVENT_TYPES.filter((each) => (each === type ? on : now.includes(each))));

  return (
    <section aria-labelledby="webhooks-title">
      <h2 id="webhooks-title" ref={title} tabIndex={-1}>
        Webhooks
      </h2>
      <form onSubmit={register} class="stack">
        <label for="webhook-url">URL</label>
        <input
          id="webhook-url"
          type="url"
          required
          aria-describedby="webhook-url-help"
          value={url}
          onInput={(e) => setUrl(e.currentTarget.value)}
        />
        <p id="webhook-url-help" class="help">
          Where deliveries are POSTed: https, on a public host (the registry refuses private addresses).
        </p>
        <fieldset class="event-types" aria-describedby="webhook-events-help">
          <legend>Events</legend>
          <p id="webhook-events-help" class="help">
            None ticked: every event, including types added later.
          </p>
          {WEBHOOK_EVENT_TYPES.map((type) => (
            <label key={type} class="inline">
              <input
                type="checkbox"
                checked={events.includes(type)}
                onChange={(e) => toggle(type, e.currentTarget.checked)}
              />{" "}
              <code>{type}</code>
            </label>
          ))}
        </fieldset>
        <label for="webhook-description">Description</label>
        <input
          id="webhook-description"
          maxLength={500}
          value={description}
          onInput={(e) => setDescription(e.currentTarget.value)}
        />
        <div>
          <button type="submit">Register webhook</button>
        </div>
      </form>
      {created !== null && (
        <div class="new-key" role="status">
          <p>
            Webhook <strong>{created.id}</strong> {created.previousUntil === null ? "registered" : "has a new secret"}.
            Copy its signing secret now: it is shown this once and cannot be read again.
            {created.previousUntil !== null && ` The previous secret also signs until ${created.previousUntil}.`}
          </p>
          <label for="new-webhook-secret">Signing secret</label>
          <input id="new-webhook-secret" readOnly value={created.secret} onFocus={(e) => e.currentTarget.select()} />
          <button type="button" onClick={() => setCreated(null)}>
            Done
          </button>
        </div>
      )}
      {problem !== null && <p role="alert">{problem}</p>}
      {tested !== null && (
        <p role="status" class={tested.outcome.delivered ? "ok" : "bad"}>
          Test delivery to {tested.webhook.url}:{" "}
          {tested.outcome.delivered ? "delivered" : "not delivered (it is retried like any delivery)"}
          {tested.outcome.status !== null && `, HTTP ${tested.outcome.status}`}
          {tested.outcome.error !== null && `, ${tested.outcome.error}`}.
        </p>
      )}
      {webhooks.state === "error" && <p role="alert">{webhooks.message}</p>}
      {webhooks.state === "ready" && (
        <>
          <table class="list">
            <caption class="visually-hidden">Webhooks</caption>
            <thead>
              <tr>
                <th scope="col">Id</th>
                <th scope="col">URL</th>
                <th scope="col">Events</th>
                <th scope="col">Description</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {webhooks.value.items.map((webhook) => (
                <tr key={webhook.id}>
                  <td>
                    <code>{webhook.id}</code>
                  </td>
                  <td class="target">{webhook.url}</td>
                  <td>{webhook.events === null ? "all events" : webhook.events.join(", ")}</td>
                  <td>{webhook.description}</td>
                  <td>
                    {webhook.createdAt}
                    {webhook.previousSecretExpiresAt !== null && (
                      <small class="help"> (previous secret signs until {webhook.previousSecretExpiresAt})</small>
                    )}
                  </td>
                  <td class="actions">
                    <button
                      type="button"
                      disabled={testing === webhook.id}
                      onClick={() => sendTest(webhook)}
                      aria-label={`Send test to webhook ${webhook.id}`}
                    >
                      Send test
                    </button>
                    <button
                      type="button"
                      onClick={() => rotate(webhook)}
                      aria-label={`Rotate secret of webhook ${webhook.id}`}
                    >
                      Rotate secret
                    </button>
                    <button
                      type="button"
                      aria-pressed={shown?.id === webhook.id}
                      onClick={() => setShown(shown?.id === webhook.id ? null : webhook)}
                      aria-label={`Deliveries of webhook ${webhook.id}`}
                    >
                      Deliveries
                    </button>
                    <button type="button" onClick={() => remove(webhook)} aria-label={`Delete webhook ${webhook.id}`}>
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {webhooks.value.items.length === 0 && <p>No webhooks.</p>}
        </>
      )}
      {shown !== null && (
        <WebhookDeliveries key={shown.id} api={api} webhook={shown} generation={deliveriesGeneration} />
      )}
    </section>
  );
}

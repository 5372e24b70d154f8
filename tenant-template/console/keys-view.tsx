/**
 * API keys (admin): create one (the key is shown once, here, and never again), list them, revoke
 * one. Uses `/api/keys`; the provisioner's `admin` key is not listed there and cannot be revoked here.
 */
import { useState } from "preact/hooks";
import { type ApiClient, ROLES, type Role } from "./api-client.ts";
import { messageOf, useLoad } from "./use-load.ts";

interface KeyRecord {
  id: string;
  role: Role;
  productId: string | null;
  subjectPrefix: string | null;
  description: string | null;
  createdAt: string;
  status: "active" | "expired" | "revoked";
}

/**
 * @example
 *   <KeysView api={api} />
 */
export function KeysView(props: { api: ApiClient }) {
  const { api } = props;
  const [generation, setGeneration] = useState(0);
  const keys = useLoad(() => api.get<{ items: KeyRecord[] }>("/api/keys?limit=100"), [api, generation]);
  const [role, setRole] = useState<Role>("read");
  const [description, setDescription] = useState("");
  const [subjectPrefix, setSubjectPrefix] = useState("");
  const [created, setCreated] = useState<{ id: string; key: string } | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  const create = async (event: Event) => {
    event.preventDefault();
    setProblem(null);
    try {
      const answer = await api.send<KeyRecord & { key: string }>("POST", "/api/keys", {
        role,
        ...(description === "" ? {} : { description }),
        ...(subjectPrefix === "" ? {} : { subjectPrefix }),
      });
      setCreated({ id: answer.id, key: answer.key });
      setDescription("");
      setSubjectPrefix("");
      setGeneration((n) => n + 1);
    } catch (error) {
      setProblem(messageOf(error));
    }
  };
  const revoke = async (id: string) => {
    if (!window.confirm(`Revoke key ${id}? Requests with it are refused from now on.`)) return;
    setProblem(null);
    try {
      await api.send("DELETE", `/api/keys/${encodeURIComponent(id)}`);
      setGeneration((n) => n + 1);
    } catch (error) {
      setProblem(messageOf(error));
    }
  };

  return (
    <section aria-labelledby="keys-title">
      <h2 id="keys-title">API keys</h2>
      <form onSubmit={create} class="row">
        <label for="key-role">Role</label>
        <select id="key-role" value={role} onChange={(e) => setRole(e.currentTarget.value as Role)}>
          {ROLES.map((each) => (
            <option key={each}>{each}</option>
          ))}
        </select>
        <label for="key-prefix">Subject prefix (optional)</label>
        <input id="key-prefix" value={subjectPrefix} onInput={(e) => setSubjectPrefix(e.currentTarget.value)} />
        <label for="key-description">Description</label>
        <input id="key-description" value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
        <button type="submit">Create key</button>
      </form>
      {created !== null && (
        <div class="new-key" role="status">
          <p>
            Key <strong>{created.id}</strong> created. Copy it now: it is shown this once and cannot be read again.
          </p>
          <label for="new-key-value">New key</label>
          <input id="new-key-value" readOnly value={created.key} onFocus={(e) => e.currentTarget.select()} />
          <button type="button" onClick={() => setCreated(null)}>
            Done
          </button>
        </div>
      )}
      {problem !== null && <p role="alert">{problem}</p>}
      {keys.state === "error" && <p role="alert">{keys.message}</p>}
      {keys.state === "ready" && (
        <table class="list">
          <caption class="visually-hidden">API keys</caption>
          <thead>
            <tr>
              <th scope="col">Id</th>
              <th scope="col">Role</th>
              <th scope="col">Scope</th>
              <th scope="col">Description</th>
              <th scope="col">Created</th>
              <th scope="col">Status</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {keys.value.items.map((key) => (
              <tr key={key.id}>
                <td>
                  <code>{key.id}</code>
                </td>
                <td>{key.role}</td>
                <td>
                  {[key.productId && `product ${key.productId}`, key.subjectPrefix && `subjects ${key.subjectPrefix}*`]
                    .filter(Boolean)
                    .join(", ") || "all"}
                </td>
                <td>{key.description ?? ""}</td>
                <td>{key.createdAt}</td>
                <td>{key.status}</td>
                <td>
                  {key.status === "active" && (
                    <button type="button" onClick={() => revoke(key.id)} aria-label={`Revoke key ${key.id}`}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

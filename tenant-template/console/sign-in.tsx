/**
 * Sign in with an API key. The key is kept for this tab only (sessionStorage, so a reload keeps
 * the session and closing the tab ends it): never in a URL, never in a cookie. A refused key gets
 * the API's own message.
 */
import { useState } from "preact/hooks";
import { type ApiClient, signIn } from "./api-client.ts";
import { messageOf } from "./use-load.ts";

/** Where the key is kept for the tab. */
export const KEY_STORAGE = "wfp-console-key";

/**
 * @example
 *   <SignIn base="" onSignedIn={setApi} />
 */
export function SignIn(props: { base: string; onSignedIn: (api: ApiClient) => void; notice?: string }) {
  const [key, setKey] = useState("");
  const [problem, setProblem] = useState<string | null>(props.notice ?? null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
      const api = await signIn(props.base, key.trim());
      sessionStorage.setItem(KEY_STORAGE, key.trim());
      props.onSignedIn(api);
    } catch (error) {
      setProblem(messageOf(error));
      setBusy(false);
    }
  };

  return (
    <main class="sign-in">
      <h1>Schema registry console</h1>
      <form onSubmit={submit} class="stack" autocomplete="off">
        <label for="api-key">API key</label>
        <input
          id="api-key"
          type="password"
          autocomplete="off"
          required
          value={key}
          onInput={(e) => setKey(e.currentTarget.value)}
          placeholder="wfp_<keyId>_<secret>"
          aria-describedby="api-key-help"
        />
        <p id="api-key-help" class="help">
          Kept in this tab only, sent as <code>Authorization: Bearer</code> to this registry.
        </p>
        <div>
          <button type="submit" disabled={busy}>
            Sign in
          </button>
        </div>
      </form>
      {problem !== null && (
        <p role="alert" class="bad">
          {problem}
        </p>
      )}
    </main>
  );
}

/**
 * The console: sign in, then one view at a time (browse, compatibility, settings, keys, webhooks,
 * audit). Views the key's role or scope does not allow are not offered: keys, webhooks and audit
 * need an admin key, the Confluent views a key that may use the Confluent API (not one scoped to
 * a product only).
 */
import { useEffect, useState } from "preact/hooks";
import { type ApiClient, apiBase, roleAllows, signIn } from "./api-client.ts";
import { AuditView } from "./audit-view.tsx";
import { CompatibilityView } from "./compatibility-view.tsx";
import { KeysView } from "./keys-view.tsx";
import { RegistryTree } from "./registry-tree.tsx";
import { SettingsView } from "./settings-view.tsx";
import { KEY_STORAGE, SignIn } from "./sign-in.tsx";
import { messageOf } from "./use-load.ts";
import { VersionDetail } from "./version-detail.tsx";
import type { VersionRef } from "./version-ref.ts";
import { WebhooksView } from "./webhooks-view.tsx";

type View = "browse" | "compatibility" | "settings" | "keys" | "webhooks" | "audit";
const VIEW_LABELS: Record<View, string> = {
  browse: "Browse",
  compatibility: "Compatibility",
  settings: "Settings",
  keys: "Keys",
  webhooks: "Webhooks",
  audit: "Audit log",
};

/** The views a key is offered. */
export function viewsFor(api: ApiClient): View[] {
  const { role, productId, subjectPrefix } = api.whoami;
  const confluent = subjectPrefix !== null || productId === null;
  return [
    "browse",
    ...(confluent ? (["compatibility", "settings"] as const) : []),
    ...(roleAllows(role, "admin") ? (["keys", "webhooks", "audit"] as const) : []),
  ];
}

export function ConsoleApp() {
  const base = apiBase(location.pathname);
  const [api, setApi] = useState<ApiClient | null>(null);
  // A key kept from earlier in this tab: signed in again on load, or dropped if it is refused now.
  const [resuming, setResuming] = useState(() => sessionStorage.getItem(KEY_STORAGE) !== null);
  const [notice, setNotice] = useState<string | undefined>(undefined);
  useEffect(() => {
    const kept = sessionStorage.getItem(KEY_STORAGE);
    if (kept === null) return;
    signIn(base, kept).then(setApi, (error: unknown) => {
      sessionStorage.removeItem(KEY_STORAGE);
      setNotice(messageOf(error));
      setResuming(false);
    });
  }, [base]);

  if (api === null) {
    return resuming ? <p role="status">Signing in…</p> : <SignIn base={base} onSignedIn={setApi} notice={notice} />;
  }
  const signOut = () => {
    sessionStorage.removeItem(KEY_STORAGE);
    setResuming(false);
    setNotice(undefined);
    setApi(null);
  };
  return <SignedIn api={api} onSignOut={signOut} />;
}

function SignedIn(props: { api: ApiClient; onSignOut: () => void }) {
  const { api } = props;
  const views = viewsFor(api);
  const [view, setView] = useState<View>("browse");
  const [version, setVersion] = useState<VersionRef | null>(null);
  const scope = [
    api.whoami.productId && `product ${api.whoami.productId}`,
    api.whoami.subjectPrefix && `subjects ${api.whoami.subjectPrefix}*`,
  ].filter(Boolean);
  return (
    <>
      <header class="top">
        <h1>Schema registry</h1>
        <p class="who">
          Key <code>{api.whoami.keyId}</code>, role <strong>{api.whoami.role}</strong>
          {scope.length > 0 && <>, scoped to {scope.join(" and ")}</>}
        </p>
        <button type="button" onClick={props.onSignOut}>
          Sign out
        </button>
      </header>
      <nav aria-label="Views" class="views">
        <ul>
          {views.map((each) => (
            <li key={each}>
              <button type="button" aria-current={view === each ? "page" : undefined} onClick={() => setView(each)}>
                {VIEW_LABELS[each]}
              </button>
            </li>
          ))}
        </ul>
      </nav>
      <main class={`view view-${view}`}>
        {view === "browse" && (
          <div class="browse">
            <RegistryTree api={api} selected={version} onSelect={setVersion} />
            <div class="detail">
              {version === null ? (
                <p>Choose a version in the tree to see it.</p>
              ) : (
                <VersionDetail api={api} version={version} onOpen={setVersion} />
              )}
            </div>
          </div>
        )}
        {view === "compatibility" && <CompatibilityView api={api} />}
        {view === "settings" && <SettingsView api={api} />}
        {view === "keys" && <KeysView api={api} />}
        {view === "webhooks" && <WebhooksView api={api} />}
        {view === "audit" && <AuditView api={api} />}
      </main>
    </>
  );
}

/**
 * One tree over the one store: products > domains > contexts > schemas > versions (the /api
 * hierarchy) and contexts > subjects > versions (the Confluent API), loaded a level at a time as
 * nodes open. Only the parts the key may read are shown: a product-scoped key sees its product and
 * no Confluent subjects, a prefix-scoped key its subjects and no /api hierarchy.
 *
 * Search by name loads every level above versions and keeps the nodes whose name matches, with
 * their ancestors. Keyboard: Tab reaches the tree; Up/Down move between nodes, Right opens, Left
 * closes (or goes to the parent), Home/End jump; Enter or Space opens a node or shows a version.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import type { ApiClient } from "./api-client.ts";
import { messageOf } from "./use-load.ts";
import { refKey, type VersionRef } from "./version-ref.ts";

export interface TreeNode {
  key: string;
  label: string;
  /** Shown after the label, smaller (a status, a count). */
  note?: string;
  /** Loads the children; absent for a version (a leaf). */
  children?: () => Promise<TreeNode[]>;
  /** Opened and searched when a search is typed (every level above versions). */
  searched: boolean;
  /** What selecting a leaf shows. */
  version?: VersionRef;
}

type Children = TreeNode[] | { error: string } | "loading";

const enc = encodeURIComponent;
const LIMIT = "limit=500";

interface Named {
  id: string;
  name: string;
}

function apiRoots(api: ApiClient): TreeNode[] {
  const product = (p: Named): TreeNode => ({
    key: `product:${p.id}`,
    label: p.name,
    note: "product",
    searched: true,
    children: async () =>
      (await api.get<{ items: Named[] }>(`/api/products/${enc(p.id)}/domains?${LIMIT}`)).items.map(domain),
  });
  const domain = (d: Named): TreeNode => ({
    key: `domain:${d.id}`,
    label: d.name,
    note: "domain",
    searched: true,
    children: async () =>
      (await api.get<{ items: Named[] }>(`/api/domains/${enc(d.id)}/contexts?${LIMIT}`)).items.map(context),
  });
  const context = (c: Named): TreeNode => ({
    key: `context:${c.id}`,
    label: c.name,
    note: "context",
    searched: true,
    children: async () =>
      (
        await api.get<{ items: (Named & { format?: string })[] }>(`/api/contexts/${enc(c.id)}/schemas?${LIMIT}`)
      ).items.map(schema),
  });
  const schema = (s: Named): TreeNode => ({
    key: `schema:${s.id}`,
    label: s.name,
    note: "schema",
    searched: true,
    children: async () => {
      const page = await api.get<{ items: { id: string; semanticVersion: string; status: string }[] }>(
        `/api/schemas/${enc(s.id)}/versions?${LIMIT}`,
      );
      return page.items.map((v) => {
        const version: VersionRef = {
          kind: "api",
          schemaId: s.id,
          schemaName: s.name,
          versionId: v.id,
          semanticVersion: v.semanticVersion,
        };
        return { key: refKey(version), label: v.semanticVersion, note: v.status, searched: false, version };
      });
    },
  });
  const { productId } = api.whoami;
  return [
    {
      key: "api",
      label: "Products",
      note: "/api",
      searched: true,
      children: async () =>
        productId === null
          ? (await api.get<{ items: Named[] }>(`/api/products?${LIMIT}`)).items.map(product)
          : [product(await api.get<Named>(`/api/products/${enc(productId)}`))],
    },
  ];
}

function confluentRoots(api: ApiClient): TreeNode[] {
  const subject = (qualified: string, label: string): TreeNode => ({
    key: `subject:${qualified}`,
    label,
    note: "subject",
    searched: true,
    children: async () =>
      (await api.get<number[]>(`/subjects/${enc(qualified)}/versions`)).map((n) => {
        const version: VersionRef = { kind: "subject", subject: qualified, version: n };
        return { key: refKey(version), label: `version ${n}`, searched: false, version };
      }),
  });
  const subjectsOf = async (prefix: string | null) =>
    (await api.get<string[]>(prefix === null ? "/subjects" : `/subjects?subjectPrefix=${enc(prefix)}`)).map((name) =>
      subject(name, name.replace(/^:\.[^:]*:/, "")),
    );
  // A prefix-scoped key may not list contexts: it gets the subjects it may see, in one list.
  const scoped = api.whoami.subjectPrefix !== null;
  return [
    {
      key: "confluent",
      label: scoped ? "Subjects" : "Contexts",
      note: "Confluent API",
      searched: true,
      children: async () =>
        scoped
          ? subjectsOf(":*:")
          : (await api.get<string[]>("/contexts")).map((name) => ({
              key: `confluent-context:${name}`,
              label: name === "." ? ". (default)" : name,
              note: "context",
              searched: true,
              children: () => subjectsOf(name === "." ? null : `:${name}:`),
            })),
    },
  ];
}

/** The roots a key may read (see the module comment). */
export function treeRoots(api: ApiClient): TreeNode[] {
  const { productId, subjectPrefix } = api.whoami;
  return [
    ...(productId !== null || subjectPrefix === null ? apiRoots(api) : []),
    ...(subjectPrefix !== null || productId === null ? confluentRoots(api) : []),
  ];
}

/**
 * @example
 *   <RegistryTree api={api} selected={version} onSelect={setVersion} />
 */
export function RegistryTree(props: {
  api: ApiClient;
  selected: VersionRef | null;
  onSelect: (ref: VersionRef) => void;
}) {
  const [roots] = useState(() => treeRoots(props.api));
  const [children, setChildren] = useState<Map<string, Children>>(new Map());
  const [open, setOpen] = useState<Set<string>>(new Set());
  const [query, setQuery] = useState("");
  const loading = useRef(new Set<string>());
  const navRef = useRef<HTMLElement>(null);

  const load = (node: TreeNode) => {
    if (node.children === undefined || loading.current.has(node.key)) return;
    loading.current.add(node.key);
    setChildren((map) => new Map(map).set(node.key, "loading"));
    node.children().then(
      (list) => setChildren((map) => new Map(map).set(node.key, list)),
      (error: unknown) => {
        loading.current.delete(node.key); // so opening it again retries
        setChildren((map) => new Map(map).set(node.key, { error: messageOf(error) }));
      },
    );
  };
  const toggle = (node: TreeNode, to = !open.has(node.key)) => {
    if (to) load(node);
    setOpen((set) => {
      const next = new Set(set);
      if (to) next.add(node.key);
      else next.delete(node.key);
      return next;
    });
  };

  const searching = query.trim() !== "";
  const needle = query.trim().toLowerCase();
  // While searching, every level above versions is loaded as it arrives.
  useEffect(() => {
    if (!searching) return;
    const visit = (nodes: TreeNode[]) => {
      for (const node of nodes) {
        if (!node.searched) continue;
        const loaded = children.get(node.key);
        if (loaded === undefined) load(node);
        else if (Array.isArray(loaded)) visit(loaded);
      }
    };
    visit(roots);
  });

  const matches = (node: TreeNode): boolean => {
    if (node.label.toLowerCase().includes(needle)) return true;
    const loaded = children.get(node.key);
    return Array.isArray(loaded) && loaded.some(matches);
  };

  const onKeyDown = (event: KeyboardEvent) => {
    const buttons = [...(navRef.current?.querySelectorAll<HTMLButtonElement>("button.tree-node") ?? [])];
    const index = buttons.indexOf(document.activeElement as HTMLButtonElement);
    if (index < 0) return;
    const focus = (i: number) => buttons[Math.max(0, Math.min(buttons.length - 1, i))]?.focus();
    const button = buttons[index]!;
    if (event.key === "ArrowDown") focus(index + 1);
    else if (event.key === "ArrowUp") focus(index - 1);
    else if (event.key === "Home") focus(0);
    else if (event.key === "End") focus(buttons.length - 1);
    else if (event.key === "ArrowRight" && button.getAttribute("aria-expanded") === "false") button.click();
    else if (event.key === "ArrowLeft" && button.getAttribute("aria-expanded") === "true") button.click();
    else if (event.key === "ArrowLeft") {
      const parent = button.closest("ul")?.closest("li")?.querySelector<HTMLButtonElement>("button.tree-node");
      parent?.focus();
    } else return;
    event.preventDefault();
  };

  const render = (nodes: TreeNode[]) => (
    <ul>
      {nodes
        .filter((node) => !searching || matches(node))
        .map((node) => {
          const expanded = open.has(node.key) || (searching && node.searched);
          const loaded = children.get(node.key);
          const isSelected =
            node.version !== undefined && props.selected !== null && refKey(props.selected) === node.key;
          return (
            <li key={node.key}>
              <button
                type="button"
                class="tree-node"
                aria-expanded={node.children === undefined ? undefined : expanded}
                aria-current={isSelected ? "true" : undefined}
                onClick={() => (node.version !== undefined ? props.onSelect(node.version) : toggle(node, !expanded))}
              >
                {node.children !== undefined && <span aria-hidden="true">{expanded ? "▾ " : "▸ "}</span>}
                {node.label}
                {node.note !== undefined && <span class="note"> {node.note}</span>}
              </button>
              {expanded && loaded === "loading" && <p class="tree-status">Loading…</p>}
              {expanded && loaded !== undefined && !Array.isArray(loaded) && loaded !== "loading" && (
                <p class="tree-status" role="alert">
                  {loaded.error}
                </p>
              )}
              {expanded && Array.isArray(loaded) && loaded.length === 0 && <p class="tree-status">(empty)</p>}
              {expanded && Array.isArray(loaded) && loaded.length > 0 && render(loaded)}
            </li>
          );
        })}
    </ul>
  );

  return (
    <div class="tree-panel">
      <label for="tree-search">Search by name</label>
      <input id="tree-search" type="search" value={query} onInput={(e) => setQuery(e.currentTarget.value)} />
      <nav aria-label="Registry tree" class="tree" ref={navRef} onKeyDown={onKeyDown}>
        {render(roots)}
      </nav>
    </div>
  );
}

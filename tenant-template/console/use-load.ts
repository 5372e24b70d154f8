/** Loads something for a view, again whenever `deps` change; the latest call wins. */
import { useEffect, useState } from "preact/hooks";

export type Loaded<T> = { state: "loading" } | { state: "error"; message: string } | { state: "ready"; value: T };

/**
 * @example
 *   const keys = useLoad(() => api.get("/api/keys"), [api, generation]);
 */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [loaded, setLoaded] = useState<Loaded<T>>({ state: "loading" });
  useEffect(() => {
    let current = true;
    setLoaded({ state: "loading" });
    load().then(
      (value) => current && setLoaded({ state: "ready", value }),
      (error: unknown) => current && setLoaded({ state: "error", message: messageOf(error) }),
    );
    return () => {
      current = false;
    };
  }, deps);
  return loaded;
}

/** An error's message for the page (the API's own, from ApiCallError). */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

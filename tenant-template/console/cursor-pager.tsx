/**
 * "Newer" / "Page n" / "Older" over a listing the API pages with `nextCursor` (the audit log, a
 * webhook's deliveries). The API only pages forward, so the view keeps the cursors of the pages it
 * has seen: "Newer" drops the last one, "Older" adds the page's `nextCursor`.
 */

/** The cursors of the pages before this one and this page's; `[null]` is the first page. */
export type Cursors = (string | null)[];

/**
 * @example
 *   const [cursors, setCursors] = useState<Cursors>([null]);
 *   <CursorPager label="Audit pages" cursors={cursors} setCursors={setCursors} nextCursor={page.nextCursor} />
 */
export function CursorPager(props: {
  label: string;
  cursors: Cursors;
  setCursors: (cursors: Cursors) => void;
  nextCursor: string | null;
}) {
  const { cursors, setCursors, nextCursor } = props;
  return (
    <nav aria-label={props.label} class="pager">
      <button type="button" disabled={cursors.length === 1} onClick={() => setCursors(cursors.slice(0, -1))}>
        Newer
      </button>
      <span>Page {cursors.length}</span>
      <button type="button" disabled={nextCursor === null} onClick={() => setCursors([...cursors, nextCursor])}>
        Older
      </button>
    </nav>
  );
}

/**
 * A version's references drawn as a graph (SVG): what it references on the left, the version in
 * the middle, what references it on the right, an arrow from each referrer to what it uses.
 * Each node is a link-like button outside the SVG too, so the graph is usable by keyboard.
 */
import type { SubjectVersion } from "./version-ref.ts";

const NODE_WIDTH = 220;
const NODE_HEIGHT = 32;
const GAP = 14;
const COLUMN_X = [10, 300, 590];

const nodeLabel = (node: SubjectVersion) => `${node.subject} v${node.version}`;
const clip = (text: string) => (text.length > 30 ? `${text.slice(0, 29)}…` : text);

/**
 * @example
 *   <ReferenceGraph self={{ subject: "order", version: 1 }} references={[...]} referencedBy={[...]} onOpen={show} />
 */
export function ReferenceGraph(props: {
  self: SubjectVersion;
  references: SubjectVersion[];
  referencedBy: SubjectVersion[];
  onOpen: (node: SubjectVersion) => void;
}) {
  const rows = Math.max(1, props.references.length, props.referencedBy.length);
  const height = rows * (NODE_HEIGHT + GAP) + GAP;
  const y = (index: number, count: number) =>
    GAP + index * (NODE_HEIGHT + GAP) + ((rows - count) * (NODE_HEIGHT + GAP)) / 2;
  const selfY = y(0, 1);
  const description =
    `${nodeLabel(props.self)} references ${props.references.length === 0 ? "nothing" : props.references.map(nodeLabel).join(", ")}; ` +
    `referenced by ${props.referencedBy.length === 0 ? "nothing" : props.referencedBy.map(nodeLabel).join(", ")}.`;
  const node = (each: SubjectVersion, column: number, top: number, kind: string) => (
    <g key={`${kind}:${nodeLabel(each)}`} class={`node node-${kind}`}>
      <rect x={COLUMN_X[column]} y={top} width={NODE_WIDTH} height={NODE_HEIGHT} rx={6} />
      <text x={COLUMN_X[column]! + 10} y={top + 21}>
        {clip(nodeLabel(each))}
      </text>
    </g>
  );
  // From the left side of the user to the right side of what it uses.
  const arrow = (userColumn: number, userY: number, usedColumn: number, usedY: number, key: string) => (
    <line
      key={key}
      class="edge"
      x1={COLUMN_X[userColumn]!}
      y1={userY + NODE_HEIGHT / 2}
      x2={COLUMN_X[usedColumn]! + NODE_WIDTH + 2}
      y2={usedY + NODE_HEIGHT / 2}
      marker-end="url(#arrow)"
    />
  );
  return (
    <figure class="graph">
      <svg viewBox={`0 0 820 ${height}`} width="100%" role="img" aria-label={description}>
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto">
            <path d="M0,0 L10,5 L0,10 z" />
          </marker>
        </defs>
        {/* A referrer uses this version; this version uses its references: arrows point at what is used. */}
        {props.references.map((_, i) => arrow(1, selfY, 0, y(i, props.references.length), `ref-${i}`))}
        {props.referencedBy.map((_, i) => arrow(2, y(i, props.referencedBy.length), 1, selfY, `by-${i}`))}
        {props.references.map((each, i) => node(each, 0, y(i, props.references.length), "ref"))}
        {node(props.self, 1, selfY, "self")}
        {props.referencedBy.map((each, i) => node(each, 2, y(i, props.referencedBy.length), "by"))}
      </svg>
      <figcaption>
        <span class="legend">Left: what it references. Right: what references it.</span>
        <ul class="graph-links">
          {[...props.references, ...props.referencedBy].map((each) => (
            <li key={nodeLabel(each)}>
              <button type="button" class="link" onClick={() => props.onOpen(each)}>
                Open {nodeLabel(each)}
              </button>
            </li>
          ))}
        </ul>
      </figcaption>
    </figure>
  );
}

/** A schema's text with syntax highlighting (schema-tokens.ts), in a focusable, labelled block. */
import { readableSchema, type SchemaFormat, schemaTokens } from "./schema-tokens.ts";

/**
 * @example
 *   <HighlightedSchema text={version.schema} format="AVRO" label="orders-value v2" />
 */
export function HighlightedSchema(props: { text: string; format: SchemaFormat; label: string }) {
  const tokens = schemaTokens(readableSchema(props.text, props.format), props.format);
  return (
    // A scrollable region a keyboard user must be able to reach to scroll (axe: scrollable-region-focusable).
    // biome-ignore lint/a11y/noNoninteractiveTabindex: see above
    <section class="code" tabIndex={0} aria-label={props.label} data-format={props.format}>
      <pre>
        <code>
          {tokens.map((token, index) =>
            token.kind === "plain" ? (
              token.text
            ) : (
              <span key={index} class={`tok-${token.kind}`}>
                {token.text}
              </span>
            ),
          )}
        </code>
      </pre>
    </section>
  );
}

/**
 * A tiny Worker around the Avro compatibility engine, so a test runs it in real workerd (no
 * `new Function`, no Node built-ins). POST / takes { pairs: [{ reader, writer }] } (Avro texts)
 * and answers each pair's issues, or the parse errors if a text is invalid.
 */
import { avroCompatibility } from "../../../tenant-template/src/compat/avro-compatibility.ts";
import { validateSpecification } from "../../../tenant-template/src/spec/validate-specification.ts";

interface Pair {
  reader: string;
  writer: string;
}

export default {
  async fetch(request: Request): Promise<Response> {
    const { pairs } = (await request.json()) as { pairs: Pair[] };
    return Response.json(
      pairs.map(({ reader, writer }) => {
        const r = validateSpecification("AVRO", reader);
        const w = validateSpecification("AVRO", writer);
        if (!r.ok || !w.ok) return { invalid: [r, w].flatMap((result) => (result.ok ? [] : result.errors)) };
        return avroCompatibility.canRead(r.parsed, w.parsed);
      }),
    );
  },
};

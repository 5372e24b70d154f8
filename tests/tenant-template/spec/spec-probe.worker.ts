/**
 * A tiny Worker around validateSpecification, so the spec tests run the parsers in real workerd
 * (where `new Function` is refused) rather than in Node. POST / takes { cases: [{ format, text }] }
 * and answers one summary per case; GET /codegen reports whether this isolate allows `new Function`.
 */
import { validateSpecification, type SpecFormat } from "../../../tenant-template/src/spec/validate-specification.ts";

interface Case {
  format: SpecFormat;
  text: string;
}

export default {
  async fetch(request: Request): Promise<Response> {
    if (request.method === "GET") {
      try {
        // The premise of docs/spec-validation.md, checked where it matters.
        return Response.json({ allowed: new Function("return 1")() === 1 });
      } catch (error) {
        return Response.json({ allowed: false, error: `${(error as Error).name}: ${(error as Error).message}` });
      }
    }
    const { cases } = (await request.json()) as { cases: Case[] };
    const results = cases.map(({ format, text }) => {
      const result = validateSpecification(format, text);
      if (!result.ok) return { ok: false, errors: result.errors };
      const { parsed } = result;
      // A summary proves the parsed form is usable here: the JSON Schema validator runs, the Avro
      // graph and the protobuf reflection tree are walked.
      switch (parsed.format) {
        case "JSON":
          return {
            ok: true,
            format: parsed.format,
            draft: parsed.draft,
            validatesEmptyObject: parsed.validator.validate({}).valid,
          };
        case "AVRO":
          return {
            ok: true,
            format: parsed.format,
            type: parsed.schema.type,
            namedTypes: [...parsed.namedTypes.keys()],
          };
        case "PROTOBUF":
          return {
            ok: true,
            format: parsed.format,
            syntax: parsed.syntax,
            types: parsed.root.nestedArray.map((n) => n.name),
          };
      }
      return undefined; // not reached: the switch covers every format
    });
    return Response.json(results);
  },
};

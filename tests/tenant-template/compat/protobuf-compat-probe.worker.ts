/**
 * A tiny Worker around the Protobuf compatibility engine, so a test runs it in real workerd (no
 * `new Function`, no Node built-ins). POST / takes { cases: [{ original, update }] } (.proto texts)
 * and answers, per case, the diff and checkCompatibility's BACKWARD verdict.
 */
import { checkCompatibility } from "../../../tenant-template/src/compat/compatibility.ts";
import {
  diffProtobufSchemas,
  protobufCompatibility,
} from "../../../tenant-template/src/compat/protobuf-compatibility.ts";
import { validateSpecification } from "../../../tenant-template/src/spec/validate-specification.ts";

interface Case {
  original: string;
  update: string;
}

export default {
  async fetch(request: Request): Promise<Response> {
    const { cases } = (await request.json()) as { cases: Case[] };
    const results = cases.map(({ original, update }) => {
      const before = validateSpecification("PROTOBUF", original);
      const after = validateSpecification("PROTOBUF", update);
      if (!before.ok || !after.ok || before.parsed.format !== "PROTOBUF" || after.parsed.format !== "PROTOBUF")
        return { ok: false };
      const diff = diffProtobufSchemas(before.parsed, after.parsed);
      const existing = [{ version: 1, spec: before.parsed }];
      return {
        ok: true,
        isCompatible: diff.isCompatible,
        changes: diff.differences.map((d) => `${d.type} ${d.path}`),
        backward: checkCompatibility(protobufCompatibility, "BACKWARD", after.parsed, existing).isCompatible,
      };
    });
    return Response.json(results);
  },
};

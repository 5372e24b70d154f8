/**
 * The answer of an impact analysis (impact-analysis.ts), as both routes answer it and the OpenAPI
 * document describes it: `POST /impact/subjects/{subject}` (Confluent's side, routes/impact.ts)
 * and `POST /api/impact` (/api's side, registry/impact-api.ts).
 */
import { z } from "@hono/zod-openapi";
import { COMPATIBILITY_LEVELS } from "../compat/compatibility.ts";

const level = z.enum(COMPATIBILITY_LEVELS).openapi({ description: "The compatibility level in force." });

const dependent = z
  .object({
    subject: z.string().openapi({ description: "Qualified (`:.ctx:name` outside the default context)." }),
    version: z.number().int().openapi({ description: "Its latest live version, the one judged." }),
    depth: z.number().int().openapi({ description: "1: it references the subject itself; 2: through one other." }),
    path: z.array(z.string()).openapi({ description: "From the subject to this one, each referenced by the next." }),
    compatibilityLevel: level,
    valid: z.boolean().openapi({ description: "Its latest text still parses with the new versions in place." }),
    compatible: z.boolean().openapi({ description: "That new form is compatible with its versions, at its level." }),
    messages: z.array(z.string()).openapi({ description: "Why not." }),
    checked: z.boolean().openapi({ description: "False past the analysis's bound: listed, not checked." }),
  })
  .openapi("ImpactDependent");

export const impactReportSchema = z
  .object({
    subject: z.string(),
    compatibilityLevel: level,
    compatible: z.boolean().openapi({ description: "The candidate is compatible with its own subject." }),
    messages: z.array(z.string()),
    dependents: z.array(dependent).openapi({ description: "Every subject whose latest version references it." }),
    cycles: z
      .array(z.array(z.string()))
      .openapi({ description: "Reference cycles among them: paths whose first subject is their last." }),
    order: z.array(z.string()).openapi({ description: "An order to evolve them in, each after what it references." }),
    safe: z.boolean().openapi({ description: "Compatible, every dependent valid and compatible, no cycle." }),
    truncated: z.boolean().openapi({ description: "More dependents than one analysis checks: the rest unchecked." }),
  })
  .openapi("ImpactReport");

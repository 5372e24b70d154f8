/**
 * `node --import tsx scripts/bench-usage-point.ts`: what recording usage adds to a dispatched
 * request in CPU, apart from any I/O (writeDataPoint does none on the request): the route template
 * of the path and the data point, per request, over a mix of paths. bench:dispatch measures the
 * whole dispatcher with the binding; its noise on a shared machine (+-20% between runs) is far
 * above this figure, which is why it is measured on its own (docs/usage.md).
 */
import { routeTemplate } from "../contracts/route-template.ts";
import { usageDataPoint } from "../contracts/usage-point.ts";

const PATHS = [
  "/subjects/orders-value/versions/3",
  "/api/products/p1/domains",
  "/schemas/ids/42",
  "/__bench/no-such-path",
] as const;
const REQUESTS = 1_000_000;
const ROUNDS = 5;

let kept = 0;
const perRequestNs: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const start = performance.now();
  for (let i = 0; i < REQUESTS; i++) {
    const point = usageDataPoint({
      tenantId: "acme",
      registry: "default",
      route: routeTemplate(PATHS[i & 3]!),
      method: "GET",
      status: 200,
      durationMs: 3,
    });
    kept += point.blobs.length;
  }
  perRequestNs.push(((performance.now() - start) * 1e6) / REQUESTS);
}
perRequestNs.sort((a, b) => a - b);
console.log(
  `usage point: ${perRequestNs[0]!.toFixed(0)} ns per request at best, ${perRequestNs[ROUNDS >> 1]!.toFixed(0)} ns ` +
    `median of ${ROUNDS} rounds of ${REQUESTS.toLocaleString("en-US")} (${kept > 0 ? "route template + point" : ""})`,
);

/**
 * A local platform in a process of its own, for tests that kill that process: it starts one on
 * the folder given as its argument, prints one JSON line `{ "workerdPid": N }`, and waits.
 *
 *   node --import tsx tests/support/platform-child.ts /tmp/state
 */
import { startInitialisedPlatform } from "../../scripts/lib/initialised-platform.ts";

const platform = await startInitialisedPlatform({ port: 0, apiPort: 0, stateDir: process.argv[2]! });
console.log(JSON.stringify({ workerdPid: platform.workerdPid() ?? null }));
setInterval(() => undefined, 60_000);

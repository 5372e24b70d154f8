/**
 * The project's own `node`, installing the dependencies first when they are missing or stale.
 *
 * Every entry script in package.json starts here, so `npm start` and `npm test` work as the first
 * command in a fresh clone. This file is plain JavaScript on purpose: it runs on whatever Node the
 * machine has (20 or later), before the project's Node 22 and tsx exist.
 *
 *   node scripts/bootstrap.mjs                                        # install if needed, nothing else
 *   node scripts/bootstrap.mjs --import tsx scripts/start.ts --port 9787
 *
 * 1. When node_modules does not hold what package-lock.json says (a fresh clone, or the lockfile
 *    changed since the last install), it runs `npm ci` once, printing one line, or npm's whole
 *    output if it fails. A lock file (.tmp/install.lock) makes two first runs at once install once.
 * 2. Given arguments, it runs them with the project's Node 22 (the `node` package, which wrangler
 *    and Miniflare need), forwards SIGINT, SIGTERM and SIGHUP to it, and exits the way it exited.
 */
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const projectNode = join(root, "node_modules", "node", "bin", "node");
const installedLockfile = join(root, "node_modules", ".package-lock.json");
const installLock = join(root, ".tmp", "install.lock");
const forwardedSignals = ["SIGINT", "SIGTERM", "SIGHUP"];

/**
 * Whether node_modules holds exactly the packages of package-lock.json, judged by npm's own record
 * of the last install (node_modules/.package-lock.json), so an `npm install` by hand counts too.
 * Optional packages for other platforms are in the lockfile but never installed.
 */
function dependenciesAreCurrent() {
  if (!existsSync(projectNode)) return false;
  let wanted;
  let installed;
  try {
    wanted = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")).packages;
    installed = JSON.parse(readFileSync(installedLockfile, "utf8")).packages;
  } catch {
    // Missing or half-written: `npm ci` rewrites both, and reports whatever is really wrong.
    return false;
  }
  for (const [path, entry] of Object.entries(wanted)) {
    if (path === "") continue;
    const present = installed[path];
    if (present === undefined ? !entry.optional : JSON.stringify(present) !== JSON.stringify(entry)) return false;
  }
  return Object.keys(installed).every((path) => path in wanted);
}

/** The npm that started this script (on the Node that runs it), else the one on PATH. */
function npmCommand(args) {
  const { npm_execpath: cli, npm_node_execpath: node } = process.env;
  if (cli && /npm-cli\.c?js$/.test(cli)) return [node ?? process.execPath, [cli, ...args]];
  return ["npm", args];
}

/** Runs `npm ci` with its output held back; resolves to its exit code, after printing the output if it failed. */
function install(reason) {
  console.error(`Installing dependencies (${reason}; a minute or two)...`);
  const started = Date.now();
  const [command, args] = npmCommand(["ci", "--no-audit", "--no-fund", "--include=dev"]);
  return new Promise((resolve) => {
    const output = [];
    const child = spawn(command, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.on("data", (chunk) => output.push(chunk));
    child.stderr.on("data", (chunk) => output.push(chunk));
    child.on("error", (error) => {
      console.error(`Could not run npm to install the dependencies: ${error.message}`);
      resolve(1);
    });
    child.on("close", (code, signal) => {
      if (code === 0) {
        console.error(`Dependencies installed in ${Math.round((Date.now() - started) / 1000)}s.`);
        return resolve(0);
      }
      process.stderr.write(Buffer.concat(output));
      console.error(`\nnpm ci failed (${signal ?? `exit code ${code}`}); its output is above.`);
      resolve(code || 1);
    });
  });
}

/** Whether the run that holds the install lock has ended without releasing it (crashed or killed). */
function lockHolderIsGone() {
  let pid;
  let age;
  try {
    pid = Number(readFileSync(installLock, "utf8"));
    age = Date.now() - statSync(installLock).mtimeMs;
  } catch {
    return false; // released meanwhile: the next attempt takes it
  }
  // Empty for an instant while its holder writes its pid.
  if (!Number.isInteger(pid) || pid <= 0) return age > 10_000;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return error.code === "ESRCH";
  }
}

/** Runs `work` holding .tmp/install.lock (outside node_modules, which `npm ci` deletes). */
async function withInstallLock(work) {
  mkdirSync(dirname(installLock), { recursive: true });
  let told = false;
  for (;;) {
    try {
      const fd = openSync(installLock, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (error) {
      if (error.code !== "EEXIST") throw error;
    }
    if (lockHolderIsGone()) {
      rmSync(installLock, { force: true });
      continue;
    }
    if (!told) console.error("Another run is installing the dependencies; waiting for it...");
    told = true;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  try {
    return await work();
  } finally {
    rmSync(installLock, { force: true });
  }
}

/** Runs the project's Node with `args`, passing signals on; exits with its code, or dies of its signal. */
function runProjectNode(args) {
  const child = spawn(projectNode, args, { cwd: process.cwd(), stdio: "inherit" });
  // Ctrl-C reaches the child from the terminal too, and a signal sent to this process is passed on.
  const forward = (signal) => child.kill(signal);
  for (const signal of forwardedSignals) process.on(signal, forward);
  // A signal sent to npm alone never reaches us: npm passes it to its `sh -c`, which dies without
  // passing it on. Our parent going (we are re-parented) means exactly that: end the child as the
  // signal would have.
  const parent = process.ppid;
  const orphanWatch = setInterval(() => {
    if (process.ppid !== parent) child.kill("SIGTERM");
  }, 1000);
  child.on("error", (error) => {
    console.error(`Could not start ${projectNode}: ${error.message}`);
    process.exit(1);
  });
  child.on("exit", (code, signal) => {
    clearInterval(orphanWatch);
    for (const name of forwardedSignals) process.off(name, forward);
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
}

if (!dependenciesAreCurrent()) {
  const reason = existsSync(installedLockfile) ? "package-lock.json changed" : "first run";
  const code = await withInstallLock(async () => (dependenciesAreCurrent() ? 0 : install(reason)));
  if (code !== 0) process.exit(code);
}
if (process.argv.length > 2) runProjectNode(process.argv.slice(2));

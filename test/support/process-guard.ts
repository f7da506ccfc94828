import { spawn, type ChildProcess } from "node:child_process";
import { Socket } from "node:net";

/**
 * A shell that SIGKILLs every pid written to its stdin and removes `root` once that stdin closes,
 * i.e. when this Node process dies without calling stop() (a crash, SIGKILL, a runner timeout).
 * Callers kill the guard first on a clean shutdown, so it never fires then.
 */
export function startGuard(root: string): ChildProcess {
  const script =
    'while read -r p; do pids="$pids $p"; done; kill -KILL $pids 2>/dev/null; sleep 1; rm -rf "$0"';
  const guard = spawn("/bin/sh", ["-c", script, root], { stdio: ["pipe", "ignore", "ignore"] });
  guard.unref();
  if (guard.stdin instanceof Socket) guard.stdin.unref();
  return guard;
}

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { promisify } from "node:util";
import { bridgeBinary } from "../../support/bridge-binary.ts";
import { runCli } from "../../support/cli.ts";

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "bridge-install-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("the executable installs itself where the init container puts it, and the copy runs", async (t) => {
  let bridge: string;
  try {
    bridge = await bridgeBinary();
  } catch (e) {
    t.skip(`the bridge cannot be built here: ${String(e)}`);
    return;
  }
  const target = join(dir, "bridge");
  await run(bridge, ["--install", target]);
  assert.equal(statSync(target).mode & 0o777, 0o555);
  assert.equal(statSync(target).size, statSync(bridge).size);
  // The copy is the bridge: without a command it says what it needs, exit 2.
  const copy = await run(target, []).then(
    () => assert.fail("expected exit 2"),
    (e: { code: number; stderr: string }) => e,
  );
  assert.equal(copy.code, 2);
  assert.match(copy.stderr, /bridge needs the server's command after --/);
});

test("mcp-warden bridge --install refuses: only the self-contained executable can copy itself", async () => {
  const r = await runCli(["bridge", "--install", join(dir, "x")]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--install copies the self-contained bridge executable/);
  const usage = await runCli(["bridge", "--install", join(dir, "x"), "--", "node"]);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /--install FILE takes no server command/);
});

import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { WardenError } from "../../../policies/errors.ts";
import { containerEnvironment } from "../../../supply-chain/mcp/image-tools.ts";
import { resolveImageUser } from "../../../supply-chain/mcp/image-user.ts";
import { assertRejectsWithCode } from "../../support/throws.ts";

let root: string;
let linked: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), "mcp-warden-imageuser-"));
  await mkdir(join(root, "etc"));
  await writeFile(
    join(root, "etc", "passwd"),
    "root:x:0:0:root:/root:/bin/sh\n# comment\nnode:x:1000:1001:Node:/home/node:/bin/sh\n",
  );
  await writeFile(join(root, "etc", "group"), "root:x:0:\nstaff:x:50:\nnode:x:1001:\n");
  // An image whose /etc/passwd is a symlink: it would name a host file, so it is not read.
  linked = await mkdtemp(join(tmpdir(), "mcp-warden-imageuser-linked-"));
  await mkdir(join(linked, "etc"));
  await symlink(join(root, "etc", "passwd"), join(linked, "etc", "passwd"));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
  await rm(linked, { recursive: true, force: true });
});

test("the config's User is resolved as a container engine does", async () => {
  assert.deepEqual(await resolveImageUser(root, undefined), { uid: 0, gid: 0, home: "/root" });
  assert.deepEqual(await resolveImageUser(root, "node"), {
    uid: 1000,
    gid: 1001,
    home: "/home/node",
  });
  assert.deepEqual(await resolveImageUser(root, "1000"), {
    uid: 1000,
    gid: 1001,
    home: "/home/node",
  });
  assert.deepEqual(await resolveImageUser(root, "node:staff"), {
    uid: 1000,
    gid: 50,
    home: "/home/node",
  });
  // A uid the image does not list gets its own number as its group, as distroless's 65532 does.
  assert.deepEqual(await resolveImageUser(root, "65532"), { uid: 65532, gid: 65532 });
  assert.deepEqual(await resolveImageUser(root, "65532:7"), { uid: 65532, gid: 7 });
});

test("a name the image does not list is an error; a symlinked passwd is not followed", async () => {
  const e = await assertRejectsWithCode(
    resolveImageUser(root, "nobody-here"),
    "MCP_SERVER_FAILED",
    WardenError,
  );
  assert.match(e.message, /user "nobody-here", which its \/etc\/passwd does not list/);
  await assertRejectsWithCode(
    resolveImageUser(root, "node:wheel"),
    "MCP_SERVER_FAILED",
    WardenError,
  );
  await assertRejectsWithCode(resolveImageUser(linked, "node"), "MCP_SERVER_FAILED", WardenError);
  assert.deepEqual(await resolveImageUser(linked, "1000"), { uid: 1000, gid: 1000 });
});

test("the server's environment: the image's Env, the manifest's over it, PATH and HOME defaulted", () => {
  assert.deepEqual(
    containerEnvironment(
      ["PATH=/app/bin", "MODE=image", "BROKEN", "=x"],
      { MODE: "manifest" },
      "/home/node",
    ),
    ["PATH=/app/bin", "MODE=manifest", "HOME=/home/node"],
  );
  assert.deepEqual(containerEnvironment([], {}, undefined), [
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "HOME=/",
  ]);
});

/** `mcp-warden gateway` as a user starts it: usage errors, and a server image that does not verify. */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { RegistryClient } from "../../supply-chain/registry/client.ts";
import { issueServingCert, makeTestCA } from "../e2e/support/certs.ts";
import { runMain } from "../support/cli.ts";
import {
  SKIP_NO_REGISTRY,
  startRegistry,
  type RegistryServer,
} from "../support/registry-server.ts";
import { pushImage } from "../support/supply-chain.ts";

describe("mcp-warden gateway", { skip: SKIP_NO_REGISTRY, timeout: 60_000 }, () => {
  let registry: RegistryServer;
  let dir: string;
  let unsigned: string;
  let tls: string[];

  before(async () => {
    registry = await startRegistry();
    dir = await mkdtemp(join(tmpdir(), "mcp-warden-cli-gateway-"));
    const repo = `${registry.host}/mcp/unsigned`;
    const pushed = await pushImage(
      new RegistryClient(),
      repo,
      "unsigned",
      `cli-gateway-${Date.now()}`,
    );
    unsigned = `${repo}@${pushed.manifest.digest}`;
    const ca = await makeTestCA();
    const cert = await issueServingCert(ca, { ipAddresses: ["127.0.0.1"] });
    await writeFile(join(dir, "tls.crt"), cert.cert);
    await writeFile(join(dir, "tls.key"), cert.key);
    tls = ["--tls-cert", join(dir, "tls.crt"), "--tls-key", join(dir, "tls.key")];
  });

  after(async () => {
    await registry?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test("a wrong command line is a usage error naming what is wrong", async () => {
    const base = [
      "gateway",
      "--upstream",
      "http://127.0.0.1:1/mcp",
      ...tls,
      "--audience",
      "a",
      "--server-name",
      "s",
    ];
    const cases: [string[], RegExp][] = [
      [["gateway", ...tls], /needs --upstream URL/],
      [
        [...base, "--server-image", unsigned, "--token-review", "--issuer-jwks", "https://k/jwks"],
        /either --token-review or --issuer-jwks/,
      ],
      [
        [...base, "--server-image", unsigned, "--oidc-issuer", "https://idp.example"],
        /--oidc-issuer needs --oidc-audience/,
      ],
      [
        [...base, "--server-image", unsigned, "--clock-skew", "soon"],
        /--clock-skew soon is not a duration/,
      ],
      [
        [...base, "--server-image", unsigned, "--body-limit", "0"],
        /--body-limit 0 must be a positive whole number/,
      ],
      [
        [...base, "--server-image", unsigned, "--pod", "p", "--audit-sink", "dir:/tmp/x"],
        /needs --audit-key FILE, --audit-buffer DIR and --audit-sink SINK together/,
      ],
      [
        [
          ...base,
          "--server-image",
          unsigned,
          "--pod",
          "p",
          "--audit-key",
          "k",
          "--audit-buffer",
          "b",
          "--audit-sink",
          "ftp://bucket",
        ],
        /--audit-sink ftp:\/\/bucket is neither/,
      ],
      [
        [...base, "--server-image", unsigned, "--audit-s3-endpoint", "http://127.0.0.1:9000"],
        /--audit-s3-endpoint and --audit-s3-region need --audit-sink/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = await runMain(args);
      assert.equal(r.code, 2, args.join(" "));
      assert.match(r.stderr, message);
    }
  });

  test("refuses to start when the server image has no trusted signature or evaluation", async () => {
    const r = await runMain([
      "gateway",
      "--upstream",
      "http://127.0.0.1:1/mcp",
      ...tls,
      "--audience",
      "a",
      "--server-name",
      "s",
      "--server-image",
      unsigned,
      "--access",
      join(dir, "none.yaml"),
    ]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /is not admitted by policy default/);
    assert.match(r.stderr, /image\/signed/);
    const tag = await runMain([
      "gateway",
      "--upstream",
      "http://127.0.0.1:1/mcp",
      ...tls,
      "--audience",
      "a",
      "--server-name",
      "s",
      "--server-image",
      `${registry.host}/mcp/unsigned:unsigned`,
    ]);
    assert.equal(tag.code, 2);
    assert.match(tag.stderr, /must be pinned by digest/);
  });
});

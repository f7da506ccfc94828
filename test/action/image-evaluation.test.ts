/**
 * The Action evaluates the image it signs: its `image` input is resolved, pulled by digest from a
 * real registry and inventoried as `mcp-warden evaluate --image` does, so a vulnerable package
 * installed in the image fails SC-04 with no lockfile in the workspace. The inventory is attached
 * as a signed CycloneDX SBOM that real `cosign verify-attestation --type cyclonedx` accepts.
 * `run` is called as the entry file calls it (the bundle is built after merging).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { parse } from "yaml";
import { readInputs, type InputName } from "../../action/inputs.ts";
import { run, type OutputName } from "../../action/run.ts";
import { parsePredicate } from "../../policies/evaluation/predicate.ts";
import { readInventory } from "../../supply-chain/image/inventory.ts";
import { pullImage } from "../../supply-chain/image/pull.ts";
import { RegistryClient } from "../../supply-chain/registry/client.ts";
import { BOM_PROPERTIES, type CycloneDxBom } from "../../supply-chain/sbom/cyclonedx.ts";
import { ROOT } from "../support/cli.ts";
import { cycloneDxValidator } from "../support/cyclonedx.ts";
import { pushLayers, tarOf } from "../support/images.ts";
import { installNpmServer, NPM_SERVERS } from "../support/mcp-servers.ts";
import {
  SKIP_NO_REGISTRY,
  startRegistry,
  type RegistryServer,
} from "../support/registry-server.ts";
import { findTool } from "../support/supply-chain.ts";

const exec = promisify(execFile);
const FIXTURES = join(ROOT, "test", "fixtures");
const COSIGN = findTool("cosign");
const actionYml = parse(await readFile(join(ROOT, "action.yml"), "utf8")) as {
  inputs: Record<string, { default?: string }>;
};

// jq 1.6-2.1 as Debian 12 installs it; DEBIAN-CVE-2026-32316 is fixed in 1.6-2.1+deb12u3.
const DPKG_STATUS = [
  "Package: jq",
  "Status: install ok installed",
  "Priority: optional",
  "Section: utils",
  "Installed-Size: 102",
  "Maintainer: ChangZhuo Chen (陳昌倬) <czchen@debian.org>",
  "Architecture: amd64",
  "Multi-Arch: foreign",
  "Version: 1.6-2.1",
  "Depends: libjq1 (= 1.6-2.1), libc6 (>= 2.34)",
  "Description: lightweight and flexible command-line JSON processor",
  "",
].join("\n");

interface Captured {
  info: string[];
  warnings: string[];
  errors: string[];
  outputs: Partial<Record<OutputName, string>>;
}

describe(
  "the Action evaluates its image input",
  { skip: SKIP_NO_REGISTRY, timeout: 300_000 },
  () => {
    let registry: RegistryServer;
    let dir: string;
    let osv: string;
    let entry: string;
    let image: { ref: string; digest: string };
    const key = generateKeyPairSync("ec", { namedCurve: "P-256" });

    before(async () => {
      registry = await startRegistry();
      dir = await mkdtemp(join(tmpdir(), "mcp-warden-action-image-"));
      // An offline OSV database holding the npm and Debian advisories.
      osv = join(dir, "osv");
      for (const eco of ["npm", "Debian"])
        await cp(join(FIXTURES, "osv", eco), join(osv, eco), { recursive: true });
      await writeFile(
        join(dir, "cosign.pub"),
        key.publicKey.export({ type: "spki", format: "pem" }).toString(),
      );

      // The image: a Debian 12 base layer holding jq, and the server's real npm install above it.
      entry = await installNpmServer(NPM_SERVERS.filesystemOld);
      const prefix = entry.slice(0, entry.indexOf("/node_modules/"));
      const { stdout: app } = await exec(
        "tar",
        [
          "-C",
          prefix,
          "-cf",
          "-",
          "--owner=0",
          "--group=0",
          "--transform=s,^,app/,",
          "node_modules",
        ],
        { encoding: "buffer", maxBuffer: 256 * 1024 * 1024 },
      );
      const base = await tarOf([
        { name: "etc/" },
        {
          name: "etc/os-release",
          content: 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n',
        },
        { name: "var/lib/dpkg/" },
        { name: "var/lib/dpkg/status", content: DPKG_STATUS },
      ]);
      image = await pushLayers(
        new RegistryClient(),
        `${registry.host}/acme/server-filesystem`,
        "2025.3.28",
        [{ tar: base }, { tar: app }],
        {
          config: {
            Entrypoint: [
              "node",
              `/app/node_modules/${NPM_SERVERS.filesystemOld.name}/dist/index.js`,
            ],
          },
        },
      );
    });

    after(async () => {
      await registry?.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    /** A release workspace with server.json only: no lockfile. */
    async function workspace(name: string): Promise<string> {
      const ws = join(dir, name);
      await mkdir(join(ws, "data"), { recursive: true });
      const manifest = JSON.parse(
        await readFile(join(FIXTURES, "mcp", "server-filesystem.server.json"), "utf8"),
      ) as { version: string; _meta: Record<string, unknown> };
      manifest.version = "2025.3.28";
      manifest._meta["dev.mcp-warden/tools"] = JSON.parse(
        await readFile(join(FIXTURES, "mcp", "server-filesystem@2025.3.28.tools.json"), "utf8"),
      ) as unknown;
      manifest._meta["dev.mcp-warden/stdio"] = {
        command: process.execPath,
        args: [entry, join(ws, "data")],
      };
      await writeFile(join(ws, "server.json"), JSON.stringify(manifest));
      return ws;
    }

    async function runAction(
      ws: string,
      given: Partial<Record<InputName, string>>,
      env: Record<string, string> = {},
    ): Promise<Captured & { failure?: string }> {
      const inputs = readInputs((name) => given[name] ?? actionYml.inputs[name]?.default ?? "");
      const got: Captured = { info: [], warnings: [], errors: [], outputs: {} };
      const { failure } = await run(inputs, {
        now: () => new Date(),
        tempDir: join(ws, "runner-temp"),
        workspace: ws,
        oidcAvailable: false,
        idToken: () => Promise.reject(new Error("no OIDC here")),
        evaluator: { name: "mcp-warden", version: "0.1.0" },
        reporter: {
          info: (m) => got.info.push(m),
          warning: (m) => got.warnings.push(m),
          error: (m) => got.errors.push(m),
          setOutput: (name, value) => {
            got.outputs[name] = value;
          },
          summary: () => Promise.resolve(),
        },
        env,
      });
      return { ...got, ...(failure === undefined ? {} : { failure }) };
    }

    const GATEWAY_IMAGE = `ghcr.io/mcp-warden/mcp-warden:0.1.0@sha256:${"b".repeat(64)}`;

    test("the vulnerable packages inside the image fail SC-04, no lockfile given", async () => {
      const ws = await workspace("no-lockfile");
      const r = await runAction(
        ws,
        {
          image: image.ref,
          signing: "none",
          "vulnerability-db": osv,
          "server-env": "SSL_CERT_FILE, MCP_WARDEN_UNSET_NAME",
          "kubernetes-manifests": "deploy",
          "kubernetes-namespace": "mcp-servers",
          "gateway-image": GATEWAY_IMAGE,
        },
        { SSL_CERT_FILE: "/etc/ssl/certs/proxy-ca.pem", UNRELATED_SECRET: "never-passed" },
      );
      assert.equal(r.outputs.digest, image.digest);
      assert.equal(r.outputs.verdict, "fail");
      assert.match(r.failure ?? "", /controls failed: .*SC-04/);
      const predicate = parsePredicate(
        JSON.parse(await readFile(r.outputs.evaluation ?? "", "utf8")),
      );
      assert.equal(predicate.controls.find((c) => c.id === "SC-02")?.status, "skip");
      const sc04 = predicate.controls.find((c) => c.id === "SC-04");
      assert.equal(sc04?.status, "fail", JSON.stringify(sc04));
      assert.match(sc04?.notes ?? "", new RegExp(`image inventory of .*${image.digest}`));
      assert.match(sc04?.notes ?? "", /ecosystems scanned: .*npm.*Debian:12|Debian:12.*npm/);
      const ids = predicate.vulnerabilities.flatMap((v) => [v.id, ...v.aliases]);
      for (const id of ["CVE-2025-53109", "CVE-2025-53110", "DEBIAN-CVE-2026-32316"])
        assert.ok(ids.includes(id), `${id} in ${ids.join(", ")}`);
      const locations = sc04?.findings.map((f) => f.location) ?? [];
      assert.ok(locations.includes("/var/lib/dpkg/status"), locations.join("\n"));
      // The server was listed, and started with the one variable named that is set.
      assert.equal(predicate.controls.find((c) => c.id === "CD-01")?.status, "pass");
      assert.ok(
        r.warnings.some((w) =>
          /started with SSL_CERT_FILE from this process's environment/.test(w),
        ),
        r.warnings.join("\n"),
      );
      assert.ok(r.warnings.some((w) => /MCP_WARDEN_UNSET_NAME: not set/.test(w)));
      // The tools came from the package, not the image's own entrypoint: no stdio run is
      // recorded, so the generated server is reached on its declared port, its gateway in front.
      assert.equal(predicate.run, undefined);
      const generated = await readFile(r.outputs["kubernetes-manifests"] ?? "", "utf8");
      assert.doesNotMatch(generated, /mcp-warden\/bridge/);
      assert.match(generated, /kind: MCPWardenAccess/);
      assert.match(generated, /name: server-filesystem-gateway\n {2}namespace: mcp-servers/);
      assert.match(generated, /--server-image\n\s+- [^\n]+@sha256:/);
      assert.ok(!r.warnings.concat(r.info).some((m) => m.includes("/etc/ssl/certs/proxy-ca.pem")));
      // Progress in the log: what is pulled, with sizes, what the layers hold, what is scanned.
      const log = r.info.join("\n");
      assert.match(
        log,
        new RegExp(
          `^pulling .*${image.digest}, linux/amd64\\): 2 layer\\(s\\), [\\d.]+ (KiB|MiB)`,
          "m",
        ),
      );
      assert.match(log, /^ {2}layer 2\/2 sha256:[a-f0-9]{64} \([\d.]+ (B|KiB|MiB)\)$/m);
      assert.match(log, /^inventory: \d+ Debian, \d+ npm|^inventory: \d+ npm, \d+ Debian/m);
      assert.match(log, /^scanning \d+ package\(s\) of the image/m);
      assert.match(log, /^starting the server/m);
      // Nothing is signed with signing: none, the SBOM included.
      assert.equal(r.outputs["sbom-attestation-digest"], "");
    });

    test("a platform the image is not for is bad input, before anything is attached", async () => {
      const ws = await workspace("platform");
      await assert.rejects(
        runAction(ws, {
          image: image.ref,
          platform: "linux/arm64",
          signing: "key",
          key: key.privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
          "vulnerability-db": osv,
        }),
        (e: unknown) => {
          assert.equal((e as { code?: string }).code, "PLATFORM_NOT_FOUND");
          assert.match((e as Error).message, /linux\/amd64, not linux\/arm64/);
          return true;
        },
      );
    });

    test(
      "signed with a key, the SBOM attestation verifies with cosign verify-attestation --type cyclonedx and decodes to the inventory",
      { skip: COSIGN ? false : "cosign not built (scripts/build-supply-chain-tools.sh)" },
      async () => {
        const ws = await workspace("signed");
        const r = await runAction(ws, {
          image: image.ref,
          signing: "key",
          key: key.privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
          "vulnerability-db": osv,
        });
        const sbomDigest = r.outputs["sbom-attestation-digest"] ?? "";
        assert.match(sbomDigest, /^sha256:[a-f0-9]{64}$/);
        assert.notEqual(sbomDigest, r.outputs.attestation);
        const pinned = `${registry.host}/acme/server-filesystem@${image.digest}`;
        const { stdout } = await exec(
          COSIGN!,
          [
            "verify-attestation",
            "--key",
            "cosign.pub",
            "--insecure-ignore-tlog",
            "--type",
            "cyclonedx",
            "--allow-insecure-registry",
            "--allow-http-registry",
            pinned,
          ],
          { cwd: dir, timeout: 60_000, env: { ...process.env, COSIGN_PASSWORD: "" } },
        );
        // One DSSE envelope per line; --type cyclonedx keeps only the SBOM.
        const statements = stdout
          .trim()
          .split("\n")
          .map((line) => (JSON.parse(line) as { payload: string }).payload)
          .map(
            (p) =>
              JSON.parse(Buffer.from(p, "base64").toString("utf8")) as {
                _type: string;
                subject: { name: string; digest: { sha256: string } }[];
                predicateType: string;
                predicate: CycloneDxBom;
              },
          );
        // One: the run refused for its platform attached nothing.
        assert.equal(statements.length, 1, stdout);
        const statement = statements[0]!;
        assert.equal(statement._type, "https://in-toto.io/Statement/v0.1");
        assert.equal(statement.predicateType, "https://cyclonedx.org/bom");
        assert.deepEqual(statement.subject, [
          {
            name: `${registry.host}/acme/server-filesystem`,
            digest: { sha256: image.digest.replace("sha256:", "") },
          },
        ]);
        const bom = statement.predicate;
        assert.deepEqual(cycloneDxValidator()(bom), []);
        // The payload is the image's inventory, read here on its own.
        const client = new RegistryClient();
        const inventory = await readInventory(client, await pullImage(client, pinned));
        const fileOf = (c: CycloneDxBom["components"][number]) =>
          c.properties?.find((p) => p.name === BOM_PROPERTIES.file)?.value;
        const layerOf = (c: CycloneDxBom["components"][number]) =>
          c.properties?.find((p) => p.name === BOM_PROPERTIES.layer)?.value;
        assert.deepEqual(
          bom.components.map((c) => [c.purl, fileOf(c), layerOf(c)]).sort(),
          inventory.packages.map((p) => [p.purl, p.file, p.layer]).sort(),
        );
        assert.ok(inventory.packages.length > 50, "the npm install is there");
        assert.ok(
          bom.components.some(
            (c) => c.purl === "pkg:deb/debian/jq@1.6-2.1?arch=amd64&distro=debian-12",
          ),
        );
        assert.ok(
          bom.components.some(
            (c) => c.purl === "pkg:npm/%40modelcontextprotocol/server-filesystem@2025.3.28",
          ),
        );
        assert.equal(bom.metadata.component.version, image.digest);
      },
    );
  },
);

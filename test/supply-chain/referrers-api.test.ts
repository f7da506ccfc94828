/**
 * The OCI 1.1 referrers API path, against go-containerregistry's registry with referrers on
 * (built from the Go module proxy by scripts/build-supply-chain-tools.sh): distribution 2.8,
 * used elsewhere, only exercises the fallback index.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createHash, generateKeyPairSync } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { RegistryClient, referrersTag } from "../../supply-chain/registry/client.ts";
import { MEDIA_TYPES } from "../../supply-chain/registry/types.ts";
import { keySigner } from "../../supply-chain/sign/key-signer.ts";
import { signImage } from "../../supply-chain/sign/sign-image.ts";
import { gatherImageFacts } from "../../supply-chain/verify/gather.ts";
import { keyId } from "../../supply-chain/verify/trusted-keys.ts";
import { freePort } from "../e2e/support/webhook-process.ts";
import { encode, findTool, pushImage } from "../support/supply-chain.ts";

const binary = findTool("referrers-registry");

describe(
  "the referrers API",
  {
    skip: binary ? false : "referrers-registry not built (scripts/build-supply-chain-tools.sh)",
    timeout: 60_000,
  },
  () => {
    let child: ChildProcess;
    let host: string;
    const client = new RegistryClient();

    before(async () => {
      const port = await freePort();
      host = `127.0.0.1:${port}`;
      child = spawn(binary!, ["--address", host], { stdio: "ignore" });
      for (let i = 0; i < 100; i++) {
        const up = await fetch(`http://${host}/v2/`).then(
          (r) => r.ok,
          () => false,
        );
        if (up) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error("referrers registry did not start");
    });
    after(() => {
      child?.kill("SIGKILL");
    });

    test("a referrer pushed with a subject is listed by the API, with no fallback tag", async () => {
      const repo = `${host}/mcp/api`;
      const image = await pushImage(client, repo, "v1", `api-${Date.now()}`);
      const referrer = encode({
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.ociManifest,
        artifactType: "application/vnd.example.sbom",
        config: {
          mediaType: MEDIA_TYPES.ociEmpty,
          digest: "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
          size: 2,
        },
        layers: [await client.pushBlob(repo, new TextEncoder().encode("{}"), MEDIA_TYPES.ociEmpty)],
        subject: {
          mediaType: image.manifest.mediaType,
          digest: image.manifest.digest,
          size: image.manifest.size,
        },
      });
      // Pushed by digest only: nothing but the registry's own index can list it.
      await client.pushManifest(
        repo,
        `sha256:${createHash("sha256").update(referrer).digest("hex")}`,
        referrer,
        MEDIA_TYPES.ociManifest,
      );
      assert.equal(await client.findManifest(repo, referrersTag(image.manifest.digest)), undefined);
      const listed = await client.referrers(repo, image.manifest.digest);
      assert.equal(listed.length, 1);
    });

    test("signatures are found and verified through the API", async () => {
      const repo = `${host}/mcp/signed`;
      const image = await pushImage(client, repo, "v1", `signed-${Date.now()}`);
      const ref = `${repo}@${image.manifest.digest}`;
      const key = generateKeyPairSync("ec", { namedCurve: "P-256" });
      await signImage(client, ref, keySigner(key.privateKey), new Date());
      const facts = await gatherImageFacts(client, ref, {
        keys: [{ id: keyId(key.publicKey), key: key.publicKey }],
      });
      assert.deepEqual(facts.verifiedSignatures, [{ signer: keyId(key.publicKey) }]);
    });
  },
);

/** Key-based signing with and without a transparency-log entry (Rekor from @sigstore/mock on loopback). */
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { after, before, test } from "node:test";
import { keySigner } from "../../../supply-chain/sign/key-signer.ts";
import { transparencyWitnesses } from "../../../supply-chain/sign/keyless-signer.ts";
import { signStatement } from "../../../supply-chain/sign/statement-bundle.ts";
import { checkBundle } from "../../../supply-chain/verify/bundle-check.ts";
import { keyId } from "../../../supply-chain/verify/trusted-keys.ts";
import { startSigstoreMock, type SigstoreMock } from "../../support/sigstore-mock.ts";

const digest = `sha256:${"ab".repeat(32)}`;
const statement = {
  _type: "https://in-toto.io/Statement/v1",
  subject: [{ digest: { sha256: digest.slice(7) } }],
  predicateType: "https://sigstore.dev/cosign/sign/v1",
  predicate: {},
};
let sigstore: SigstoreMock;
before(async () => {
  sigstore = await startSigstoreMock();
});
after(() => sigstore?.stop());

test("a key-based signature with and without a Rekor entry; both verify with the key", async () => {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const keys = [{ id: keyId(publicKey), key: publicKey }];
  const plain = await signStatement(statement, keySigner(privateKey));
  assert.equal(plain.verificationMaterial?.tlogEntries?.length ?? 0, 0);
  const logged = await signStatement(
    statement,
    keySigner(privateKey),
    transparencyWitnesses({ rekorURL: sigstore.url, rekorEntryType: "intoto" }),
  );
  assert.equal(logged.verificationMaterial?.tlogEntries?.length, 1);
  assert.ok(sigstore.requests.some((r) => r.startsWith("POST /api/v1/log/entries")));
  for (const bundle of [plain, logged]) assert.equal(checkBundle(bundle, keys, digest).ok, true);
});

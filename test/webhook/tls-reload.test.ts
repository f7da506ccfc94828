import assert from "node:assert/strict";
import { mkdtempSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { X509Certificate } from "node:crypto";
import { issueServingCert, makeTestCA } from "../e2e/support/certs.ts";
import { servedSerial, startWebhookProcess } from "../e2e/support/webhook-process.ts";

test("mcp-warden serve picks up a rotated certificate without restarting", async () => {
  const ca = await makeTestCA();
  const first = await issueServingCert(ca, { ipAddresses: ["127.0.0.1"] });
  const webhook = await startWebhookProcess({ cert: first.cert, key: first.key, ca: ca.cert });
  after(() => webhook.stop());
  assert.match(await webhook.waitForLog(/serving with empty cluster state/), /empty cluster state/);

  const certFile = /--tls-cert=(\S+)/.exec(webhook.args.join(" "))?.[1];
  const keyFile = /--tls-key=(\S+)/.exec(webhook.args.join(" "))?.[1];
  assert.ok(certFile && keyFile);
  const before = await servedSerial(webhook.port, ca.cert);
  assert.equal(before.toLowerCase(), new X509Certificate(first.cert).serialNumber.toLowerCase());

  // Rotate as a mounted Secret does: new files renamed into place.
  const second = await issueServingCert(ca, { ipAddresses: ["127.0.0.1"] });
  const staging = mkdtempSync(join(tmpdir(), "mcp-warden-rotate-"));
  writeFileSync(join(staging, "k"), second.key);
  writeFileSync(join(staging, "c"), second.cert);
  renameSync(join(staging, "k"), keyFile);
  renameSync(join(staging, "c"), certFile);

  const expected = new X509Certificate(second.cert).serialNumber.toLowerCase();
  const deadline = Date.now() + 15_000;
  let served = before;
  while (served.toLowerCase() !== expected && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    served = await servedSerial(webhook.port, ca.cert);
  }
  assert.equal(served.toLowerCase(), expected);
  await webhook.waitForLog(/TLS certificate reloaded/);

  // A broken pair is refused and the served certificate stays.
  writeFileSync(certFile, "not a certificate");
  await webhook.waitForLog(/cannot be loaded; keeping the previous certificate/);
  assert.equal((await servedSerial(webhook.port, ca.cert)).toLowerCase(), expected);
});

/**
 * What the gateway reads from agents and servers outside JSON-RPC bodies: SSE events and the
 * Mcp-Method/Mcp-Name headers. Any text gives an answer or a typed error, never a TypeError.
 */
import { test } from "node:test";
import fc from "fast-check";
import { checkHeaders, decodeHeaderValue } from "../../../gateway/protocol.ts";
import { parseEvent } from "../../../gateway/sse.ts";
import { WardenError } from "../../../policies/errors.ts";
import { fuzz, returnsOrThrowsTyped } from "../../support/fuzz.ts";
import { hostileString, mutateText, textMutation, wrongValue } from "../../support/fuzz-json.ts";

const TYPED = [WardenError];

test("SSE events and Mcp-Method/Mcp-Name headers: any text is an answer", async (t) => {
  const event = 'event: message\nid: 7\ndata: {"jsonrpc":"2.0","id":1,"result":{}}\n';
  await fuzz(
    t,
    fc.property(
      fc.array(textMutation, { maxLength: 4 }),
      wrongValue,
      fc.dictionary(
        fc.constantFrom("mcp-method", "mcp-name", "mcp-protocol-version"),
        hostileString,
      ),
      (m, message, headers) => {
        returnsOrThrowsTyped(() => parseEvent(mutateText(event, m)), TYPED);
        returnsOrThrowsTyped(() => decodeHeaderValue(headers["mcp-name"] ?? ""), TYPED);
        const body =
          typeof message === "object" && message !== null && !Array.isArray(message)
            ? (message as Record<string, unknown>)
            : { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: message } };
        returnsOrThrowsTyped(() => checkHeaders(body, (n) => headers[n]), TYPED);
      },
    ),
    200,
  );
});

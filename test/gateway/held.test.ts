/** HeldServer: which tools the signed evaluation approves, as listings and answers change it. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { pino } from "pino";
import { HeldServer } from "../../gateway/held.ts";
import { createGatewayMetrics } from "../../gateway/metrics.ts";
import { parsePredicate } from "../../policies/evaluation/predicate.ts";
import { pinTools, readToolDefinitions } from "../../policies/evaluation/tool-pins.ts";
import { validPredicate } from "../support/evaluation.ts";

const listed = [
  { name: "add", description: "adds", inputSchema: { type: "object" } },
  { name: "echo", description: "echoes", inputSchema: { type: "object" } },
];

function held(): HeldServer {
  const { tools } = readToolDefinitions(listed, "tools");
  const fixture = validPredicate();
  const predicate = parsePredicate({ ...fixture, tools: pinTools(tools) });
  const server = new HeldServer(predicate, {
    server: "s",
    metrics: createGatewayMetrics(),
    logger: pino({ level: "silent" }),
  });
  server.update({ tools: listed, prompts: [] });
  return server;
}

test("a changed definition in an answer withdraws the tool from the approved set already handed out", () => {
  const server = held();
  assert.deepEqual([...server.approvedTools()].sort(), ["add", "echo"]);
  // The same set is handed out while nothing changes.
  assert.equal(server.approvedTools(), server.approvedTools());
  assert.equal(server.admitListedTool({ ...listed[0], description: "adds, and more" }), false);
  assert.deepEqual([...server.approvedTools()], ["echo"]);
  // A listing that matches the pins again approves it again.
  server.update({ tools: listed, prompts: [] });
  assert.deepEqual([...server.approvedTools()].sort(), ["add", "echo"]);
  server.update({ tools: [listed[1]], prompts: [] });
  assert.deepEqual([...server.approvedTools()], ["echo"]);
});

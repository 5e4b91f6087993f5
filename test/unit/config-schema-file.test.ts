import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test } from "node:test";
import { configJsonSchema } from "../../src/config/json-schema.ts";

test("schema/grayctl.schema.json equals the validator's schema (run `npm run schema` after changing it)", async () => {
  const shipped = JSON.parse(await readFile(new URL("../../schema/grayctl.schema.json", import.meta.url), "utf8"));
  assert.deepEqual(shipped, configJsonSchema());
});

test("the JSON Schema describes the contract fields", () => {
  const schema = configJsonSchema() as {
    properties: Record<string, { properties?: Record<string, unknown> }>;
    required: string[];
  };
  assert.deepEqual(schema.required, ["app"]);
  for (const field of ["app", "namespace", "image", "deployment", "traffic", "rollout", "analysis"])
    assert.ok(schema.properties[field], field);
  assert.ok(schema.properties.rollout.properties?.steps);
  assert.ok(schema.properties.traffic.properties?.router);
});

// Regenerates schema/grayctl.schema.json from the zod schema. A test fails
// when the committed file and the validator disagree; run `npm run schema`.
import { writeFileSync } from "node:fs";
import { configJsonSchema } from "../src/config/json-schema.ts";

const target = new URL("../schema/grayctl.schema.json", import.meta.url);
writeFileSync(target, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
console.log(`wrote ${target.pathname}`);

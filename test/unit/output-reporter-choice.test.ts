import assert from "node:assert/strict";
import { test } from "node:test";
import { createReporter } from "../../src/output/index.ts";
import { PlainReporter } from "../../src/output/plain.ts";
import { TtyReporter } from "../../src/output/tty.ts";

const sink = (extra: { isTTY?: boolean; columns?: number } = {}) => ({ write: () => true, ...extra });

test("a terminal with columns gets spinners; one that reports zero columns gets plain lines (ora would redraw without end)", () => {
  const make = (stderr: ReturnType<typeof sink>) =>
    createReporter({ format: "text", stdout: sink(), stderr, env: { TERM: "xterm" } });
  assert.ok(make(sink({ isTTY: true, columns: 80 })) instanceof TtyReporter);
  assert.ok(make(sink({ isTTY: true, columns: 0 })) instanceof PlainReporter);
  assert.ok(make(sink({ isTTY: false })) instanceof PlainReporter);
});

test("NO_COLOR on a terminal gets plain lines: a spinner is escape sequences, coloured or not (decision 029)", () => {
  const make = (env: Record<string, string>) =>
    createReporter({ format: "text", stdout: sink(), stderr: sink({ isTTY: true, columns: 80 }), env });
  assert.ok(make({ TERM: "xterm", NO_COLOR: "1" }) instanceof PlainReporter);
  assert.ok(make({ TERM: "xterm", NO_COLOR: "" }) instanceof TtyReporter, "an empty NO_COLOR is unset (no-color.org)");
});

// The GitHub Action's own code (action/*.mjs): inputs become an argument array
// without a shell, and the kubeconfig secret becomes a private file holding
// exactly its bytes, masked first.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { grayctlArgv, splitArgs } from "../../action/argv.mjs";
import { escapeData, maskCommands, writeKubeconfig } from "../../action/kubeconfig.mjs";

const HOSTILE = `apiVersion: v1
# "double" 'single' $(touch /tmp/grayctl-pwned) \`id\` ; rm -rf ~ && echo $HOME %0A\\n
users:
  - name: ci
    user:
      token: "tok'en$(whoami)\`id\`-0123456789"
      client-key-data: LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0t
`;

test("args: split on whitespace and newlines, quotes group, nothing is expanded", () => {
  const table: [string, string[]][] = [
    ["", []],
    ["--supersede", ["--supersede"]],
    ["--set rollout.interval=30s\n--force", ["--set", "rollout.interval=30s", "--force"]],
    [`--set 'rollout.steps=[5, 50, 100]'`, ["--set", "rollout.steps=[5, 50, 100]"]],
    [`--reason "deploy freeze: $(date)"`, ["--reason", "deploy freeze: $(date)"]],
    ["--reason `id` $HOME *", ["--reason", "`id`", "$HOME", "*"]],
    [`--reason ""`, ["--reason", ""]],
  ];
  for (const [input, words] of table) assert.deepEqual(splitArgs(input), words, input);
  assert.throws(() => splitArgs(`--reason "open`), /args: unterminated " quote/);
});

test("inputs → argv: globals before the command, --image after it, extra args last", () => {
  const argv = grayctlArgv({
    INPUT_COMMAND: "rollout",
    INPUT_CONFIG: "deploy/grayctl.yaml",
    INPUT_NAMESPACE: " shop ",
    INPUT_IMAGE: "registry/app@sha256:abc",
    INPUT_ARGS: "--supersede",
  });
  assert.deepEqual(argv, [
    "--config",
    "deploy/grayctl.yaml",
    "--namespace",
    "shop",
    "rollout",
    "--image",
    "registry/app@sha256:abc",
    "--supersede",
  ]);
  assert.deepEqual(grayctlArgv({}), ["rollout"]);
  assert.throws(() => grayctlArgv({ INPUT_COMMAND: "rollout; rm -rf /" }), /command: .* is not a grayctl command/);
});

test("the kubeconfig file: the input's exact bytes, mode 0600, in a fresh 0700 directory, removed afterwards", async () => {
  const parent = await mkdtemp(join(tmpdir(), "grayctl-action-unit-"));
  try {
    const first = writeKubeconfig(HOSTILE, parent);
    const second = writeKubeconfig(HOSTILE, parent);
    assert.notEqual(dirname(first.path), dirname(second.path), "a directory of its own each time");
    assert.deepEqual(readFileSync(first.path), Buffer.from(HOSTILE));
    assert.equal(statSync(first.path).mode & 0o777, 0o600);
    assert.equal(statSync(dirname(first.path)).mode & 0o777, 0o700);
    first.remove();
    second.remove();
    assert.deepEqual(readdirSync(parent), []);
  } finally {
    await rm(parent, { recursive: true, force: true });
  }
});

test("masking: the whole content (escaped as one command) and each credential on its own", () => {
  const commands = maskCommands(HOSTILE);
  assert.equal(commands[0], `::add-mask::${escapeData(HOSTILE.trim())}\n`);
  assert.ok(commands.every((line) => line.startsWith("::add-mask::") && line.indexOf("\n") === line.length - 1));
  assert.ok(commands.includes("::add-mask::tok'en$(whoami)`id`-0123456789\n"), commands.join(""));
  assert.ok(commands.includes("::add-mask::LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0t\n"));
  assert.ok(!commands.includes("::add-mask::v1\n"), "short values would star out ordinary words");
  assert.equal(escapeData("100%\r\nok"), "100%25%0D%0Aok");
});

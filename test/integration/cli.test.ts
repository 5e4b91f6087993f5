import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { BROKEN_CONFIGS } from "../fixtures/broken-configs.ts";
import { BIN, runCli, UNBUNDLED } from "../helpers/cli.ts";

const ANSI = "\u001b[";
const pkg = JSON.parse(await readFile(new URL("../../package.json", import.meta.url), "utf8"));
let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "grayctl-cli-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test("--version prints the package version", async () => {
  const result = await runCli(["--version"]);
  assert.equal(result.code, 0);
  assert.equal(result.stdout.trim(), pkg.version);
});

test("--help lists the commands and loads neither the Kubernetes client nor dockerode", async () => {
  const trace = join(dir, "imports.txt");
  const hook = fileURLToPath(new URL("../helpers/trace-imports.mjs", import.meta.url));
  const run = spawnSync(process.execPath, ["--import", hook, BIN, "--help"], {
    env: { ...process.env, ...UNBUNDLED, TRACE_IMPORTS_FILE: trace },
    encoding: "utf8",
  });
  assert.equal(run.status, 0, run.stderr);
  for (const command of ["init", "validate"]) assert.match(run.stdout, new RegExp(`^  ${command}\\b`, "m"));
  const loaded = await readFile(trace, "utf8");
  assert.ok(loaded.includes("commander"), "the trace hook saw commander, so it works");
  assert.doesNotMatch(loaded, /@kubernetes\/client-node|dockerode/);
});

const SUBCOMMANDS = [
  "init",
  "validate",
  "build",
  "rollout",
  "plan",
  "rollback",
  "abort",
  "status",
  "history",
  "promote",
  "resume",
  "guard",
];

test("every subcommand's --help shows the global flags and the exit codes", async () => {
  const top = await runCli(["--help"]);
  // The list above is the program's whole list: a new command is not left out of this test.
  const commands = top.stdout.slice(top.stdout.indexOf("Commands:"));
  const listed = [...commands.matchAll(/^ {2}([a-z-]+)\b/gm)]
    .map((match) => match[1])
    .filter((name) => name !== "help");
  assert.deepEqual(listed.sort(), [...SUBCOMMANDS].sort());
  for (const command of SUBCOMMANDS) {
    const help = await runCli([command, "--help"]);
    assert.equal(help.code, 0, `${command}: ${help.stderr}`);
    const globals = help.stdout.slice(help.stdout.indexOf("Global Options:"));
    for (const flag of [
      "--config",
      "--namespace",
      "--context",
      "--kubeconfig",
      "--output",
      "--verbose",
      "--quiet",
      "--set",
      "--actor",
    ])
      assert.match(globals, new RegExp(`${flag}\\b`), `${command} --help names the global ${flag}`);
    const codes = help.stdout.slice(help.stdout.indexOf("Exit codes:"));
    for (const code of [0, 1, 2, 3, 4, 5, 6])
      assert.match(codes, new RegExp(`^  ${code}  \\S`, "m"), `${command}: exit ${code}`);
  }
});

test("an unknown command or flag is a usage error (exit 2)", async () => {
  assert.equal((await runCli(["deploy-everything"])).code, 2);
  assert.equal((await runCli(["validate", "--frobnicate"])).code, 2);
  const badOutput = await runCli(["validate", "--output", "yaml"]);
  assert.equal(badOutput.code, 2);
  assert.match(badOutput.stderr, /--output: "yaml" is not one of text, json/);
});

test("validate exits 2 with the location and path for every broken config of the table", async () => {
  for (const [index, broken] of BROKEN_CONFIGS.entries()) {
    const file = join(dir, `broken-${index}.yaml`);
    await writeFile(file, broken.yaml);
    const args = [
      "validate",
      "--config",
      file,
      ...(broken.sets ?? []).flatMap((s) => ["--set", s]),
      ...(broken.namespace === undefined ? [] : ["-n", broken.namespace]),
    ];
    const result = await runCli(args, { cwd: dir, env: broken.env });
    assert.equal(result.code, 2, `${broken.name}: ${result.stderr}`);
    const location = broken.location.replace("grayctl.yaml", `broken-${index}.yaml`);
    assert.ok(result.stderr.includes(location), `${broken.name}: ${location} missing in ${result.stderr}`);
    if (broken.path) assert.ok(result.stderr.includes(broken.path), `${broken.name}: ${broken.path} missing`);
    assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
  }
});

test("a missing configuration names the way out", async () => {
  const result = await runCli(["validate"], { cwd: dir });
  assert.equal(result.code, 2);
  assert.match(result.stderr, /no configuration at .*grayctl\.yaml/);
  assert.match(result.stderr, /grayctl init/);
});

for (const router of ["nginx", "istio", "gateway-api", "replicas"]) {
  test(`init --router ${router} writes a config that validate accepts`, async () => {
    const workdir = await mkdtemp(join(dir, `init-${router}-`));
    const init = await runCli(
      ["init", "--app", "checkout", "--image", "localhost:5000/shop/checkout", "--router", router],
      { cwd: workdir },
    );
    assert.equal(init.code, 0, init.stderr);
    const validate = await runCli(["validate", "--output", "json"], { cwd: workdir });
    assert.equal(validate.code, 0, validate.stdout + validate.stderr);
    const result = JSON.parse(validate.stdout.trim().split("\n").pop()!);
    assert.equal(result.outcome, "valid");
    assert.equal(result.router, router);
    const again = await runCli(["init"], { cwd: workdir });
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already exists[\s\S]*--force/);
    assert.equal((await runCli(["init", "--force", "--router", router], { cwd: workdir })).code, 0);
  });
}

// issue 23, strict input: flags are held to the grammar their config fields are (no cluster or registry is asked).
for (const [args, says] of [
  [["rollout", "--image", "local host/shop:v1"], /--image: "local host\/shop:v1" is not an image reference/],
  [["rollout", "--image", "shop$(id):v1"], /--image: "shop\$\(id\):v1" is not an image reference/],
  [["rollout", "--image", "Registry.example.com/Shop:v1@sha256:12"], /--image: .* is not an image reference/],
  [["plan", "--image", "shop:v1 --privileged"], /--image: "shop:v1 --privileged" is not an image reference/],
  [["rollout", "--dry-run", "--image", "shop:`id`"], /--image: "shop:`id`" is not an image reference/],
  [["init", "--force", "--app", "2048-game"], /--app: "2048-game" is not an app name: a DNS-1035 label/],
  [["init", "--force", "--app", "shop", "--image", "shop$(id)"], /--image: "shop\$\(id\)" is not an image repository/],
  [
    ["-n", "shop\nimage: {repository: x}", "init", "--force", "--app", "shop"],
    /-n\/--namespace: .* is not a namespace name/,
  ],
] as const) {
  test(`strict flags: grayctl ${args.join(" ")} exits 2 naming the flag`, async () => {
    const workdir = await mkdtemp(join(dir, "strict-"));
    await writeFile(join(workdir, "grayctl.yaml"), "app: shop\nnamespace: shop\n");
    const result = await runCli([...args], { cwd: workdir, env: { KUBECONFIG: join(workdir, "none") } });
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, says);
    assert.doesNotMatch(result.stderr, /internal error|\n\s+at /);
    if ((args as readonly string[]).includes("init"))
      assert.equal(await readFile(join(workdir, "grayctl.yaml"), "utf8"), "app: shop\nnamespace: shop\n");
  });
}

test("--output json writes only JSON lines, the last being the result", async () => {
  const workdir = await mkdtemp(join(dir, "json-"));
  await writeFile(join(workdir, "grayctl.yaml"), "app: checkout\nrollout:\n  steps: [5, 200]\n");
  const result = await runCli(["validate", "-o", "json", "--verbose"], { cwd: workdir });
  assert.equal(result.code, 2);
  const lines = result.stdout.trim().split("\n");
  const events = lines.map((line) => JSON.parse(line));
  assert.equal(events.at(-1).type, "result");
  assert.equal(events.at(-1).outcome, "error");
  assert.match(events.at(-1).error, /rollout\.steps\[1\]: 200 is above 100/);
});

test("NO_COLOR beats FORCE_COLOR; FORCE_COLOR colours non-TTY output", async () => {
  const workdir = await mkdtemp(join(dir, "color-"));
  await writeFile(join(workdir, "grayctl.yaml"), "app: Bad_Name\n");
  const forced = await runCli(["validate"], { cwd: workdir, env: { FORCE_COLOR: "1" } });
  assert.ok(forced.stderr.includes(ANSI), "coloured");
  const none = await runCli(["validate"], { cwd: workdir, env: { FORCE_COLOR: "1", NO_COLOR: "1" } });
  assert.ok(!none.stderr.includes(ANSI), "not coloured");
  const plain = await runCli(["validate"], { cwd: workdir });
  assert.ok(!plain.stderr.includes(ANSI), "not coloured");
  assert.match(plain.stderr, /^\d{4}-\d\d-\d\dT\S+ error grayctl\.yaml:1:6 app:/m);
});

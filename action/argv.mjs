// Turns the action's inputs into grayctl's argv. The extra arguments are split
// here, without a shell: quotes group words, and nothing is expanded, so an
// input holding `$(…)` or backticks is passed on as those very characters.

/** Splits on whitespace; '…' and "…" keep spaces; no escapes, no expansion. */
export function splitArgs(text) {
  const words = [];
  let word;
  let quote;
  for (const char of text) {
    if (quote) {
      if (char === quote) quote = undefined;
      else word += char;
    } else if (char === "'" || char === '"') {
      quote = char;
      word ??= "";
    } else if (/\s/.test(char)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else {
      word = (word ?? "") + char;
    }
  }
  if (quote) throw new Error(`args: unterminated ${quote} quote in ${JSON.stringify(text)}`);
  if (word !== undefined) words.push(word);
  return words;
}

/** The input NAME as the runner passes it: INPUT_NAME, trimmed (as @actions/core does). */
export function input(env, name) {
  return (env[`INPUT_${name.toUpperCase()}`] ?? "").trim();
}

export function grayctlArgv(env) {
  const command = input(env, "command") || "rollout";
  if (!/^[a-z-]+$/.test(command)) throw new Error(`command: ${JSON.stringify(command)} is not a grayctl command`);
  const argv = [];
  const config = input(env, "config");
  const namespace = input(env, "namespace");
  if (config) argv.push("--config", config);
  if (namespace) argv.push("--namespace", namespace);
  argv.push(command);
  const image = input(env, "image");
  if (image) argv.push("--image", image);
  argv.push(...splitArgs(env.INPUT_ARGS ?? ""));
  return argv;
}

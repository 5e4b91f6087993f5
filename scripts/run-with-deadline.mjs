// Runs a test command in its own process group with a deadline. A suite that
// hangs (a hook that never returns, a process that never exits) must fail the
// run within minutes with a message naming the stage, not hold CI until its
// hard limit: the group — the runner and every test file process it spawned —
// gets SIGTERM at the deadline and SIGKILL 10 s later. Ctrl-C and SIGTERM are
// passed on to the group, which is detached from the terminal.
import { spawn } from "node:child_process";

export function runWithDeadline(stage, args, { env, deadlineMinutes }) {
  const child = spawn(process.execPath, args, { stdio: "inherit", env, detached: true });
  const signalGroup = (signal) => {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // the group is gone already
    }
  };
  let timedOut = false;
  const deadline = setTimeout(() => {
    timedOut = true;
    console.error(`${stage}: still running after ${deadlineMinutes} min — stopping it; a suite or hook above hangs`);
    signalGroup("SIGTERM");
    setTimeout(() => signalGroup("SIGKILL"), 10_000).unref();
  }, deadlineMinutes * 60_000);
  const forward = (signal) => () => signalGroup(signal);
  process.on("SIGINT", forward("SIGINT"));
  process.on("SIGTERM", forward("SIGTERM"));
  return new Promise((resolve) =>
    child.once("exit", (code, signal) => {
      clearTimeout(deadline);
      // Test files the runner left behind go with it.
      signalGroup("SIGKILL");
      resolve(timedOut ? 124 : (code ?? (signal ? 1 : 0)));
    }),
  );
}

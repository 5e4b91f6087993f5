// The reporter of one target of a release in waves (issue 22): every line it
// writes is prefixed by the target's name (`[eu-west] step 2/3 …`), and every
// JSON event carries `target`. A target's own result is an event: the release
// has one result, written by the release.
import type { BaseReporter } from "../../output/reporter.ts";
import type { EventLevel, Fields, Progress } from "../../output/types.ts";

export function targetReporter(parent: BaseReporter, target: string): BaseReporter {
  const tag = (text: string) => `[${target}] ${text}`;
  const with_ = (fields?: Fields) => ({ ...fields, target });
  // Everything else (the redactor, redact(), the CI integrations) is the parent's own: one set of secrets for the run.
  const child = Object.create(parent) as BaseReporter;
  Object.assign(child, {
    info: (message: string, fields?: Fields) => parent.info(tag(message), with_(fields)),
    warn: (message: string, fields?: Fields) => parent.warn(tag(message), with_(fields)),
    debug: (message: string, fields?: Fields) => parent.debug(tag(message), with_(fields)),
    event: (type: string, fields: Fields, text?: string, level?: EventLevel) =>
      parent.event(type, with_(fields), text === undefined ? undefined : tag(text), level),
    start: (kind: string, text: string): Progress => {
      const progress = parent.start(kind, tag(text));
      return {
        update: (next, state) => progress.update(tag(next), state === undefined ? undefined : tag(state)),
        succeed: (next, fields) => progress.succeed(tag(next), with_(fields)),
        fail: (next, fields) => progress.fail(tag(next), with_(fields)),
      };
    },
    result: (outcome: string, fields: Fields, text: string) =>
      parent.event(
        "target-result",
        { ...with_(fields), outcome },
        tag(text),
        outcome === "promoted" || outcome === "deployed" || outcome === "unchanged" ? "info" : "warn",
      ),
  });
  return child;
}

// Pure: the image tag for a revision under the configured policies.
import { BuildUserError } from "./errors.ts";
import type { ResolvedRevision } from "./revision.ts";
import type { ImageSettings } from "./settings.ts";

const shownPaths = 5;

export function tagFor(revision: ResolvedRevision, settings: Pick<ImageSettings, "tag" | "dirty" | "context">): string {
  const base = baseTag(revision, settings.tag);
  if (!revision.dirty) return base;
  if (settings.dirty === "suffix") return `${base}-dirty`;
  const listed = revision.changedPaths.slice(0, shownPaths).map((path) => `  ${path}`);
  const more =
    revision.changedPaths.length > shownPaths ? [`  … and ${revision.changedPaths.length - shownPaths} more`] : [];
  throw new BuildUserError(
    [
      `uncommitted changes in ${settings.context}; an image tagged ${base} would not match that commit:`,
      ...listed,
      ...more,
    ].join("\n"),
    "Commit or stash the changes, or set image.dirty: suffix to build a -dirty image",
  );
}

function baseTag(revision: ResolvedRevision, policy: ImageSettings["tag"]): string {
  switch (policy) {
    case "commit":
      return revision.commit;
    case "abbrev-commit":
      return revision.abbrev;
    case "tree":
      if (!revision.tree) throw new BuildUserError("image.tag: tree needs the context directory committed in git");
      return revision.tree;
  }
}

// The package's own files (package.json, templates/) as text. In grayctl's
// single binary (Node's single-executable application, scripts/build-binary.mjs)
// there is no package folder: the build embeds these files as the binary's
// assets under their package-relative paths, and they are read from there.
import { readFileSync } from "node:fs";
import { getAsset, isSea } from "node:sea";

/**
 * `path` is relative to the package root; `url` locates it beside the running
 * module (a function, so that the binary, whose bundle has no import.meta.url,
 * never evaluates it).
 */
export function packageFileText(path: string, url: () => URL): string {
  if (isSea()) return getAsset(path, "utf8");
  return readFileSync(url(), "utf8");
}

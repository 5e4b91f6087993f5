import { access } from "node:fs/promises";

/** Whether a path exists (a file init must not overwrite without --force). */
export async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

// templates/rbac.yaml and rbac-readonly.yaml are written for the sample app
// `checkout` (so that they apply as they are, and read as a real example): the
// state ConfigMap and the Lease are named after the app, and the Roles grant
// get/update/delete on those names only. This fills in another app's name.
import { packageFileText } from "../package-files.ts";

export const SAMPLE_APP = "checkout";

/** The template's text for `app`: every `checkout` (names, resourceNames and the comments naming them) replaced. */
export function rbacForApp(template: string, app: string): string {
  if (!template.includes(`${SAMPLE_APP}-grayctl`))
    throw new Error(`templates: expected "${SAMPLE_APP}-grayctl" in the RBAC template`);
  return template.replaceAll(SAMPLE_APP, app);
}

/** Reads templates/NAME (rbac.yaml or rbac-readonly.yaml) for `app`. */
export async function readRbacTemplate(name: "rbac.yaml" | "rbac-readonly.yaml", app: string): Promise<string> {
  // src/cli/shared and dist's chunks are both three levels below the package root.
  const text = packageFileText(`templates/${name}`, () => new URL(`../../../templates/${name}`, import.meta.url));
  return rbacForApp(text, app);
}

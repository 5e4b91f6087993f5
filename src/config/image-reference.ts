// The Docker reference grammar (github.com/distribution/reference, the one
// `docker pull` and registries use), so that image.repository and --image are
// refused here, with the field named, and never reach a registry URL, a Docker
// API call or a Deployment as `local host/shop` or `shop$(id)`.
//
//   reference  := name [ ":" tag ] [ "@" digest ]
//   name       := [domain "/"] path-component ["/" path-component]*
//   domain     := host [":" port]     host: DNS name, IPv4 or [IPv6]
//   path-component := [a-z0-9]+ ( ([._]|__|-+) [a-z0-9]+ )*
//   tag        := [\w][\w.-]{0,127}
//   digest     := algorithm ":" hex (sha256: 64 hex digits)

const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const HOST = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])`;
const DOMAIN = `${HOST}(?::[0-9]+)?`;
const PATH_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const NAME = `(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const TAG = "[\\w][\\w.-]{0,127}";
const DIGEST = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";

const REPOSITORY = new RegExp(`^${NAME}$`);
const REFERENCE = new RegExp(`^(${NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`);
// The reference grammar caps a name at 255 characters.
const NAME_MAX = 255;

/** What is wrong with `text` as an image repository (no tag, no digest); undefined when it is one. */
export function repositoryProblem(text: string): string | undefined {
  if (text.length > NAME_MAX) return `is longer than ${NAME_MAX} characters`;
  if (REPOSITORY.test(text)) return undefined;
  if (REFERENCE.test(text)) return "carries a tag or digest; grayctl sets the tag from git (give the repository alone)";
  return "is not an image repository: lower-case path components of letters, digits and . _ - separated by /, after an optional registry host[:port] (e.g. registry.example.com/shop/checkout)";
}

/** What is wrong with `text` as an image reference (repository[:tag][@digest]); undefined when it is one. */
export function referenceProblem(text: string): string | undefined {
  const match = REFERENCE.exec(text);
  if (!match) {
    return "is not an image reference: repository[:tag][@sha256:…], e.g. registry.example.com/shop/checkout:v2 (lower-case repository, tag of letters, digits, _ . -)";
  }
  if (match[1].length > NAME_MAX) return `has a repository longer than ${NAME_MAX} characters`;
  return undefined;
}

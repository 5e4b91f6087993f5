// The paced load generator lives with the sandbox's traffic layer, since
// `npm run demo` uses it too; the suites keep importing it from here.
export * from "../../sandbox/traffic/paced-load.ts";

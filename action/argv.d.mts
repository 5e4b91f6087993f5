// Types for the tests that import the action's plain JavaScript.
export function splitArgs(text: string): string[];
export function input(env: Record<string, string | undefined>, name: string): string;
export function grayctlArgv(env: Record<string, string | undefined>): string[];

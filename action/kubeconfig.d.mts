// Types for the tests that import the action's plain JavaScript.
export function escapeData(value: string): string;
export function maskCommands(content: string): string[];
export function writeKubeconfig(content: string, parent?: string): { path: string; remove(): void };

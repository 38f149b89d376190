// Types of scripts/dist.mjs (the compiled CLI's build and freshness check), for the TypeScript that uses it.
export const ROOT: string;
export const BUNDLE: string;
export function inputSignature(): string;
export function bundleSignature(file?: string): string | undefined;
export function isFresh(): boolean;
export function buildDist(): Promise<boolean>;
export function ensureDist(): Promise<string | undefined>;
export function loadMain(): Promise<(argv: string[]) => Promise<number>>;

// The inventory's two shapes: what the user writes (HiveConfig, mirrors schema/hive.schema.json)
// and what every later layer reads (ResolvedHive: defaults applied, paths absolute, names checked).
// Precedence for every instance field: the instance's own value > `defaults` > built-in (user root,
// port 22, no via, no store, no tags, no host keys). `ssh` options merge key by key, instance keys winning.
// Imported instances (`inventory`) merge into `instances`; `overrides` replace fields of any instance.

/** ssh_config options: `{ IdentityFile: '~/.ssh/deploy', ServerAliveInterval: 15 }`. */
export type SshOptions = Record<string, string | number | boolean>;

/** Nix search-path entries: `{ nixpkgs: './nixpkgs' }` → `-I nixpkgs=…`. */
export type SearchPaths = Record<string, string>;

/** An HTTP health check: GET http://<instance address>:<port><path> from the deployer. */
export interface HttpCheckConfig {
  port: number;
  path?: string;
  /** Expected status (default 200). */
  expect?: number;
}

/** One health check (mirrors `#/definitions/check`): either `cmd` (on the host) or `http` (from the deployer). */
export interface CheckConfig {
  name: string;
  cmd?: string[];
  http?: HttpCheckConfig;
  /** Seconds one attempt may take (default 10). */
  timeout?: number;
  /** Further attempts after a failed one (default 3). */
  retries?: number;
  /** Seconds between attempts (default 2). */
  interval?: number;
}

/** Where and how systems are built (hive level, overridden key by key by a system's own). */
export interface BuildSettings {
  /** An instance of the hive, or an `ssh-ng://[user@]host[:port]` URI: the systems are realised there. */
  host?: string;
  /** Nix's `builders` setting for the local build, or a list of machine lines. */
  builders?: string | string[];
  /** `--max-jobs` for the local build (0: only on `builders`). */
  maxJobs?: number;
}

export interface SystemConfig {
  /** Required unless `flake` is set. */
  modules?: string[];
  /** `'<flake-ref>#<name>'`: builds `nixosConfigurations.<name>` of that flake instead of `modules`. */
  flake?: string;
  paths?: SearchPaths;
  system?: string;
  checks?: CheckConfig[];
  confirmTimeout?: number;
  keys?: Record<string, KeyConfig>;
  build?: BuildSettings;
}

/**
 * A secret delivered to an instance, never through the Nix store (mirrors `#/definitions/key`): exactly one
 * source (`text`, `file` relative to the config, or `command` run on the deployer, its stdout the content),
 * a destination (`path`, or `destDir` + the key's name), owner and mode. Merged by name: instance > system >
 * defaults.
 */
export interface KeyConfig {
  text?: string;
  file?: string;
  command?: string[];
  path?: string;
  destDir?: string;
  user?: string;
  group?: string;
  mode?: string;
  uploadAt?: KeyUploadAt;
}

export type KeyUploadAt = 'pre-activation' | 'post-activation';

/** The signing key: a file path (relative to the config), or a command / environment variable giving it. */
export type SigningKeyConfig = string | { command: string[] } | { env: string };

/** Copy compression: `auto` = the legs leaving the deployer; `true` = every leg; `false` = none. */
export type CompressMode = 'auto' | true | false;

export interface InstanceConfig {
  /** Required unless `defaults.system` is set. */
  system?: string;
  address: string;
  user?: string;
  port?: number;
  via?: string;
  store?: string;
  /** Compression of copies to this instance and, on a store host, to those behind it. */
  compress?: CompressMode;
  tags?: string[];
  hostKeys?: string[];
  ssh?: SshOptions;
  /** Replace the system's checks. */
  checks?: CheckConfig[];
  /** Seconds the host waits for confirmation before it rolls itself back. */
  confirmTimeout?: number;
  keys?: Record<string, KeyConfig>;
}

export type InstanceDefaults = Partial<Omit<InstanceConfig, 'system' | 'address'>> & {
  system?: string;
};

/** Fields that replace an instance's own, key by key (`ssh` merged key by key). See `overrides`. */
export type InstanceOverride = Partial<InstanceConfig>;

/** How an inventory file is read; `auto` recognises it by content. */
export type InventoryFormat = 'auto' | 'instances' | 'terraform-output' | 'terraform-state' | 'pulumi-output';

/** What a `map` function returns: an instance, with `name` unless the default name fits. */
export type MappedInstance = InstanceConfig & { name?: string };

/** Where a record passed to `map` comes from. */
export interface InventoryRecordContext {
  /** The file, as shown in messages. */
  file: string;
  /** The name the instance gets unless `map` returns one: the map key, `<output>-<index>`, or the output. */
  key: string;
  /** The terraform/pulumi output holding the record; for state files, the resource address. */
  from: string;
}

/** Maps one record of an inventory file to an instance; null or undefined skips the record. */
export type InventoryMap = (
  record: any,
  context: InventoryRecordContext,
) => MappedInstance | null | undefined;

/** One inventory source with options (mirrors `#/definitions/inventorySource` in the schema). */
export interface InventorySource {
  files: string;
  format?: InventoryFormat;
  outputs?: string[];
  resources?: string[];
  nameTag?: string;
  systemTag?: string;
  tagsTag?: string;
  addressFrom?: string[];
  defaults?: InstanceDefaults;
  map?: InventoryMap;
}

/** A globby pattern, or a source with options. */
export type InventoryEntry = string | InventorySource;

export interface HiveConfig {
  $schema?: string;
  paths?: SearchPaths;
  signingKey?: SigningKeyConfig;
  compress?: CompressMode;
  /** A flake whose every `nixosConfigurations` entry is a system (so `systems` may be omitted). */
  flake?: string;
  build?: BuildSettings;
  defaults?: InstanceDefaults;
  systems?: Record<string, SystemConfig>;
  instances?: Record<string, InstanceConfig>;
  inventory?: InventoryEntry[];
  overrides?: Record<string, InstanceOverride>;
}

/** Where an instance substitutes from: another instance of the hive, or a plain Nix store URI. */
export type StoreRef = { kind: 'instance'; name: string } | { kind: 'uri'; uri: string };

export interface ResolvedSystem {
  name: string;
  /** Absolute module paths. */
  modules: string[];
  /** Merged search path, system entries first then hive entries, as ordered [name, value] pairs. */
  paths: Array<[string, string]>;
  /** Platform, e.g. x86_64-linux. */
  system: string;
  /** Built from a flake instead of `modules`: `nixosConfigurations.<attr>` of `ref` (absolute when local). */
  flake?: { ref: string; attr: string };
  /** A seed-format (nix-hive 0.1) hive file whose `systems.<name>.configuration` is the module. */
  seedFile?: string;
  /** Merged build settings (system keys over hive keys). */
  build?: { host?: string; builders?: string; maxJobs?: number };
}

/** A check with its defaults applied. */
export interface ResolvedCheck {
  name: string;
  cmd: string[] | undefined;
  http: { port: number; path: string; expect: number } | undefined;
  timeout: number;
  retries: number;
  interval: number;
}

export interface ResolvedInstance {
  name: string;
  system: string;
  address: string;
  user: string;
  port: number;
  via: string | undefined;
  store: StoreRef | undefined;
  tags: string[];
  hostKeys: string[];
  ssh: SshOptions;
  /** Health checks: the instance's own, else its system's, else `defaults.checks` (absent: none). */
  checks?: ResolvedCheck[];
  /** Seconds, when the inventory sets it (absent: 30, see confirmTimeoutOf). */
  confirmTimeout?: number;
  /** Keys to upload, by name (defaults < system < instance). */
  keys: Record<string, ResolvedKey>;
  /** Its own (or `defaults`') compression setting; absent when neither sets one. */
  compress?: CompressMode;
}

/** Where a key's content comes from; nothing is read until the upload runs. */
export type KeySource =
  { kind: 'text'; text: string } | { kind: 'file'; file: string } | { kind: 'command'; command: string[] };

export interface ResolvedKey {
  name: string;
  source: KeySource;
  /** Absolute destination on the instance. */
  path: string;
  user: string;
  group: string;
  /** Octal, as written (`0600`). */
  mode: string;
  uploadAt: KeyUploadAt;
}

/** The resolved signing key: a file (absolute path), a command, or an environment variable. */
export type SigningKey =
  { kind: 'file'; file: string } | { kind: 'command'; command: string[] } | { kind: 'env'; env: string };

export interface ResolvedHive {
  /** Absolute path of the config file. */
  configFile: string;
  /** Folder that relative paths resolve against (the config file's folder). */
  root: string;
  signingKey: SigningKey | undefined;
  /** The hive-level `compress` (default `auto`); absent in hand-made hives means `auto`. */
  compress?: CompressMode;
  systems: Record<string, ResolvedSystem>;
  instances: Record<string, ResolvedInstance>;
}

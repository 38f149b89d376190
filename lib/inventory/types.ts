// The inventory's two shapes: what the user writes (HiveConfig, mirrors schema/hive.schema.json)
// and what every later layer reads (ResolvedHive: defaults applied, paths absolute, names checked).
// Precedence for every instance field: the instance's own value > `defaults` > built-in (user root,
// port 22, no via, no store, no tags, no host keys). `ssh` options merge key by key, instance keys winning.

/** ssh_config options: `{ IdentityFile: '~/.ssh/deploy', ServerAliveInterval: 15 }`. */
export type SshOptions = Record<string, string | number | boolean>;

/** Nix search-path entries: `{ nixpkgs: './nixpkgs' }` → `-I nixpkgs=…`. */
export type SearchPaths = Record<string, string>;

export interface SystemConfig {
  modules: string[];
  paths?: SearchPaths;
  system?: string;
}

export interface InstanceConfig {
  /** Required unless `defaults.system` is set. */
  system?: string;
  address: string;
  user?: string;
  port?: number;
  via?: string;
  store?: string;
  tags?: string[];
  hostKeys?: string[];
  ssh?: SshOptions;
}

export type InstanceDefaults = Partial<Omit<InstanceConfig, 'system' | 'address'>> & {
  system?: string;
};

export interface HiveConfig {
  $schema?: string;
  paths?: SearchPaths;
  signingKey?: string;
  defaults?: InstanceDefaults;
  systems: Record<string, SystemConfig>;
  instances?: Record<string, InstanceConfig>;
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
}

export interface ResolvedHive {
  /** Absolute path of the config file. */
  configFile: string;
  /** Folder that relative paths resolve against (the config file's folder). */
  root: string;
  signingKey: string | undefined;
  systems: Record<string, ResolvedSystem>;
  instances: Record<string, ResolvedInstance>;
}

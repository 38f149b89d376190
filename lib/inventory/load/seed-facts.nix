# Reads the inventory facts of a seed-format (nix-hive 0.1) hive without forcing any system's
# `configuration`: paths, systems (their own paths and platform), instances (system, store, tags, ssh,
# and nix-hive's optional hostKeys) and the optional top-level signingKey. nix-hive evaluates it with
# `nix-instantiate --eval --json --strict` and checks the facts like any other hive. Errors start with the
# field they are about, as the seed's own checks did. Paths stay paths (never copied into the store).
{ file }:
let
  inherit (builtins) hasAttr isFunction isPath isString mapAttrs typeOf;
  raw = import file;
  hive = if isFunction raw then raw { } else raw;
  str = v: if isPath v then toString v else v;
  pathValue =
    at: v:
    if isPath v || isString v then
      toString v
    else
      throw "${at}: must be a path or a string (e.g. builtins.fetchTarball { … }), got a ${typeOf v}";
  paths = at: ps: mapAttrs (n: pathValue "${at}.${n}") ps;
  systems = hive.systems or { };
  checkSystem =
    name: i:
    if !(i ? system) then
      throw "instances.${name}.system: instance ${name} does not specify a system"
    else if !isString i.system then
      throw "instances.${name}.system: instance systems must name a system from the systems section"
    else if hasAttr i.system systems then
      i.system
    else
      throw "instances.${name}.system: system ${i.system} not found in the systems section";
  checkStore =
    name: s:
    if isString s then
      s
    else
      throw ''instances.${name}.store: instance stores must be specified by a URL suitable for use with "nix copy --to"'';
in
{
  paths = paths "paths" (hive.paths or { });
  signingKey = if hive ? signingKey then str hive.signingKey else null;
  systems = mapAttrs (name: s: {
    paths = paths "systems.${name}.paths" (s.paths or { });
    system = s.system or null;
    hasConfiguration = s ? configuration;
  }) systems;
  instances = mapAttrs (name: i: {
    system = checkSystem name i;
    store = checkStore name (i.store or "");
    tags = i.tags or [ ];
    hostKeys = i.hostKeys or [ ];
    ssh = mapAttrs (_: str) (i.ssh or { });
  }) (hive.instances or { });
}

# For hosts behind the jump box: substitute from portico's store over ssh (nix-hive pushes each
# closure there first), and accept only paths signed with the hive key. The ssh key is a secret, so it is
# not part of this configuration: nix-hive delivers it as the key `portico-substituter` (hive.config.ts).
{ ... }:
{
  nix.settings.substituters = [ "ssh://nix-ssh@portico?ssh-key=/etc/nix/portico-substituter" ];
  nix.settings.trusted-public-keys = [ "hive-demo-1:V/5JiTZpISrZa8IfMxsbmhzmOUYkORzO/aGn+OCckGk=" ];

  # portico's internal address; the demo fleet writes its own.
  networking.hosts."10.0.0.10" = [ "portico" ];
}

# Shared by every system of the example hive: sshd for nix-hive, and trust in the hive's signing key
# (every path nix-hive pushes is signed with it). The key is the demo-only pair in ../keys/.
{ ... }:
{
  services.openssh.enable = true;
  services.openssh.settings.PasswordAuthentication = false;

  nix.settings.trusted-public-keys = [ "hive-demo-1:V/5JiTZpISrZa8IfMxsbmhzmOUYkORzO/aGn+OCckGk=" ];

  system.stateVersion = "24.11";
}

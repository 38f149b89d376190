# portico: the jump box and store host. It serves its Nix store over ssh to the hosts behind it.
{ ... }:
{
  imports = [ ./common.nix ];

  networking.hostName = "portico";
  networking.firewall.allowedTCPPorts = [ 22 ];

  # The read-only `nix-ssh` user that `ssh://nix-ssh@portico` substituters log in as.
  nix.sshServe.enable = true;
  nix.sshServe.keys = [ "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDemoOnlyPorticoSubstituterKeyReplaceMe0000 substituter" ];
}

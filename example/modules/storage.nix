# storage: the file server behind portico, exporting /srv/share over NFS to the internal network.
{ ... }:
{
  imports = [ ./common.nix ./behind-portico.nix ];

  networking.hostName = "storage";
  networking.firewall.allowedTCPPorts = [ 2049 ];

  services.nfs.server.enable = true;
  services.nfs.server.exports = ''
    /srv/share 10.0.0.0/24(rw,no_subtree_check)
  '';
}

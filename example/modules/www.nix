# www: the web servers (www-1..3 run this one system, built once). The host name comes from DHCP.
{ ... }:
{
  imports = [ ./common.nix ./behind-portico.nix ];

  networking.hostName = "";
  networking.firewall.allowedTCPPorts = [ 80 ];

  services.nginx.enable = true;
  services.nginx.virtualHosts."www.example.org" = {
    default = true;
    root = "/var/www";
  };
}

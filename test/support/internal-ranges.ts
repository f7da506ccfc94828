/**
 * The ranges an internet-egress ipBlock must except, written out as the issue and the docs name
 * them (private, CGNAT, loopback, link-local with the metadata address, multicast), so tests state
 * the expectation independently of the core's own list.
 */
export const INTERNAL_V4 = [
  "10.0.0.0/8",
  "172.16.0.0/12",
  "192.168.0.0/16",
  "100.64.0.0/10",
  "127.0.0.0/8",
  "169.254.0.0/16",
  "224.0.0.0/4",
];
export const INTERNAL_V6 = ["fc00::/7", "::1/128", "fe80::/10", "ff00::/8"];

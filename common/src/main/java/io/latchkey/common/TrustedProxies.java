package io.latchkey.common;

import io.netty.util.NetUtil;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.RoutingContext;

import java.util.ArrayList;
import java.util.List;

/**
 * Which client IP a request counts against. {@code X-Forwarded-For} is believed only when the
 * TCP peer is one of the configured proxies (the balancer); then the list is read from the
 * right, skipping further trusted proxies, and the first address that is not one is the
 * client. Anything that is not an IP literal is ignored (never resolved through DNS).
 *
 * <p>Both services use it: the auth service for the login throttle, the user service for the
 * registration limit. Throttles count {@link #throttleKey} of the client IP, not the IP itself:
 * an IPv6 client usually holds a whole /64, so counting per address would give it 2^64 fresh
 * counters.
 */
public final class TrustedProxies {

  private record Block(byte[] network, int prefixBits) {
    boolean contains(byte[] address) {
      if (address.length != network.length) {
        return false;
      }
      int fullBytes = prefixBits / 8;
      for (int i = 0; i < fullBytes; i++) {
        if (address[i] != network[i]) {
          return false;
        }
      }
      int rest = prefixBits % 8;
      if (rest == 0) {
        return true;
      }
      int mask = (0xFF << (8 - rest)) & 0xFF;
      return (address[fullBytes] & mask) == (network[fullBytes] & mask);
    }
  }

  private final List<Block> blocks;

  private TrustedProxies(List<Block> blocks) {
    this.blocks = blocks;
  }

  /** {@code TRUSTED_PROXIES} of a service's settings, checked: an invalid entry stops the start naming the setting. */
  public static List<String> setting(Settings s) {
    List<String> proxies = ApiKeys.split(s.string("trustedProxies", "TRUSTED_PROXIES", ""));
    try {
      parse(proxies);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("invalid setting TRUSTED_PROXIES: " + e.getMessage());
    }
    return proxies;
  }

  /** Parses IPs and CIDRs ({@code 10.0.0.0/8}, {@code 127.0.0.1}, {@code ::1}); throws naming the bad entry. */
  public static TrustedProxies parse(List<String> entries) {
    List<Block> blocks = new ArrayList<>();
    for (String entry : entries) {
      String text = entry.trim();
      String address = text;
      Integer prefix = null;
      int slash = text.indexOf('/');
      if (slash >= 0) {
        address = text.substring(0, slash);
        try {
          prefix = Integer.parseInt(text.substring(slash + 1));
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("not an IP or CIDR: " + text);
        }
      }
      byte[] bytes = NetUtil.createByteArrayFromIpAddressString(address);
      if (bytes == null) {
        throw new IllegalArgumentException("not an IP or CIDR: " + text);
      }
      int bits = bytes.length * 8;
      if (prefix == null) {
        prefix = bits;
      }
      if (prefix < 0 || prefix > bits) {
        throw new IllegalArgumentException("not an IP or CIDR: " + text);
      }
      blocks.add(new Block(bytes, prefix));
    }
    return new TrustedProxies(List.copyOf(blocks));
  }

  public boolean isTrusted(String ip) {
    if (ip == null || blocks.isEmpty()) {
      return false;
    }
    byte[] bytes = NetUtil.createByteArrayFromIpAddressString(stripBrackets(ip));
    if (bytes == null) {
      return false;
    }
    byte[] normalized = normalize(bytes);
    for (Block b : blocks) {
      if (b.contains(bytes) || b.contains(normalized)) {
        return true;
      }
    }
    return false;
  }

  /** The client IP of a request. */
  public String clientIp(RoutingContext ctx) {
    SocketAddress remote = ctx.request().remoteAddress();
    String peer = remote == null || remote.hostAddress() == null ? "unknown" : remote.hostAddress();
    if (!isTrusted(peer)) {
      return canonical(peer);
    }
    List<String> forwarded = ctx.request().headers().getAll("X-Forwarded-For");
    if (forwarded.isEmpty()) {
      return canonical(peer);
    }
    List<String> hops = new ArrayList<>();
    for (String header : forwarded) {
      for (String part : header.split(",")) {
        hops.add(part.trim());
      }
    }
    String candidate = null;
    for (int i = hops.size() - 1; i >= 0; i--) {
      String hop = stripBrackets(hops.get(i));
      if (NetUtil.createByteArrayFromIpAddressString(hop) == null) {
        // garbage in the chain: stop believing what lies to its left
        break;
      }
      candidate = hop;
      if (!isTrusted(hop)) {
        break;
      }
    }
    return canonical(candidate != null ? candidate : peer);
  }

  /**
   * What a throttle counts for a client IP (as {@link #clientIp} returns it): an IPv4 address as
   * it is, an IPv6 address as its /64 network ({@code 2001:db8:1:2::/64}); anything else as given.
   */
  public static String throttleKey(String ip) {
    if (ip == null) {
      return "unknown";
    }
    byte[] bytes = NetUtil.createByteArrayFromIpAddressString(stripBrackets(ip));
    if (bytes == null) {
      return ip;
    }
    bytes = normalize(bytes);
    if (bytes.length == 4) {
      return NetUtil.bytesToIpAddress(bytes);
    }
    for (int i = 8; i < 16; i++) {
      bytes[i] = 0;
    }
    return NetUtil.bytesToIpAddress(bytes) + "/64";
  }

  private static String stripBrackets(String ip) {
    if (ip.startsWith("[") && ip.endsWith("]")) {
      return ip.substring(1, ip.length() - 1);
    }
    return ip;
  }

  /** One spelling per address, so that {@code ::1} and {@code 0:0::1} count as one client. */
  private static String canonical(String ip) {
    byte[] bytes = NetUtil.createByteArrayFromIpAddressString(stripBrackets(ip));
    if (bytes == null) {
      return ip;
    }
    bytes = normalize(bytes);
    return NetUtil.bytesToIpAddress(bytes);
  }

  /** IPv4-mapped IPv6 addresses ({@code ::ffff:1.2.3.4}) become IPv4. */
  private static byte[] normalize(byte[] bytes) {
    if (bytes.length == 16) {
      boolean mapped = bytes[10] == (byte) 0xFF && bytes[11] == (byte) 0xFF;
      for (int i = 0; i < 10 && mapped; i++) {
        mapped = bytes[i] == 0;
      }
      if (mapped) {
        return new byte[] {bytes[12], bytes[13], bytes[14], bytes[15]};
      }
    }
    return bytes;
  }
}

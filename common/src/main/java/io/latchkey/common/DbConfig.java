package io.latchkey.common;

import io.vertx.pgclient.PgConnectOptions;

import java.net.URI;

/**
 * Where a service's PostgreSQL is. Read from DATABASE_URL
 * ({@code postgresql://user:password@host:port/database}) or the {@code database} object of the
 * service's conf file. The password is never logged: {@link #describe()} leaves it out.
 */
public record DbConfig(String host, int port, String database, String user, String password, int poolSize,
                       int connectTimeoutMs) {

  public static DbConfig from(Settings settings) {
    String url = settings.string("databaseUrl", "DATABASE_URL", "postgresql://postgres@127.0.0.1:54329/latchkey");
    int poolSize = settings.integer("databasePoolSize", "DATABASE_POOL_SIZE", 8, 1, 200);
    int timeout = settings.integer("databaseConnectTimeoutMs", "DATABASE_CONNECT_TIMEOUT_MS", 2000, 100, 60000);
    return fromUrl(url, poolSize, timeout);
  }

  public static DbConfig fromUrl(String url, int poolSize, int connectTimeoutMs) {
    URI uri;
    try {
      uri = URI.create(url.replaceFirst("^postgres(ql)?://", "postgresql://"));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("invalid DATABASE_URL (expected postgresql://user:password@host:port/database)");
    }
    if (!"postgresql".equals(uri.getScheme()) || uri.getHost() == null) {
      throw new IllegalArgumentException("invalid DATABASE_URL (expected postgresql://user:password@host:port/database)");
    }
    String user = "postgres";
    String password = null;
    if (uri.getRawUserInfo() != null) {
      String[] parts = uri.getRawUserInfo().split(":", 2);
      user = java.net.URLDecoder.decode(parts[0], java.nio.charset.StandardCharsets.UTF_8);
      if (parts.length > 1) {
        password = java.net.URLDecoder.decode(parts[1], java.nio.charset.StandardCharsets.UTF_8);
      }
    }
    String db = uri.getPath() == null || uri.getPath().length() <= 1 ? "latchkey" : uri.getPath().substring(1);
    return new DbConfig(uri.getHost(), uri.getPort() > 0 ? uri.getPort() : 5432, db, user, password, poolSize, connectTimeoutMs);
  }

  public PgConnectOptions connectOptions() {
    PgConnectOptions options = new PgConnectOptions()
      .setHost(host).setPort(port).setDatabase(database).setUser(user)
      .setCachePreparedStatements(true)
      .setPipeliningLimit(64);
    if (password != null) {
      options.setPassword(password);
    }
    return options;
  }

  public String jdbcUrl() {
    return "jdbc:postgresql://" + host + ":" + port + "/" + database + "?connectTimeout=" + Math.max(1, connectTimeoutMs / 1000);
  }

  /** host:port/database as user, without the password. */
  public String describe() {
    return user + "@" + host + ":" + port + "/" + database;
  }
}

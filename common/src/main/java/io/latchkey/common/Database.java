package io.latchkey.common;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClientOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Opens the reactive pool and runs a service's own Flyway migrations on its own schema. */
public final class Database {

  private static final Logger LOG = LoggerFactory.getLogger(Database.class);

  private Database() {
  }

  public static Pool pool(Vertx vertx, DbConfig config) {
    return pool(vertx, config, new PoolOptions().setMaxSize(config.poolSize())
      .setName("latchkey-" + config.database() + "-" + config.host() + "-" + config.port()), config.connectOptions());
  }

  /**
   * A pool on {@code config}'s database with {@code options}' size, name and idle timeout, and the
   * settings every pool of ours has: a bounded wait for a connection, the connect timeout.
   */
  static Pool pool(Vertx vertx, DbConfig config, PoolOptions options, PgConnectOptions connect) {
    options.setMaxWaitQueueSize(1024)
      // a request waiting for a connection gives up instead of hanging while PostgreSQL is down
      .setConnectionTimeout(config.connectTimeoutMs())
      .setConnectionTimeoutUnit(java.util.concurrent.TimeUnit.MILLISECONDS)
      .setShared(true);
    // in Vert.x 5 the connect timeout sits on the transport options, not on PgConnectOptions
    NetClientOptions transport = new NetClientOptions().setConnectTimeout(config.connectTimeoutMs());
    return PgBuilder.pool().with(options).with(transport).connectingTo(connect).using(vertx).build();
  }

  /**
   * The pool's use for /metrics: connections open and the configured maximum, labelled by the
   * service that owns the pool (Vert.x's own pool series carry the pool's name, which names
   * database, host and port; these say which service is short of connections).
   */
  public static void poolMetrics(Pool pool, DbConfig config, String service, MeterRegistry metrics) {
    Gauge.builder("latchkey.db.pool.connections", pool, Pool::size).tag("service", service)
      .description("PostgreSQL connections the service's pool holds open").register(metrics);
    Gauge.builder("latchkey.db.pool.max", config, DbConfig::poolSize).tag("service", service)
      .description("the most connections the pool may open (DATABASE_POOL_SIZE)").register(metrics);
  }

  /**
   * Migrates {@code schema} from {@code classpath:db/<schema>} on a worker thread. Fails with a
   * one-line reason when the database cannot be reached.
   */
  public static Future<Integer> migrate(Vertx vertx, DbConfig config, String schema) {
    return vertx.executeBlocking(() -> migrateNow(config, schema), false);
  }

  /**
   * The same migration on the calling thread, without Vert.x (the launcher runs it beside the
   * cluster join). Blocks for the JDBC round trips; Flyway closes its connection. Returns the
   * number of migrations applied.
   */
  public static int migrateNow(DbConfig config, String schema) {
    return migrateNow(config, schema, "latest");
  }

  /**
   * The same migration, up to version {@code target} only ({@code "latest"}: all of them): an
   * upgrade test builds the schema as an older release left it, fills it, then migrates the rest.
   */
  public static int migrateNow(DbConfig config, String schema, String target) {
    Flyway flyway = Flyway.configure()
      .dataSource(config.jdbcUrl(), config.user(), config.password())
      .schemas(schema)
      .defaultSchema(schema)
      .createSchemas(true)
      .table("flyway_schema_history")
      .locations("classpath:db/" + schema)
      .connectRetries(0)
      .target(target)
      .load();
    int applied = flyway.migrate().migrationsExecuted;
    LOG.info("schema {} on {}: {} migration(s) applied", schema, config.describe(), applied);
    return applied;
  }
}

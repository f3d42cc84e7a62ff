package io.latchkey.launcher;

import io.latchkey.auth.AuthConfig;
import io.latchkey.auth.AuthModule;
import io.latchkey.common.ApiKeys;
import io.latchkey.common.ClusterSettings;
import io.latchkey.common.Profile;
import io.latchkey.common.Settings;
import io.latchkey.user.UserConfig;
import io.latchkey.user.UserModule;
import io.netty.util.NetUtil;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Everything a node needs, read and checked before it touches the network, so that an invalid
 * setting fails the start at once with a message naming it: the API keys, the Hazelcast
 * settings, and one {@link ServicePlan} per service of the role (from
 * {@code <confDir>/user.json} and {@code <confDir>/auth.json}, each value overridable by the
 * environment), and the optional event-bus TLS ({@link EventBusTls}, null when off).
 */
public record LaunchConfiguration(RunOptions options, ApiKeys keys, ClusterSettings cluster, EventBusTls eventBusTls,
                                  List<ServicePlan> services) {

  public static LaunchConfiguration load(RunOptions options, Map<String, String> env) {
    ApiKeys keys = ApiKeys.fromEnvironment(env, options.profile());
    ClusterSettings cluster = ClusterSettings.fromEnvironment(env);
    EventBusTls eventBusTls = EventBusTls.fromEnvironment(env);
    refusePlaintextClusterInProduction(options.profile(), cluster, eventBusTls, env);
    List<ServicePlan> services = new ArrayList<>();
    if (options.role().runsUser()) {
      services.add(userService(Settings.load(options.confDir(), "user", env), options.profile()));
    }
    if (options.role().runsAuth()) {
      services.add(authService(Settings.load(options.confDir(), "auth", env), options.profile()));
    }
    if (services.size() == 2 && services.get(0).configuredPort() == services.get(1).configuredPort()
      && services.get(0).configuredPort() != 0) {
      throw new IllegalArgumentException("the user and auth services are both configured on port "
        + services.get(0).configuredPort() + " (USER_HTTP_PORT, AUTH_HTTP_PORT)");
    }
    return new LaunchConfiguration(options, keys, cluster, eventBusTls, List.copyOf(services));
  }

  /**
   * The production profile refuses a cluster reachable from other hosts (Hazelcast bound to a
   * non-loopback interface) whose event bus runs without TLS: anyone on that network could read
   * every bus message. {@code LATCHKEY_ALLOW_PLAINTEXT_CLUSTER=true} is the explicit override for
   * a private network the operator trusts (docs/OPERATING.md, "Security of the cluster ports").
   */
  static void refusePlaintextClusterInProduction(Profile profile, ClusterSettings cluster, EventBusTls tls,
                                                 Map<String, String> env) {
    if (!profile.production() || tls != null || isLoopback(cluster.bindInterface())) {
      return;
    }
    if (new Settings(null, env).bool("allowPlaintextCluster", "LATCHKEY_ALLOW_PLAINTEXT_CLUSTER", false)) {
      return;
    }
    throw new IllegalArgumentException("the production profile refuses HAZELCAST_INTERFACE=" + cluster.bindInterface()
      + " without event-bus TLS: set EVENTBUS_TLS_KEYSTORE (and its password), or LATCHKEY_ALLOW_PLAINTEXT_CLUSTER=true"
      + " on a private network you trust");
  }

  private static boolean isLoopback(String address) {
    if (address == null || address.isBlank()) {
      return false;
    }
    byte[] bytes = NetUtil.createByteArrayFromIpAddressString(address.trim());
    if (bytes == null) {
      return "localhost".equalsIgnoreCase(address.trim());
    }
    if (bytes.length == 4) {
      return bytes[0] == 127;
    }
    for (int i = 0; i < 15; i++) {
      if (bytes[i] != 0) {
        return false;
      }
    }
    return bytes[15] == 1;
  }

  /**
   * The production profile refuses to send mail in clear text to an SMTP server on another host:
   * verification and reset mails carry tokens that take an account over. STARTTLS must be
   * {@code required} there; {@code optional} would let a man in the middle strip it. A relay on
   * the same host (loopback) may take mail without TLS.
   */
  static void refuseClearTextMailInProduction(Profile profile, UserConfig config) {
    if (!profile.production() || config.mail().startTls().equals("required") || isLoopback(config.mail().smtpHost())) {
      return;
    }
    throw new IllegalArgumentException("the production profile refuses SMTP_STARTTLS=" + config.mail().startTls()
      + " towards SMTP_HOST=" + config.mail().smtpHost() + ": mails carry account-takeover tokens; set SMTP_STARTTLS=required"
      + " (or relay through an SMTP server on this host)");
  }

  static ServicePlan userService(Settings settings, Profile profile) {
    UserConfig config = UserConfig.from(settings, profile);
    refuseClearTextMailInProduction(profile, config);
    return new ServicePlan("user service", config.database(), config.httpHost(), config.httpPort(), config.management(), () -> {
      UserModule.Prepared prepared = UserModule.prepare(config);
      return (vertx, hazelcast, keys, state, instances, metrics) -> UserModule.deploy(vertx, hazelcast, config, keys, state, instances,
          prepared, metrics)
        .map(module -> new ServicePlan.Deployed(module.httpPort(), module::undeploy));
    });
  }

  static ServicePlan authService(Settings settings, Profile profile) {
    AuthConfig config = AuthConfig.from(settings, profile);
    return new ServicePlan("auth service", config.database(), config.httpHost(), config.httpPort(), config.management(), () -> {
      AuthModule.Prepared prepared = AuthModule.prepare(config);
      return (vertx, hazelcast, keys, state, instances, metrics) -> AuthModule.deploy(vertx, hazelcast, config, keys, state, instances,
          prepared, metrics)
        .map(module -> new ServicePlan.Deployed(module.httpPort(), module::undeploy));
    });
  }

  public String serviceNames() {
    return String.join(" and ", services.stream().map(ServicePlan::name).toList());
  }
}

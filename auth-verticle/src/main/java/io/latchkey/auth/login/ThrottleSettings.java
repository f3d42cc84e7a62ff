package io.latchkey.auth.login;

import io.latchkey.common.Settings;

/**
 * Login throttling (conf key / environment variable, default).
 *
 * @param accountMaxFailures   loginAccountMaxFailures / LOGIN_ACCOUNT_MAX_FAILURES (10): failed logins of one account in a window before it locks
 * @param ipMaxFailures        loginIpMaxFailures / LOGIN_IP_MAX_FAILURES (100): failed logins from one client IP in a window before it locks
 * @param failureWindowSeconds loginFailureWindowSeconds / LOGIN_FAILURE_WINDOW_SECONDS (900): the counting window
 * @param lockoutBaseSeconds   loginLockoutBaseSeconds / LOGIN_LOCKOUT_BASE_SECONDS (60): the first lockout; each further one doubles
 * @param lockoutMaxSeconds    loginLockoutMaxSeconds / LOGIN_LOCKOUT_MAX_SECONDS (900): the longest lockout
 */
public record ThrottleSettings(int accountMaxFailures, int ipMaxFailures, int failureWindowSeconds, int lockoutBaseSeconds,
                               int lockoutMaxSeconds) {

  public ThrottleSettings {
    if (lockoutMaxSeconds < lockoutBaseSeconds) {
      throw new IllegalArgumentException("invalid setting LOGIN_LOCKOUT_MAX_SECONDS (must be at least LOGIN_LOCKOUT_BASE_SECONDS)");
    }
  }

  public static ThrottleSettings from(Settings s) {
    return new ThrottleSettings(
      s.integer("loginAccountMaxFailures", "LOGIN_ACCOUNT_MAX_FAILURES", 10, 1, 1_000_000),
      s.integer("loginIpMaxFailures", "LOGIN_IP_MAX_FAILURES", 100, 1, 10_000_000),
      s.integer("loginFailureWindowSeconds", "LOGIN_FAILURE_WINDOW_SECONDS", 900, 1, 86_400),
      s.integer("loginLockoutBaseSeconds", "LOGIN_LOCKOUT_BASE_SECONDS", 60, 1, 86_400),
      s.integer("loginLockoutMaxSeconds", "LOGIN_LOCKOUT_MAX_SECONDS", 900, 1, 86_400));
  }
}

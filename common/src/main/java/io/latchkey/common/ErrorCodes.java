package io.latchkey.common;

/** The problem {@code code} values of the API (each listed in the services' openapi/*.json). */
public final class ErrorCodes {
  public static final String MALFORMED_REQUEST = "malformed_request";
  /** An import line that is not a JSON object (not JSON, not an object, not UTF-8, over the line limit). */
  public static final String MALFORMED_LINE = "malformed_line";
  public static final String VALIDATION_FAILED = "validation_failed";
  public static final String WEAK_PASSWORD = "weak_password";
  public static final String PAYLOAD_TOO_LARGE = "payload_too_large";
  public static final String HEADERS_TOO_LARGE = "request_header_fields_too_large";
  public static final String NOT_FOUND = "not_found";
  public static final String METHOD_NOT_ALLOWED = "method_not_allowed";
  public static final String DATABASE_UNAVAILABLE = "database_unavailable";
  public static final String OVERLOADED = "overloaded";
  /** An admin query (user search, audit listing) ran past ADMIN_QUERY_TIMEOUT_MS and was cancelled: 503 with Retry-After. */
  public static final String QUERY_TIMEOUT = "query_timeout";
  public static final String INVALID_TOKEN = "invalid_token";
  public static final String FORBIDDEN = "forbidden";
  public static final String INVALID_API_KEY = "invalid_api_key";
  public static final String INTERNAL_ERROR = "internal_error";
  /** RFC 6749 section 5.2's code, for the OAuth endpoints whose clients expect it (POST /auth/revoke). */
  public static final String INVALID_REQUEST = "invalid_request";

  public static final String USERNAME_TAKEN = "username_taken";
  public static final String EMAIL_TAKEN = "email_taken";
  public static final String INVALID_CREDENTIALS = "invalid_credentials";
  public static final String USER_NOT_FOUND = "user_not_found";
  public static final String INVALID_CURRENT_PASSWORD = "invalid_current_password";
  public static final String AUTH_SERVICE_UNAVAILABLE = "auth_service_unavailable";
  public static final String EMAIL_ALREADY_VERIFIED = "email_already_verified";
  public static final String INVALID_VERIFICATION_TOKEN = "invalid_verification_token";
  public static final String INVALID_RESET_TOKEN = "invalid_reset_token";

  public static final String TOO_MANY_ATTEMPTS = "too_many_attempts";
  public static final String TOO_MANY_REQUESTS = "too_many_requests";
  public static final String USER_SERVICE_UNAVAILABLE = "user_service_unavailable";
  public static final String INVALID_REFRESH_TOKEN = "invalid_refresh_token";
  public static final String REFRESH_TOKEN_REUSED = "refresh_token_reused";
  public static final String SESSION_NOT_FOUND = "session_not_found";
  public static final String ACCOUNT_DISABLED = "account_disabled";
  public static final String EMAIL_NOT_VERIFIED = "email_not_verified";
  public static final String INVALID_MFA_CODE = "invalid_mfa_code";
  public static final String INVALID_MFA_TOKEN = "invalid_mfa_token";
  public static final String MFA_ALREADY_ENABLED = "mfa_already_enabled";
  public static final String MFA_NOT_ENABLED = "mfa_not_enabled";
  public static final String INVALID_PASSKEY = "invalid_passkey";
  public static final String PASSKEY_NOT_FOUND = "passkey_not_found";

  private ErrorCodes() {
  }
}

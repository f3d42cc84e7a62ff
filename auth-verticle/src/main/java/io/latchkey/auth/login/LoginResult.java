package io.latchkey.auth.login;

import io.latchkey.auth.session.TokenPair;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * What {@code POST /auth/login} answers with 200: a token pair, or, for a user with a second
 * factor, the challenge that {@code POST /auth/login/mfa} finishes.
 */
public sealed interface LoginResult permits LoginResult.Tokens, LoginResult.Challenge {

  /** The answer's body. */
  JsonObject toJson();

  /** The login is complete. */
  record Tokens(TokenPair pair) implements LoginResult {
    @Override
    public JsonObject toJson() {
      return pair.toJson();
    }
  }

  /**
   * The password was right and a second factor is needed: {@code mfaToken} (shown only here,
   * never stored or logged) finishes the login with one of {@code methods} within {@code expiresIn} seconds.
   */
  record Challenge(String mfaToken, List<String> methods, long expiresIn) implements LoginResult {

    public Challenge {
      methods = List.copyOf(methods);
    }

    @Override
    public JsonObject toJson() {
      return new JsonObject()
        .put("mfaRequired", true)
        .put("mfaToken", mfaToken)
        .put("methods", new JsonArray(methods))
        .put("expiresIn", expiresIn);
    }

    /** Never prints the token. */
    @Override
    public String toString() {
      return "Challenge[methods=" + methods + ", expiresIn=" + expiresIn + "]";
    }
  }
}

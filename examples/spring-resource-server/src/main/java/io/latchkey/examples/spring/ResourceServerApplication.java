package io.latchkey.examples.spring;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.core.OAuth2AuthenticatedPrincipal;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

import java.util.Map;

/**
 * A resource server that trusts Latchkey's access tokens. Spring Boot's resource-server
 * auto-configuration does all the work from application.properties: every request needs a
 * bearer token (401 otherwise), checked either locally against the issuer's keys (default
 * profile) or by asking Latchkey's introspection endpoint (profile {@code introspection}).
 */
@SpringBootApplication
@RestController
public class ResourceServerApplication {

  public static void main(String[] args) {
    SpringApplication.run(ResourceServerApplication.class, args);
  }

  /** Who the token belongs to: its subject (the user id) and its username claim. */
  @GetMapping("/hello")
  public Map<String, Object> hello(Authentication authentication) {
    Object principal = authentication.getPrincipal();
    if (principal instanceof Jwt jwt) {
      return Map.of("subject", jwt.getSubject(), "username", jwt.getClaimAsString("username"), "checkedBy", "jwt");
    }
    // introspection: the attributes are the RFC 7662 answer of Latchkey (sub, username, roles, exp, ...)
    OAuth2AuthenticatedPrincipal introspected = (OAuth2AuthenticatedPrincipal) principal;
    String subject = introspected.getAttribute("sub");
    String username = introspected.getAttribute("username");
    return Map.of("subject", subject, "username", username, "checkedBy", "introspection");
  }
}

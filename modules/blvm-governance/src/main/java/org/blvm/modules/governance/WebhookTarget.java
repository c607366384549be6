package org.blvm.modules.governance;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Where and as whom notifications go: the node config's {@code [governance]} section, which the
 * module reads through {@code ConfigLoaded} (policy: {@code read_config}, {@code config_sections =
 * ["governance"]}, {@code config_secrets = ["governance.webhook_secret"]}).
 *
 * @param url {@code http://host[:port]/path} or {@code https://…}; no user info, no fragment
 * @param nodeId {@code node_id}, sent in every body and header (1–128 characters)
 * @param secret {@code webhook_secret}, the HMAC-SHA256 key (at least 16 bytes); never logged
 */
record WebhookTarget(URI url, String nodeId, Secret secret) {
  /** The value the node sends in place of a secret this module was not granted. */
  static final String REDACTED = "[redacted]";

  /** The HMAC key; its {@code toString} never shows it. */
  record Secret(String value) {
    byte[] bytes() {
      return value.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
      return "Secret[…]";
    }
  }

  /** Thrown for a {@code [governance]} section the module cannot deliver with. */
  static final class InvalidTargetException extends Exception {
    private static final long serialVersionUID = 1L;

    InvalidTargetException(String message) {
      super(message);
    }
  }

  boolean https() {
    return url.getScheme().equals("https");
  }

  String host() {
    return url.getHost();
  }

  int port() {
    return url.getPort() != -1 ? url.getPort() : https() ? 443 : 80;
  }

  /** The request target: the path and query, {@code /} when empty. */
  String path() {
    String p = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
    return url.getRawQuery() == null ? p : p + "?" + url.getRawQuery();
  }

  /** Reads {@code governance} of the config the node let this module see. */
  static WebhookTarget read(JsonNode visible) throws InvalidTargetException {
    JsonNode g = visible.path("governance");
    if (!g.isObject()) {
      throw new InvalidTargetException(
          "no [governance] section visible: the node config needs one and the policy must list"
              + " it in config_sections with read_config granted");
    }
    String url = text(g, "webhook_url", 2048);
    String nodeId = text(g, "node_id", 128);
    String secret = text(g, "webhook_secret", 1024);
    if (secret.equals(REDACTED)) {
      throw new InvalidTargetException(
          "governance.webhook_secret is redacted: the policy must grant config_secrets ="
              + " [\"governance.webhook_secret\"]");
    }
    if (secret.getBytes(StandardCharsets.UTF_8).length < 16) {
      throw new InvalidTargetException("governance.webhook_secret must be at least 16 bytes");
    }
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new InvalidTargetException("governance.webhook_url is not a URL: " + e.getReason());
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new InvalidTargetException(
          "governance.webhook_url must start with http:// or https://, found \"" + scheme + "\"");
    }
    if (uri.getHost() == null || uri.getRawUserInfo() != null || uri.getRawFragment() != null) {
      throw new InvalidTargetException(
          "governance.webhook_url needs a host and no user info or fragment");
    }
    try {
      uri =
          new URI(scheme, null, uri.getHost(), uri.getPort(), uri.getPath(), uri.getQuery(), null);
    } catch (URISyntaxException e) {
      throw new InvalidTargetException("governance.webhook_url is not a URL: " + e.getReason());
    }
    return new WebhookTarget(uri, nodeId, new Secret(secret));
  }

  private static String text(JsonNode g, String key, int max) throws InvalidTargetException {
    JsonNode v = g.path(key);
    if (!v.isTextual() || v.asText().isEmpty() || v.asText().length() > max) {
      throw new InvalidTargetException(
          "governance."
              + key
              + " must be a string of 1 to "
              + Integer.toString(max)
              + " characters");
    }
    return v.asText();
  }
}

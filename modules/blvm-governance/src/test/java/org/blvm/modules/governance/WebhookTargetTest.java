package org.blvm.modules.governance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class WebhookTargetTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static WebhookTarget read(String url, String secret) throws Exception {
    return WebhookTarget.read(
        JSON.readTree(
            "{\"governance\":{\"webhook_url\":\""
                + url
                + "\",\"node_id\":\"n1\",\"webhook_secret\":\""
                + secret
                + "\"}}"));
  }

  @Test
  void read_httpsWithoutPort_port443AndPathDefaulted() throws Exception {
    WebhookTarget t = read("https://hooks.example.org", "0123456789abcdef");
    assertTrue(t.https());
    assertEquals(443, t.port());
    assertEquals("/", t.path());
    assertEquals("n1", t.nodeId());
    assertFalse(t.toString().contains("0123456789abcdef"), t.toString());
  }

  @Test
  void read_redactedSecret_refusedNamingTheGrant() {
    WebhookTarget.InvalidTargetException e =
        assertThrows(
            WebhookTarget.InvalidTargetException.class,
            () -> read("http://h:80/", WebhookTarget.REDACTED));
    assertTrue(e.getMessage().contains("config_secrets"), e.getMessage());
  }

  @Test
  void read_badUrls_refused() {
    for (String url :
        new String[] {
          "ftp://h/", "http://user:pw@h/", "http:///nohost", "http://h/#f", "not a url"
        }) {
      assertThrows(
          WebhookTarget.InvalidTargetException.class, () -> read(url, "0123456789abcdef"), url);
    }
  }

  @Test
  void read_shortSecretOrNoSection_refused() {
    assertThrows(WebhookTarget.InvalidTargetException.class, () -> read("http://h/", "short"));
    assertThrows(
        WebhookTarget.InvalidTargetException.class,
        () -> WebhookTarget.read(JSON.readTree("{\"modules\":{}}")));
  }
}

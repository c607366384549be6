package org.blvm.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What a module's codec does before its own code runs — build the codec, encode the hello, decode
 * the welcome, encode {@code ready}, decode its answer — loads no Jackson mapper, no JSON or CBOR
 * factory, and no CBOR parser or generator (the tree's node classes, which the welcome's config
 * needs, are loaded). Run in a class loader of its own, so classes the test JVM loaded before do
 * not count.
 */
class HandshakeClassLoadingTest {
  private static final String TOKEN = HexFormat.of().formatHex(new byte[32]);

  /** The steps, run inside the isolated loader. */
  public static final class Steps implements Runnable {
    @Override
    public void run() {
      try {
        Codec codec = Codec.withDefaults();
        codec.encode(new Message.Hello(List.of(Codec.PROTOCOL_VERSION), TOKEN));
        Message welcome = codec.decode(HexFormat.of().parseHex(WELCOME));
        if (!(welcome instanceof Message.Welcome)) {
          throw new AssertionError("not a welcome: " + welcome);
        }
        codec.encode(new Message.Request(1, "ready", null));
        codec.decode(HexFormat.of().parseHex(READY_ANSWER));
      } catch (ProtocolException e) {
        throw new AssertionError(e);
      }
    }
  }

  /**
   * {kind: "welcome", version: 1, context: {module_id: "m", config: {}, data_dir: "/d",
   * socket_path: "/s", capabilities: []}}.
   */
  static final String WELCOME =
      "a3646b696e646777656c636f6d656776657273696f6e0167636f6e74657874a5696d6f64756c655f6964616d"
          + "66636f6e666967a068646174615f646972622f646b736f636b65745f70617468622f736c6361706162696c"
          + "697469657380";

  /** {kind: "response", id: 1, result: {}}. */
  static final String READY_ANSWER = "a3646b696e6468726573706f6e73656269640166726573756c74a0";

  private static final class Isolated extends URLClassLoader {
    Isolated(URL[] urls) {
      // the boot loader as parent: the platform loader would hand the protocol's packages to the
      // application loader, which holds them as a named module
      super("isolated", urls, null);
    }

    boolean loaded(String name) {
      return findLoadedClass(name) != null;
    }
  }

  /** The protocol's classes, these tests' and Jackson's jars. */
  private static URL[] classPath() throws URISyntaxException {
    List<URL> urls = new ArrayList<>();
    for (Class<?> c :
        List.of(
            Codec.class,
            HandshakeClassLoadingTest.class,
            JsonAutoDetect.class,
            JsonFactory.class,
            JsonNode.class,
            CBORFactory.class)) {
      URL location = c.getProtectionDomain().getCodeSource().getLocation();
      if (!urls.contains(location)) {
        urls.add(location);
      }
    }
    return urls.toArray(new URL[0]);
  }

  @Test
  void handshake_codecSteps_loadNoJacksonMapper() throws Exception {
    try (Isolated loader = new Isolated(classPath())) {
      Class<?> steps = loader.loadClass(Steps.class.getName());
      assertEquals(loader, steps.getClassLoader());
      ((Runnable) steps.getConstructor().newInstance()).run();
      assertTrue(loader.loaded(Codec.class.getName()), "the steps ran in the isolated loader");
      for (String name :
          List.of(
              "com.fasterxml.jackson.databind.ObjectMapper",
              "com.fasterxml.jackson.core.JsonFactory",
              "com.fasterxml.jackson.dataformat.cbor.CBORParser",
              "com.fasterxml.jackson.dataformat.cbor.CBORGenerator")) {
        assertFalse(loader.loaded(name), name + " was loaded");
      }
    }
  }
}

package org.blvm.loader;

import static org.blvm.loader.LoaderFixture.H1;
import static org.blvm.loader.LoaderFixture.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.blvm.protocol.Api;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;
import org.blvm.protocol.Message;
import org.blvm.protocol.NodeMethod;
import org.blvm.testsupport.LogCapture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The node config reaches each module only as its policy allows (docs/config.md): section
 * filtering, redaction, grants, changed sections, broken files, the reload triggers, and a module
 * that records every byte it receives and never sees a secret.
 */
class ConfigLoadedTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  static {
    // the tests run patched into the loader's module, which does not read java.logging
    ConfigLoadedTest.class
        .getModule()
        .addReads(ModuleLayer.boot().findModule("java.logging").orElseThrow());
  }

  /** Every secret of CONFIG_V1 that a module without a grant must never see. */
  private static final List<String> SECRETS =
      List.of("NETSECRET", "TORSECRET", "PEERSECRET", "RPCSECRET", "SEEDSECRET", "OWNSECRET-plain");

  private static final String POLICY =
      "[defaults]\n"
          + "capabilities = [\"subscribe_events\", \"read_config\", \"read_blockchain\","
          + " \"discover_modules\", \"publish_events\", \"report_metrics\", \"call_module\","
          + " \"register_module_api\"]\n"
          + "[modules.watcher]\n"
          + "config_sections = [\"network\", \"rpc\", \"mempool\", \"p2p\"]\n"
          + "[modules.granted]\n"
          + "config_sections = [\"network\", \"rpc\", \"wallet\"]\n"
          + "config_secrets = [\"rpc.password\", \"wallet\"]\n"
          + "[modules.plain]\n"
          + "config_sections = [\"network\"]\n"
          + "[modules.sneaky]\n"
          + "config_sections = [\"network\", \"modules\"]\n";

  private static final String CONFIG_V1 =
      "[network]\n"
          + "port = 8333\n"
          + "proxy_auth_token = \"NETSECRET-1\"\n"
          + "[network.tor]\n"
          + "control_password = \"TORSECRET-1\"\n"
          + "enabled = true\n"
          + "[[network.peers]]\n"
          + "host = \"a.example\"\n"
          + "api_key = \"PEERSECRET-1\"\n"
          + "[[network.peers]]\n"
          + "host = \"b.example\"\n"
          + "[rpc]\n"
          + "port = 8332\n"
          + "password = \"RPCSECRET-1\"\n"
          + "[wallet]\n"
          + "name = \"w\"\n"
          + "seed_words = \"SEEDSECRET-1\"\n"
          + "[p2p]\n"
          + "max_peers = 8\n"
          + "[modules.watcher]\n"
          + "greeting = \"hello watcher\"\n"
          + "own_token = \"OWNSECRET-watcher\"\n"
          + "[modules.granted]\n"
          + "extra = 1\n"
          + "[modules.plain]\n"
          + "greeting = \"hello plain\"\n"
          + "plain_password = \"OWNSECRET-plain\"\n"
          + "[modules.sneaky]\n"
          + "x = 1\n";

  @TempDir Path tmp;
  LoaderFixture fx;
  Path cfg;

  @AfterEach
  void tearDown() {
    if (fx != null) {
      fx.close();
    }
  }

  private void start(String config, Consumer<ModuleManager.Builder> custom) throws Exception {
    cfg = tmp.resolve("etc").resolve("node.toml");
    Files.createDirectories(cfg.getParent());
    Files.writeString(cfg, config);
    String caps =
        "\"subscribe_events\", \"read_config\", \"read_blockchain\", \"discover_modules\"";
    fx =
        new LoaderFixture(tmp.resolve("fx"))
            .policy(POLICY)
            .module("watcher", caps + ", \"publish_events\", \"report_metrics\"", "")
            .module("granted", caps, "")
            .module("plain", "\"subscribe_events\"", "")
            .module("sneaky", caps, "")
            .start(
                b -> {
                  b.nodeConfig(cfg).watchNodeConfig(false);
                  custom.accept(b);
                });
  }

  private void start(String config) throws Exception {
    start(config, b -> {});
  }

  /** Handshake (recording every byte), subscribe to ConfigLoaded: the response, then the event. */
  private Session open(String module, String... moreEvents) throws Exception {
    RawClient c = fx.connect(module).recording();
    Message.Welcome w = c.hello(fx.launcher.token(module));
    List<String> events = new ArrayList<>(List.of(moreEvents));
    events.add("ConfigLoaded");
    c.send(request(1, "subscribe_events", new Api.SubscribeParams(events), c));
    Message first = c.read();
    while (first instanceof Message.Event e && !e.type().equals("ConfigLoaded")) {
      first = c.read(); // e.g. its own ModuleStateChanged
    }
    Message.Response r =
        assertInstanceOf(Message.Response.class, first, "the response comes before ConfigLoaded");
    assertNull(r.error(), () -> String.valueOf(r.error()));
    Loaded initial = nextLoaded(c);
    return new Session(c, w, initial);
  }

  private record Session(RawClient c, Message.Welcome welcome, Loaded initial)
      implements AutoCloseable {
    @Override
    public void close() throws java.io.IOException {
      c.close();
    }
  }

  private record Loaded(List<String> changed, JsonNode config) {}

  private static Loaded loaded(Message m) throws Exception {
    Message.Event e = assertInstanceOf(Message.Event.class, m, "expected ConfigLoaded");
    assertEquals("ConfigLoaded", e.type());
    assertNull(e.source());
    EventPayloads.ConfigLoaded p =
        org.blvm.protocol.Codec.withDefaults()
            .toValue(e.payload(), EventPayloads.ConfigLoaded.class);
    return new Loaded(p.changedSections(), JSON.readTree(p.configJson()));
  }

  /** Asserts the module has no ConfigLoaded queued: it is not before a request's response. */
  private static void assertNothingReceived(RawClient c, long id) throws Exception {
    c.send(new Message.Request(id, "no_such_method_barrier", null));
    while (true) {
      Message m = c.read();
      if (m instanceof Message.Response r) {
        assertEquals(id, r.id());
        return;
      }
      Message.Event e = assertInstanceOf(Message.Event.class, m, String.valueOf(m));
      assertFalse(e.type().equals("ConfigLoaded"), "unexpected ConfigLoaded: " + e);
    }
  }

  /** The next ConfigLoaded, skipping other events (bounded by the client's 10 s timeout). */
  private static Loaded nextLoaded(RawClient c) throws Exception {
    while (true) {
      Message m = c.read();
      if (m instanceof Message.Event e && !e.type().equals("ConfigLoaded")) {
        continue;
      }
      return loaded(m);
    }
  }

  private ConfigReload rewrite(String config) throws Exception {
    Files.writeString(cfg, config);
    return fx.manager.reloadConfig();
  }

  private static Set<String> set(List<String> l) {
    return Set.copyOf(l);
  }

  // ------------------------------------------------------------------ visibility

  @Test
  void configLoaded_sectionFiltering_readConfigSeesItsSectionsAndOwnOnly() throws Exception {
    start(CONFIG_V1);
    try (Session w = open("watcher");
        Session p = open("plain");
        Session s = open("sneaky")) {
      // watcher: read_config + config_sections network, rpc, mempool (absent), p2p
      assertEquals(Set.of("network", "rpc", "p2p", "modules"), fields(w.initial.config));
      assertEquals(Set.of("watcher"), fields(w.initial.config.get("modules")));
      assertEquals(Set.of("network", "rpc", "p2p", "modules.watcher"), set(w.initial.changed));
      // plain: config_sections = ["network"] but no read_config: only its own section
      assertEquals(Set.of("modules"), fields(p.initial.config));
      assertEquals(Set.of("plain"), fields(p.initial.config.get("modules")));
      assertEquals(List.of("modules.plain"), p.initial.changed);
      // sneaky lists "modules": still only its own section of it
      assertEquals(Set.of("network", "modules"), fields(s.initial.config));
      assertEquals(Set.of("sneaky"), fields(s.initial.config.get("modules")));
    }
  }

  @Test
  void configLoaded_redaction_secretLookingKeysRedactedAtAnyDepth() throws Exception {
    start(CONFIG_V1);
    try (Session w = open("watcher")) {
      JsonNode c = w.initial.config;
      assertEquals(8333, c.at("/network/port").asInt());
      assertEquals("[redacted]", c.at("/network/proxy_auth_token").asText());
      assertEquals("[redacted]", c.at("/network/tor/control_password").asText());
      assertTrue(c.at("/network/tor/enabled").asBoolean());
      assertEquals("a.example", c.at("/network/peers/0/host").asText());
      assertEquals("[redacted]", c.at("/network/peers/0/api_key").asText());
      assertEquals("b.example", c.at("/network/peers/1/host").asText());
      assertEquals(8332, c.at("/rpc/port").asInt());
      assertEquals("[redacted]", c.at("/rpc/password").asText());
      // its own section is never redacted
      assertEquals("OWNSECRET-watcher", c.at("/modules/watcher/own_token").asText());
    }
  }

  @Test
  void configLoaded_grants_keyPathAndWholeSectionUnredacted() throws Exception {
    start(CONFIG_V1);
    try (Session g = open("granted")) {
      JsonNode c = g.initial.config;
      assertEquals("RPCSECRET-1", c.at("/rpc/password").asText()); // "rpc.password"
      assertEquals("SEEDSECRET-1", c.at("/wallet/seed_words").asText()); // "wallet"
      assertEquals("[redacted]", c.at("/network/proxy_auth_token").asText()); // not granted
      assertEquals("[redacted]", c.at("/network/peers/0/api_key").asText());
    }
  }

  @Test
  void redaction_secretWords_caseInsensitiveSubstrings() {
    for (String k :
        List.of(
            "password",
            "RPCPassword",
            "rpcauth",
            "api_key",
            "apiKey",
            "proxy_auth_token",
            "Cookie_File",
            "passphrase",
            "client_secret",
            "seed",
            "mnemonic",
            "macaroon_path",
            "private_key",
            "xprv",
            "credentials")) {
      assertTrue(ConfigView.secretLooking(k), k);
    }
    for (String k : List.of("port", "host", "max_peers", "enabled", "name", "datadir")) {
      assertFalse(ConfigView.secretLooking(k), k);
    }
  }

  @Test
  void welcome_contextConfig_manifestDefaultsOverlaidWithOwnSection() throws Exception {
    start(CONFIG_V1);
    try (Session w = open("watcher");
        Session g = open("granted")) {
      JsonNode wc = w.welcome.context().config();
      assertEquals("hello watcher", wc.get("greeting").asText()); // overrides the manifest's "hi"
      assertEquals("OWNSECRET-watcher", wc.get("own_token").asText());
      JsonNode gc = g.welcome.context().config();
      assertEquals("hi", gc.get("greeting").asText()); // manifest default kept
      assertEquals(1, gc.get("extra").asInt());
      // ConfigLoaded carries the same effective config under modules.<name>
      assertEquals(wc, w.initial.config.at("/modules/watcher"));
    }
  }

  // ------------------------------------------------------------------ never a secret

  @Test
  void secretNeverSeen_moduleWithoutGrant_recordsEveryByteOfItsSession() throws Exception {
    List<String> logLines = new CopyOnWriteArrayList<>();
    LogCapture logs = LogCapture.install("blvm", logLines);
    try {
      start(CONFIG_V1);
      try (Session w = open("watcher", "NewBlock", "ModuleStateChanged", "test.topic");
          Session p = open("plain");
          Session g = open("granted")) {
        RawClient c = w.c;
        long id = 10;
        // every NodeAPI method it may call, and some it may not
        for (NodeMethod m : NodeMethod.values()) {
          JsonNode params =
              switch (m) {
                case GET_BLOCK, GET_BLOCK_HEADER -> c.codec.toTree(new Api.HashParams(H1));
                case GET_BLOCK_BY_HEIGHT, GET_BLOCK_HASH -> c.codec.toTree(new Api.HeightParams(1));
                case PUBLISH_EVENT ->
                    c.codec.toTree(
                        new Api.PublishEventParams("test.topic", c.codec.toTree(List.of(1))));
                case CALL_MODULE ->
                    c.codec.toTree(new Api.CallModuleParams("granted", "nothing", null));
                case SUBSCRIBE_EVENTS ->
                    c.codec.toTree(new Api.SubscribeParams(List.of("ConfigLoaded")));
                default -> null;
              };
          c.send(new Message.Request(id++, m.wireName(), params));
          c.expect(Message.Response.class);
        }
        c.send(new Message.Request(id++, NodeMethod.READY, null));
        c.expect(Message.Response.class);
        fx.manager.publish(
            EventType.NewBlock, new EventPayloads.NewBlock(H1, 2, H1, 1_700_000_000L, 1));

        // reloads: secrets change, visible things change, a broken file with a secret in it
        String v2 =
            CONFIG_V1
                .replace("-1\"", "-2\"")
                .replace("port = 8333", "port = 8334")
                .replace("max_peers = 8", "max_peers = 9");
        assertTrue(rewrite(v2).applied());
        Loaded l2 = nextLoaded(c);
        assertEquals(Set.of("network", "p2p"), set(l2.changed));
        assertFalse(rewrite(v2 + "\n[rpc]\npassword = RPCSECRET-3 junk\n").applied());
        String v3 = v2.replace("-2\"", "-3\"").replace("port = 8332", "port = 8330");
        assertTrue(rewrite(v3).applied());
        assertEquals(List.of("rpc"), nextLoaded(c).changed);
        assertTrue(rewrite(v3.replace("-3\"", "-4\"")).applied()); // only secrets changed
        assertNothingReceived(c, id++);
        // the granted module saw its grant, so the secrets really were in play
        assertTrue(
            new String(g.c.received.toByteArray(), StandardCharsets.UTF_8).contains("RPCSECRET"));

        String all = new String(c.received.toByteArray(), StandardCharsets.UTF_8);
        String allPlain = new String(p.c.received.toByteArray(), StandardCharsets.UTF_8);
        assertTrue(all.contains("OWNSECRET-watcher")); // its own section
        for (String secret : SECRETS) {
          assertFalse(all.contains(secret), "watcher saw " + secret);
          if (!secret.equals("OWNSECRET-plain")) { // its own section: visible to it
            assertFalse(allPlain.contains(secret), "plain saw " + secret);
          }
        }
        assertTrue(allPlain.contains("OWNSECRET-plain"));
        assertFalse(allPlain.contains("OWNSECRET-watcher"), "plain saw watcher's own section");
      }
      // the loader's own log lines name sections, never values
      String text = String.join("\n", logLines);
      assertTrue(text.contains("node config"), text);
      assertTrue(text.contains("refused"), text); // the broken reload was logged
      for (String secret : SECRETS) {
        assertFalse(text.contains(secret), "log printed " + secret + ":\n" + text);
      }
      assertFalse(text.contains("OWNSECRET-watcher"), text);
    } finally {
      logs.uninstall();
    }
  }

  @Test
  void publish_configLoadedByTheNode_refused() throws Exception {
    start(CONFIG_V1);
    assertThrows(
        IllegalArgumentException.class,
        () ->
            fx.manager.publish(
                EventType.ConfigLoaded, new EventPayloads.ConfigLoaded(List.of("rpc"), "{}")));
  }

  // ------------------------------------------------------------------ reloads

  @Test
  void reload_changedSections_addedRemovedModifiedOnlyAndNothingWhenNothingVisibleChanged()
      throws Exception {
    start(CONFIG_V1);
    try (Session w = open("watcher");
        Session p = open("plain")) {
      String v2 =
          CONFIG_V1
              .replace("port = 8333", "port = 8334") // network modified
              .replace("[rpc]\nport = 8332\npassword = \"RPCSECRET-1\"\n", "") // rpc removed
              .replace("[p2p]", "[mempool]\nmax_mb = 300\n[p2p]"); // mempool added
      ConfigReload r = rewrite(v2);
      assertTrue(r.applied(), r::toString);
      assertEquals(Set.of("network", "rpc", "mempool"), set(r.changedSections()));
      Loaded l = nextLoaded(w.c);
      assertEquals(Set.of("network", "rpc", "mempool"), set(l.changed)); // p2p unchanged
      assertFalse(l.config.has("rpc"));
      assertEquals(300, l.config.at("/mempool/max_mb").asInt());
      assertEquals(8334, l.config.at("/network/port").asInt());
      assertNothingReceived(p.c, 50); // nothing visible to plain changed

      // only plain's own section changes: plain hears of it, watcher does not
      ConfigReload r2 = rewrite(v2.replace("hello plain", "hello again"));
      assertEquals(List.of("modules.plain"), r2.changedSections());
      Loaded lp = nextLoaded(p.c);
      assertEquals(List.of("modules.plain"), lp.changed);
      assertEquals("hello again", lp.config.at("/modules/plain/greeting").asText());
      assertNothingReceived(w.c, 51);

      // a section no one may read (chain) and a redacted value: nobody is told
      ConfigReload r3 =
          rewrite(
              v2.replace("hello plain", "hello again").replace("NETSECRET-1", "NETSECRET-9")
                  + "[chain]\nname = \"main\"\n");
      assertEquals(Set.of("network", "chain"), set(r3.changedSections()));
      assertNothingReceived(w.c, 52);
      assertNothingReceived(p.c, 53);
      assertEquals(4, fx.manager.configStatus().orElseThrow().generation());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"syntax", "duplicate", "redefined", "deleted", "empty", "modules"})
  void reload_brokenFile_oldConfigKeptErrorReportedNothingSent(String kind) throws Exception {
    start(CONFIG_V1);
    try (Session w = open("watcher")) {
      switch (kind) {
        case "syntax" -> Files.writeString(cfg, "[network]\nport = 8334\nbroken = \n");
        case "duplicate" -> Files.writeString(cfg, "[network]\nport = 8334\nport = 8335\n");
        case "redefined" -> Files.writeString(cfg, "[network]\nport = 1\n[rpc]\n[network]\n");
        case "deleted" -> Files.delete(cfg);
        case "empty" -> Files.writeString(cfg, "");
        default -> Files.writeString(cfg, "[network]\nport = 8334\n[modules]\nplain = 3\n");
      }
      ConfigReload r = fx.manager.reloadConfig();
      assertFalse(r.applied());
      assertEquals(1, r.generation());
      String expected =
          switch (kind) {
            case "syntax" -> "line 3: not valid TOML";
            case "duplicate" -> "line 3: not valid TOML: Duplicate key";
            case "redefined" -> "line 4: not valid TOML: Table redefined";
            case "deleted" -> "does not exist";
            case "empty" -> "empty";
            default -> "\"modules.plain\" must be a table";
          };
      assertTrue(r.error().contains(expected), r.error());
      assertEquals(r.error(), fx.manager.lastConfigError().orElseThrow());
      assertNothingReceived(w.c, 60);

      // the old config is still the one in force: a new welcome shows it
      Files.writeString(cfg, CONFIG_V1.replace("port = 8333", "port = 8336"));
      ConfigReload ok = fx.manager.reloadConfig();
      assertTrue(ok.applied(), ok::toString);
      assertEquals(List.of("network"), ok.changedSections()); // diffed against V1: it was kept
      assertEquals(List.of("network"), nextLoaded(w.c).changed);
      assertTrue(fx.manager.lastConfigError().isEmpty());
    }
  }

  @Test
  void parse_duplicatesAndRedefinedTables_errorsWithLineAndNoContent() {
    Path f = Path.of("node.toml");
    for (String bad :
        List.of(
            "a = 1\na = 2\n",
            "[x]\na = 1\n[x]\nb = 2\n",
            "[x]\ny.a = 1\n[x.y]\nb = 2\n",
            "x = {a = 1}\n[x]\nb = 2\n",
            "[[x]]\na = 1\n[x]\nb = 2\n",
            "[rpc]\npassword = hunter2secret\n",
            "[rpc]\npassword = \"hunter2secret\n",
            "[rpc]\npassword = 'hunter2secret' junk\n")) {
      NodeConfigException e =
          assertThrows(
              NodeConfigException.class, () -> NodeConfig.parse(f, bad.getBytes(UTF8)), bad);
      assertTrue(e.line() > 0, e.getMessage());
      assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
    }
    assertThrows(
        NodeConfigException.class, () -> NodeConfig.parse(f, new byte[NodeConfig.MAX_BYTES + 1]));
  }

  @Test
  void parse_tablesNestedDeeperThanTheBound_refused() {
    // 1 MiB of dotted table levels in a module's section parsed into a tree 500,000 deep, which
    // overflowed the stack when a reload compared it with the previous config
    StringBuilder toml = new StringBuilder("[modules.m");
    while (toml.length() < NodeConfig.MAX_BYTES - 8) {
      toml.append(".a");
    }
    toml.append("]\n");
    NodeConfigException e =
        assertThrows(
            NodeConfigException.class,
            () -> NodeConfig.parse(Path.of("node.toml"), toml.toString().getBytes(UTF8)));
    assertTrue(
        e.problem().contains("nested deeper than " + org.blvm.policy.TomlDepth.MAX),
        e.getMessage());
  }

  private static final java.nio.charset.Charset UTF8 = StandardCharsets.UTF_8;

  @Test
  void start_invalidOrMissingConfig_startFailsClosed() throws Exception {
    Path bad = tmp.resolve("bad.toml");
    Files.writeString(bad, "[rpc]\nport = 1\nport = 2\n");
    LoaderFixture f = new LoaderFixture(tmp.resolve("f1")).module("plain", "", "");
    try {
      NodeConfigException e =
          assertThrows(NodeConfigException.class, () -> f.start(b -> b.nodeConfig(bad)));
      assertEquals(3, e.line());
      assertTrue(e.problem().contains("Duplicate key"), e.problem());
    } finally {
      f.close();
    }
    LoaderFixture f2 = new LoaderFixture(tmp.resolve("f2")).module("plain", "", "");
    try {
      NodeConfigException e =
          assertThrows(
              NodeConfigException.class,
              () -> f2.start(b -> b.nodeConfig(tmp.resolve("missing.toml"))));
      assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
      assertTrue(f2.launcher.specs.isEmpty(), "no module was launched");
    } finally {
      f2.close();
    }
  }

  // ------------------------------------------------------------------ triggers

  @Test
  void trigger_adminCall_returnsChangedSections() throws Exception {
    start(CONFIG_V1);
    assertEquals(ConfigReload.Trigger.START, fx.manager.configStatus().orElseThrow().trigger());
    ConfigReload same = fx.manager.reloadConfig();
    assertTrue(same.applied());
    assertEquals(List.of(), same.changedSections());
    ConfigReload r = rewrite(CONFIG_V1.replace("max_peers = 8", "max_peers = 1"));
    assertEquals(ConfigReload.Trigger.ADMIN, r.trigger());
    assertEquals(List.of("p2p"), r.changedSections());
    assertEquals(2, r.generation());
  }

  @Test
  void trigger_fileChange_writeAndAtomicRenameAreDelivered() throws Exception {
    start(CONFIG_V1, b -> b.watchNodeConfig(true).nodeConfigDebounce(Duration.ofMillis(50)));
    try (Session w = open("watcher")) {
      // in place
      Files.writeString(cfg, CONFIG_V1.replace("max_peers = 8", "max_peers = 1"));
      Loaded l = nextLoaded(w.c); // bounded: the client's socket timeout is 10 s
      assertEquals(List.of("p2p"), l.changed);
      assertEquals(ConfigReload.Trigger.FILE_CHANGE, fx.manager.configStatus().get().trigger());

      // an editor's write-then-rename
      Path t = cfg.resolveSibling(".node.toml.swp");
      Files.writeString(t, CONFIG_V1.replace("max_peers = 8", "max_peers = 2"));
      Files.move(t, cfg, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      assertEquals(2, nextLoaded(w.c).config.at("/p2p/max_peers").asInt());

      // a broken write is refused and reported; nothing reaches the module
      Files.writeString(cfg, "[p2p]\nmax_peers = \n");
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (fx.manager.lastConfigError().isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertTrue(fx.manager.lastConfigError().isPresent());
      assertNothingReceived(w.c, 70);
    }
  }

  // ------------------------------------------------------------------ module config files

  private static final String PLAIN_SECTION =
      "[modules.plain]\ngreeting = \"hello plain\"\nplain_password = \"OWNSECRET-plain\"\n";

  /** CONFIG_V1 with plain's section moved to etc/modules/plain.toml. */
  private Path startWithPlainFile(Consumer<ModuleManager.Builder> custom) throws Exception {
    Path files = Files.createDirectories(tmp.resolve("etc").resolve("modules"));
    Path plain = files.resolve("plain.toml");
    Files.writeString(plain, PLAIN_SECTION.substring("[modules.plain]\n".length()));
    start(CONFIG_V1.replace(PLAIN_SECTION, ""), custom);
    return plain;
  }

  @Test
  void moduleFile_sameAsItsSection_changeReachesThatModuleOnly() throws Exception {
    Path plain = startWithPlainFile(b -> {});
    try (Session w = open("watcher");
        Session p = open("plain")) {
      assertEquals("hello plain", p.welcome.context().config().get("greeting").asText());
      assertEquals(
          "OWNSECRET-plain", p.initial.config.at("/modules/plain/plain_password").asText());
      assertEquals(Set.of("watcher"), fields(w.initial.config.get("modules")));

      Files.writeString(plain, "greeting = \"hello from the file\"\n");
      ConfigReload r = fx.manager.reloadConfig();

      assertEquals(List.of("modules.plain"), r.changedSections());
      Loaded l = nextLoaded(p.c);
      assertEquals(List.of("modules.plain"), l.changed);
      assertEquals("hello from the file", l.config.at("/modules/plain/greeting").asText());
      assertNothingReceived(w.c, 80);
    }
  }

  @Test
  void moduleFile_fileChange_reloadedWithoutACall() throws Exception {
    Path plain =
        startWithPlainFile(b -> b.watchNodeConfig(true).nodeConfigDebounce(Duration.ofMillis(50)));
    try (Session p = open("plain")) {
      Files.writeString(plain, "greeting = \"edited\"\n");
      Loaded l = nextLoaded(p.c); // bounded: the client's socket timeout is 10 s
      assertEquals("edited", l.config.at("/modules/plain/greeting").asText());
      assertEquals(ConfigReload.Trigger.FILE_CHANGE, fx.manager.configStatus().get().trigger());
    }
  }

  @Test
  void moduleFile_alsoAsASection_refusedNamingBothFilesOldConfigKept() throws Exception {
    Path plain = startWithPlainFile(b -> {});
    try (Session p = open("plain")) {
      Files.writeString(cfg, CONFIG_V1); // plain's section is back in the node config
      ConfigReload r = fx.manager.reloadConfig();

      assertFalse(r.applied(), r::toString);
      assertTrue(r.error().contains(plain.toString()), r.error());
      assertTrue(r.error().contains("configured twice"), r.error());
      assertTrue(r.error().contains(cfg.toString()), r.error());
      assertNothingReceived(p.c, 81);

      Files.writeString(cfg, CONFIG_V1.replace(PLAIN_SECTION, ""));
      Files.writeString(tmp.resolve("etc/modules/Bad_Name.toml"), "x = 1\n");
      ConfigReload bad = fx.manager.reloadConfig();
      assertFalse(bad.applied(), bad::toString);
      assertTrue(bad.error().contains("Bad_Name.toml"), bad.error());
      assertTrue(bad.error().contains("not a module name"), bad.error());
    }
  }

  @Test
  void moduleFile_brokenAtStart_startFailsClosedNamingIt() throws Exception {
    Path files = Files.createDirectories(tmp.resolve("etc").resolve("modules"));
    Files.writeString(files.resolve("plain.toml"), "a = 1\na = 2\n");
    Path main = Files.writeString(files.resolveSibling("node.toml"), "[p2p]\nmax_peers = 8\n");
    LoaderFixture f = new LoaderFixture(tmp.resolve("f1")).module("plain", "", "");
    try {
      NodeConfigException e =
          assertThrows(NodeConfigException.class, () -> f.start(b -> b.nodeConfig(main)));
      assertEquals(files.resolve("plain.toml"), e.file());
      assertTrue(e.problem().contains("Duplicate key"), e.problem());
      assertTrue(f.launcher.specs.isEmpty(), "no module was launched");
    } finally {
      f.close();
    }
  }

  private static Set<String> fields(JsonNode n) {
    Set<String> s = new java.util.HashSet<>();
    n.fieldNames().forEachRemaining(s::add);
    return s;
  }
}

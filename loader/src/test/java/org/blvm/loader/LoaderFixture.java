package org.blvm.loader;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.blvm.policy.Admission;
import org.blvm.policy.AdmissionException;
import org.blvm.policy.MinisignSecretKey;
import org.blvm.policy.ModuleSigner;
import org.blvm.policy.Policy;
import org.blvm.protocol.Api;
import org.blvm.protocol.Message;

/** Module directories + a manager with the in-process launcher, for server-side tests. */
final class LoaderFixture implements AutoCloseable {
  static final String H0 = "00".repeat(32);
  static final String H1 = "11".repeat(32);

  final Path root;

  /** The one signing key the fixture's policy trusts; generated per fixture, never stored. */
  final MinisignSecretKey key = MinisignSecretKey.generate(new SecureRandom());

  final InProcessLauncher launcher = new InProcessLauncher();
  final Map<String, List<String>> logs = new ConcurrentHashMap<>();
  ModuleManager manager;

  /** Operator policy TOML without [[keys]] (see {@link #policy}); null: trust-everything policy. */
  private String policyToml;

  /**
   * Uses a real operator policy: {@code toml} (module sections, defaults; no {@code [[keys]]}) with
   * a {@code [[keys]]} entry for {@link #key} appended.
   */
  LoaderFixture policy(String toml) {
    this.policyToml = toml;
    return this;
  }

  private Policy policy() throws IOException {
    if (policyToml == null) {
      return Policy.trusting(List.of(key.publicKey()), 1);
    }
    String text =
        policyToml
            + "\n[[keys]]\nname = \"fixture\"\npublic_key = \""
            + key.publicKey().encoded()
            + "\"\n";
    try {
      return Policy.parse("fixture-policy.toml", text.getBytes(StandardCharsets.UTF_8));
    } catch (org.blvm.policy.PolicyException e) {
      throw new IOException(e);
    }
  }

  LoaderFixture(Path root) throws IOException {
    this.root = root;
    Files.createDirectories(root.resolve("modules"));
  }

  LoaderFixture module(String name, String capabilities, String provides) throws IOException {
    return module(name, capabilities, provides, "");
  }

  /** A module that also declares custom topics it publishes ({@code "\"a.b\", \"a.c\""}). */
  LoaderFixture module(String name, String capabilities, String provides, String publishes)
      throws IOException {
    Path dir = root.resolve("modules").resolve(name);
    Files.createDirectories(dir);
    Files.writeString(
        dir.resolve("module.toml"),
        "name = \""
            + name
            + "\"\nversion = \"1.0.0\"\nruntime = \"native\"\nentry = \"mod\"\n"
            + "capabilities = ["
            + capabilities
            + "]\nprovides = ["
            + provides
            + "]\npublishes = ["
            + publishes
            + "]\n[config]\ngreeting = \"hi\"\n");
    Files.writeString(dir.resolve("mod"), "the binary of " + name + "\n");
    sign(dir);
    return this;
  }

  /** Pins the binary in the manifest and signs it with {@link #key}. */
  void sign(Path moduleDir) throws IOException {
    try {
      ModuleSigner.sign(moduleDir, key, null, true);
    } catch (AdmissionException e) {
      throw new IOException(e);
    }
  }

  LoaderFixture start(Consumer<ModuleManager.Builder> custom) throws IOException {
    Admission admission;
    try {
      admission = Admission.builder().policy(policy()).stateDir(root.resolve("state")).build();
    } catch (AdmissionException e) {
      throw new IOException(e);
    }
    ModuleManager.Builder b =
        ModuleManager.builder()
            .admission(admission)
            .modulesDir(root.resolve("modules"))
            .runtimeDir(root.resolve("run"))
            .launcher(launcher)
            .backend(new SmallChain())
            .stopGrace(Duration.ofMillis(500))
            .onModuleLog(
                (id, level, msg) ->
                    logs.computeIfAbsent(id, k -> new java.util.concurrent.CopyOnWriteArrayList<>())
                        .add(msg));
    custom.accept(b);
    manager = b.build();
    manager.start();
    return this;
  }

  RawClient connect(String module) throws IOException {
    return new RawClient(launcher.socket(module));
  }

  /** Connects and completes the handshake. */
  RawClient handshake(String module) throws Exception {
    RawClient c = connect(module);
    c.hello(launcher.token(module));
    return c;
  }

  @Override
  public void close() {
    if (manager != null) {
      manager.close();
    }
  }

  /** Two blocks; everything else unsupported, except a method that fails inside the node. */
  static final class SmallChain implements NodeBackend {
    static Api.Block block(String hash, long height) {
      return new Api.Block(
          new Api.BlockHeader(hash, H0, H0, height, 1_700_000_000L + height, 0x1d00ffff, 7, 4),
          List.of(H1),
          285);
    }

    @Override
    public Optional<Api.Block> getBlock(String hash) {
      return hash.equals(H1) ? Optional.of(block(H1, 1)) : Optional.empty();
    }

    @Override
    public Api.ChainTip getChainTip() {
      return new Api.ChainTip(H1, 1);
    }

    @Override
    public Api.NetworkStats getNetworkStats() {
      throw new IllegalStateException("secret internal detail");
    }
  }

  static Message.Request request(long id, String method, Object params, RawClient c) {
    return new Message.Request(id, method, params == null ? null : c.codec.toTree(params));
  }
}

package org.blvm.loader;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.blvm.policy.ModuleManifest;
import org.blvm.policy.ModulePolicy;
import org.blvm.protocol.Capability;

/** Builds the {@link LaunchSpec} of one module launch from what admission decided. */
final class ModuleLaunchSpecs {
  /**
   * The system's CA certificates, bound read-only into sandboxes that may open TLS connections
   * (network_connect, or network = "host"): the bundle and hashed links in /etc/ssl/certs (the
   * JDK's cacerts is /etc/ssl/certs/java on Debian) and the certificates those links point to.
   */
  static final List<Path> CA_CERTIFICATES =
      List.of(Path.of("/etc/ssl/certs"), Path.of("/usr/share/ca-certificates"));

  private ModuleLaunchSpecs() {}

  /**
   * The launch of module {@code id}: the admitted {@code binary} (the store's copy, so a file
   * swapped in the module directory after its signature was checked is never run), its socket,
   * token and directories, with the profile, limits and JVM options {@link LimitResolver} decides.
   */
  static LaunchSpec of(
      String id,
      ModuleManifest manifest,
      Path binary,
      Set<Capability> granted,
      ModulePolicy policy,
      LoaderConfig config,
      Path moduleDir,
      Path dataDir,
      Path socketDir,
      byte[] token) {
    boolean java = manifest.runtime() == ModuleManifest.Runtime.JAVA;
    LimitResolver.Resolved r = LimitResolver.resolve(config.launchDefaults(), java, policy);
    LaunchSpec.Entry entry =
        java
            ? LaunchSpec.Entry.jvm(
                config.javaExecutable(), binary, manifest.mainClass(), r.jvmOptions())
            : LaunchSpec.Entry.nativeBinary(binary);
    boolean hostNetwork = policy != null && policy.network().host();
    List<Path> readOnly = new ArrayList<>(List.of(moduleDir, binary));
    if (hostNetwork || granted.contains(Capability.NETWORK_CONNECT)) {
      for (Path ca : CA_CERTIFICATES) {
        if (Files.isDirectory(ca, LinkOption.NOFOLLOW_LINKS)) {
          readOnly.add(ca);
        }
      }
    }
    return new LaunchSpec(
        id,
        entry,
        List.of(),
        socketDir,
        Endpoint.SOCKET_NAME,
        dataDir,
        readOnly,
        config.runtimeDir().resolve(id + ".out.log"),
        r.confinement(hostNetwork),
        new String(token, StandardCharsets.US_ASCII));
  }
}

package org.blvm.loader;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.blvm.policy.AdmittedModule;
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
   * The launch of module {@code id}: its entry in the admitted tree (the store's verified copy, so
   * a file changed in the module directory after its signature was checked is never run or seen),
   * the manifest's arguments, its socket, token and directories, with the profile, limits and
   * runtime options {@link LimitResolver} decides (a JVM module with {@code classDataArchive}, when
   * the launcher has one ready for its jar, bound read-only); an interpreted module also gets its
   * interpreter and the interpreter's library bound. Capabilities and policy section are the
   * session's (a policy reload may have narrowed them since admission).
   *
   * @throws IOException when the module's interpreter is missing or unusable (the message names it
   *     and the fix)
   */
  static LaunchSpec of(
      String id,
      AdmittedModule admitted,
      Set<Capability> granted,
      ModulePolicy policy,
      LoaderConfig config,
      Path dataDir,
      Path socketDir,
      byte[] token,
      java.util.Optional<Path> classDataArchive)
      throws IOException {
    ModuleManifest manifest = admitted.manifest();
    ModuleManifest.Runtime runtime = manifest.runtime();
    LimitResolver.Resolved r = LimitResolver.resolve(config.launchDefaults(), runtime, policy);
    Path entryFile = admitted.binaryPath();
    List<Path> readOnly = new ArrayList<>(List.of(admitted.tree().root()));
    LaunchSpec.Entry entry;
    switch (runtime) {
      case JAVA:
        entry =
            LaunchSpec.Entry.jvm(
                config.javaExecutable(),
                entryFile,
                manifest.mainClass(),
                LimitResolver.withClassDataArchive(r.options(), classDataArchive));
        classDataArchive.ifPresent(readOnly::add); // the file alone, read-only
        classDataArchive
            .map(ClassDataArchives::libraryOf)
            .filter(l -> Files.isRegularFile(l, java.nio.file.LinkOption.NOFOLLOW_LINKS))
            .ifPresent(readOnly::add); // its junixsocket library, read-only
        break;
      case NATIVE:
        entry = LaunchSpec.Entry.nativeBinary(entryFile);
        break;
      default:
        Interpreters.Interpreter i = config.interpreters().resolve(runtime);
        List<String> options = new ArrayList<>(i.options());
        options.addAll(r.options());
        entry = LaunchSpec.Entry.interpreted(i.executable(), options, entryFile);
        readOnly.addAll(i.readOnly());
        break;
    }
    boolean hostNetwork = policy != null && policy.network().host();
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
        manifest.args(),
        socketDir,
        Endpoint.SOCKET_NAME,
        dataDir,
        readOnly,
        outputLog(config, id),
        r.confinement(hostNetwork),
        new String(token, StandardCharsets.US_ASCII));
  }

  /** Where the loader writes the module's stdout and stderr: {@code <runtime>/<id>.out.log}. */
  static Path outputLog(LoaderConfig config, String id) {
    return config.runtimeDir().resolve(id + ".out.log");
  }
}

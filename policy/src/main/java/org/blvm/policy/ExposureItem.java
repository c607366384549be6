package org.blvm.policy;

import java.util.Optional;
import org.blvm.protocol.Capability;

/**
 * The table of everything that adds to a module's security exposure, with its weight: the one place
 * the weights are defined ({@link SecurityExposure#assess} reads it; docs/security-score.md prints
 * it and a test compares the two). Weights are in tenths of a point; a module's score is the sum of
 * the weights of the items that apply to it, at most 10 (lower is better), as with {@code
 * systemd-analyze security}.
 */
public enum ExposureItem {
  // ---- capabilities: what each grant lets the module do
  CAP_READ_BLOCKCHAIN(
      Capability.READ_BLOCKCHAIN,
      1,
      "reads blocks, headers and transactions",
      "not needed: drop it"),
  CAP_READ_CHAIN_STATE(
      Capability.READ_CHAIN_STATE,
      1,
      "reads block templates and mining state",
      "not needed: drop it"),
  CAP_READ_UTXO(Capability.READ_UTXO, 1, "reads the UTXO set", "not needed: drop it"),
  CAP_READ_MEMPOOL(
      Capability.READ_MEMPOOL,
      2,
      "reads unconfirmed transactions, including the node's own before they confirm",
      "not needed: drop it"),
  CAP_READ_NETWORK(
      Capability.READ_NETWORK,
      4,
      "reads peer addresses and network messages: who the node talks to",
      "not needed: drop it"),
  CAP_SUBSCRIBE_EVENTS(
      Capability.SUBSCRIBE_EVENTS, 1, "receives events it may read", "not needed: drop it"),
  CAP_PUBLISH_EVENTS(
      Capability.PUBLISH_EVENTS,
      2,
      "sends events (its declared topics) to other modules",
      "not needed: drop it"),
  CAP_CALL_MODULE(
      Capability.CALL_MODULE,
      3,
      "calls methods of the modules callable_modules allows",
      "not needed: drop it"),
  CAP_REGISTER_MODULE_API(
      Capability.REGISTER_MODULE_API,
      2,
      "serves methods other modules call, and sees who calls",
      "not needed: drop it"),
  CAP_DISCOVER_MODULES(
      Capability.DISCOVER_MODULES,
      1,
      "lists the other modules and their lifecycle events",
      "not needed: drop it"),
  CAP_SUBMIT_BLOCK(
      Capability.SUBMIT_BLOCK,
      10,
      "submits blocks the node validates and relays",
      "only for a mining module: drop it otherwise"),
  CAP_SEND_TRANSACTIONS(
      Capability.SEND_TRANSACTIONS,
      10,
      "broadcasts transactions through the node",
      "only for a wallet or payment module: drop it otherwise"),
  CAP_REPORT_METRICS(
      Capability.REPORT_METRICS, 1, "reports metrics the node exports", "not needed: drop it"),
  CAP_READ_CONFIG(
      Capability.READ_CONFIG,
      5,
      "reads the node config sections config_sections names (secret keys redacted)",
      "not needed: drop it, or keep config_sections to what it uses"),
  CAP_NETWORK_CONNECT(
      Capability.NETWORK_CONNECT,
      5,
      "opens TCP connections, through the node, to the destinations its network.connect rules list",
      "not needed: drop it, or keep the connect rules to the hosts it uses"),
  CAP_NETWORK_LISTEN(
      Capability.NETWORK_LISTEN,
      5,
      "accepts TCP connections from anyone who reaches the addresses its network.listen list binds",
      "not needed: drop it, or listen on 127.0.0.1 when only local clients need it"),

  // ---- other grants of the policy
  CONFIG_SECRETS(
      null,
      10,
      "sees the secret-looking config keys config_secrets lists, unredacted",
      "remove config_secrets, or list single keys rather than sections"),
  CALLABLE_ANY(
      null,
      5,
      "callable_modules = \"*\": may call every module",
      "list the modules it calls in callable_modules"),
  HOST_NETWORK(
      null,
      20,
      "network = \"host\": shares the host's network: any TCP/UDP address, the host's loopback"
          + " services and abstract Unix sockets, any free port",
      "remove network = \"host\"; grant network_connect or network_listen with rules instead"),
  RATE_UNLIMITED(
      null,
      3,
      "rate_limit.requests_per_second = 0: no bound on its NodeAPI requests",
      "set rate_limit.requests_per_second (default 1000)"),

  // ---- limits (a limit the policy does not write is the loader's default)
  LIMITS_UNSET(
      null,
      2,
      "the policy writes no limits: only the loader's defaults bound it",
      "write limits sized for this module ([modules.<name>.limits])"),
  CPU_UNLIMITED(null, 5, "limits.cpu_seconds = 0: no CPU-time limit", "set limits.cpu_seconds"),
  MEMORY_GENEROUS(null, 3, "limits.memory_mb over 4096", "lower limits.memory_mb to what it needs"),
  PROCESSES_GENEROUS(
      null,
      3,
      "limits.processes over 512 (processes and threads)",
      "lower limits.processes to what it needs"),
  OPEN_FILES_GENEROUS(
      null, 2, "limits.open_files over 16384", "lower limits.open_files to what it needs"),
  DISK_GENEROUS(
      null,
      2,
      "limits.disk_mb over 65536 (the largest file it may write)",
      "lower limits.disk_mb to what it needs"),

  // ---- signatures
  UNSIGNED(
      null,
      20,
      "runs without a signature: nobody vouched for this binary",
      "sign it (blvm-sign) and remove allow_unsigned"),
  ALLOW_UNSIGNED(
      null,
      10,
      "allow_unsigned = true: an unsigned build of it would be admitted",
      "remove allow_unsigned from [modules.<name>]"),
  SINGLE_KEY(
      null,
      3,
      "threshold = 1: one stolen signing key is enough to ship it a new version",
      "raise threshold to 2, with keys held by different people"),

  // ---- the sandbox (known to the running node; not scored offline)
  UNSANDBOXED(
      null,
      50,
      "runs as a plain process with the node's uid: no namespaces, seccomp or limits",
      "remove it from unsandboxedForDevelopment (development only)"),
  NODE_UID(
      null,
      10,
      "its sandbox runs as the node's own host uid",
      "run the node as root so sandboxes get an unprivileged uid (docs/sandbox.md)"),
  SHARED_UID(
      null,
      5,
      "all sandboxes share one host uid: RLIMIT_NPROC is shared with the other modules",
      "give the loader a range of module uids (the default) instead of one sandbox user"),
  DENY_LIST_PROFILE(
      null,
      2,
      "its seccomp profile is a deny-list (default): syscalls it does not name are allowed",
      "native modules: sandbox_profile = \"strict\" (an allow-list); JVM modules need default"),
  WRITABLE_PATHS(
      null,
      1,
      "writes files that outlive it (in total up to limits.data_mb, enforced by measuring)",
      "set limits.data_mb and limits.data_files to what it needs");

  private final Capability capability;
  private final int weightTenths;
  private final String allows;
  private final String fix;

  ExposureItem(Capability capability, int weightTenths, String allows, String fix) {
    this.capability = capability;
    this.weightTenths = weightTenths;
    this.allows = allows;
    this.fix = fix;
  }

  /** The item's name in reports and docs: {@code cap_read_network}, {@code single_key} … */
  public String id() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  /** The capability whose grant this item stands for, if it is one. */
  public Optional<Capability> capability() {
    return Optional.ofNullable(capability);
  }

  /** What it adds to the score, in tenths of a point. */
  public int weightTenths() {
    return weightTenths;
  }

  /** What the module can do because of it. */
  public String allows() {
    return allows;
  }

  /** What the operator can do about it, in one line. */
  public String fix() {
    return fix;
  }

  /** The item of a capability grant. */
  public static ExposureItem of(Capability c) {
    for (ExposureItem i : values()) {
      if (i.capability == c) {
        return i;
      }
    }
    throw new IllegalStateException("no exposure item for capability " + c);
  }
}

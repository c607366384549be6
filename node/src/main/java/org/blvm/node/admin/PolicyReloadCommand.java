package org.blvm.node.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.TreeSet;
import org.blvm.admin.AdminErrorCode;
import org.blvm.admin.AdminException;
import org.blvm.loader.ModuleManager;
import org.blvm.loader.PolicyReload;
import org.blvm.policy.Policy;
import org.blvm.policy.PolicyException;

/**
 * {@code policy.reload}: reads and validates the node's policy file and applies it (docs/policy.md,
 * "Reloading the policy"). A file with problems is refused as a whole ({@code INVALID_POLICY},
 * every problem in {@code details.problems}); nothing changes.
 */
public final class PolicyReloadCommand implements AdminCommand {
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  private final ModuleManager modules;
  private final Path file;

  public PolicyReloadCommand(ModuleManager modules, Path file) {
    this.modules = modules;
    this.file = file;
  }

  @Override
  public String name() {
    return "policy.reload";
  }

  @Override
  public JsonNode run(AdminCall call) throws AdminException {
    call.args().only();
    return reload(modules, file);
  }

  /** Reads {@code file} and applies it; what the admin command and SIGHUP both do. */
  public static ObjectNode reload(ModuleManager modules, Path file) throws AdminException {
    Policy policy;
    try {
      policy = Policy.read(file);
    } catch (PolicyException e) {
      ObjectNode details = JSON.objectNode();
      details.put("file", file.toString());
      ArrayNode problems = details.putArray("problems");
      e.problems().forEach(p -> problems.add(p.toString()));
      throw new AdminException(
          AdminErrorCode.INVALID_POLICY,
          file + " has " + e.problems().size() + " problem(s); the policy in force is unchanged",
          details);
    } catch (IOException e) {
      ObjectNode details = JSON.objectNode();
      details.put("file", file.toString());
      details.putArray("problems").add("cannot read it: " + e.getMessage());
      throw new AdminException(
          AdminErrorCode.INVALID_POLICY,
          "cannot read " + file + "; the policy in force is unchanged",
          details);
    }
    PolicyReload r = modules.reloadPolicy(policy);
    ObjectNode n = JSON.objectNode();
    n.put("source", r.source());
    n.put("time", r.time().toString());
    ArrayNode stopped = n.putArray("stopped");
    for (PolicyReload.Stopped s : r.stopped()) {
      ObjectNode o = stopped.addObject();
      o.put("module", s.module());
      o.put("reason", s.reason());
      o.put("state", s.state().name());
    }
    ArrayNode narrowed = n.putArray("narrowed");
    for (PolicyReload.Narrowed s : r.narrowed()) {
      ObjectNode o = narrowed.addObject();
      o.put("module", s.module());
      ArrayNode removed = o.putArray("removed");
      new TreeSet<>(s.removed()).forEach(c -> removed.add(c.wireName()));
    }
    return n;
  }
}

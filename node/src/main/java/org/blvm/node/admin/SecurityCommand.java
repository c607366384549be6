package org.blvm.node.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.blvm.admin.AdminErrorCode;
import org.blvm.admin.AdminException;
import org.blvm.loader.ModuleManager;
import org.blvm.loader.ModuleStatus;
import org.blvm.policy.ExposureReport;
import org.blvm.policy.SecurityExposure;

/**
 * {@code security}: the security exposure of one module ({@code module}) or of every loaded one, as
 * {@code org.blvm.policy.SecurityExposure} computes it with what the running node knows of its
 * sandbox (docs/admin.md, docs/security-score.md).
 */
public final class SecurityCommand implements AdminCommand {
  private final ModuleManager modules;

  public SecurityCommand(ModuleManager modules) {
    this.modules = modules;
  }

  @Override
  public String name() {
    return "security";
  }

  @Override
  public JsonNode run(AdminCall call) throws AdminException {
    Optional<String> one = call.args().only("module").optionalModule();
    List<ExposureReport> reports = new ArrayList<>();
    if (one.isPresent()) {
      String name = one.get();
      if (modules.status(name).isEmpty()) {
        throw new AdminException(AdminErrorCode.UNKNOWN_MODULE, "no module \"" + name + "\"");
      }
      reports.add(
          modules
              .exposure(name)
              .orElseThrow(
                  () ->
                      new AdminException(
                          AdminErrorCode.WRONG_STATE,
                          "module "
                              + name
                              + " was refused at admission: it does not run, so it has no"
                              + " exposure (see modules list)")));
    } else {
      for (ModuleStatus s : modules.statuses()) {
        modules.exposure(s.name()).ifPresent(reports::add);
      }
    }
    ObjectNode result = JsonNodeFactory.instance.objectNode();
    ArrayNode list = result.putArray("modules");
    for (ExposureReport r : reports) {
      ObjectNode m = list.addObject();
      m.put("name", r.module());
      m.put("score", r.score());
      m.put("score_tenths", r.scoreTenths());
      m.put("rating", r.rating());
      ArrayNode items = m.putArray("items");
      for (ExposureReport.Finding f : r.findings()) {
        ObjectNode i = items.addObject();
        i.put("item", f.item().id());
        i.put("weight", SecurityExposure.points(f.item().weightTenths()));
        i.put("allows", f.item().allows());
        i.put("detail", f.detail());
        i.put("fix", f.item().fix().replace("<name>", r.module()));
      }
      ArrayNode notScored = m.putArray("not_scored");
      r.notScored().forEach(notScored::add);
    }
    return result;
  }
}

package org.blvm.modules.mesh;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.blvm.sdk.DataFiles;

/**
 * {@code mesh-state.json} in the data directory: the packet counters, which survive restarts, and
 * the routing table at the time of writing, for the operator (routes are never read back: links
 * rebuild them). Replaced atomically ({@link DataFiles#writeAtomically}); at most {@link
 * RoutingTable#MAX_DESTINATIONS} routes, so the file stays small.
 */
final class MeshState {
  static final String FILE = "mesh-state.json";

  /** A file larger than this is not read (the module starts its counters at zero). */
  static final long MAX_BYTES = 1024 * 1024;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String[] COUNTERS = {"routed", "forwarded", "delivered", "dropped"};

  private final Path file;

  MeshState(Path dataDir) {
    this.file = dataDir.resolve(FILE);
  }

  /** Restores the counters into {@code node}; an unreadable file is reported and left aside. */
  void restore(MeshNode node) throws IOException {
    if (!Files.exists(file)) {
      return;
    }
    long size = Files.size(file);
    if (size > MAX_BYTES) {
      throw new IOException(
          file + " is " + Long.toString(size) + " bytes, over " + Long.toString(MAX_BYTES));
    }
    JsonNode doc = JSON.readTree(Files.readAllBytes(file));
    JsonNode c = doc.path("counters");
    node.routed.set(Math.max(0, c.path("routed").asLong()));
    node.forwarded.set(Math.max(0, c.path("forwarded").asLong()));
    node.delivered.set(Math.max(0, c.path("delivered").asLong()));
    node.dropped.set(Math.max(0, c.path("dropped").asLong()));
  }

  /** The document {@link #write} stores. */
  static ObjectNode snapshot(MeshNode node) {
    ObjectNode doc = JSON.createObjectNode();
    doc.put("node_id", node.table().self());
    ObjectNode c = doc.putObject("counters");
    long[] values = {
      node.routed.get(), node.forwarded.get(), node.delivered.get(), node.dropped.get()
    };
    for (int i = 0; i < COUNTERS.length; i++) {
      c.put(COUNTERS[i], values[i]);
    }
    ArrayNode routes = doc.putArray("routes");
    for (RoutingTable.Route r : node.table().routes()) {
      routes
          .addObject()
          .put("destination", r.destination())
          .put("next_hop", r.nextHop())
          .put("hops", r.hops());
    }
    return doc;
  }

  void write(JsonNode doc) throws IOException {
    DataFiles.writeAtomically(file, JSON.writeValueAsBytes(doc));
  }

  /** Moves an unreadable file to {@code mesh-state.json.bad}. */
  void moveAside() throws IOException {
    Files.move(file, file.resolveSibling(FILE + ".bad"), StandardCopyOption.REPLACE_EXISTING);
  }
}

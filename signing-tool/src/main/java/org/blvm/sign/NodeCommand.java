package org.blvm.sign;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.SocketTimeoutException;
import java.util.concurrent.Callable;
import org.blvm.admin.AdminClient;
import org.blvm.admin.AdminErrorCode;
import org.blvm.admin.AdminException;
import org.blvm.admin.AdminProtocol;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * A blvm-loader command that talks to a running node over its admin socket (docs/admin.md). A
 * subclass says which request to send ({@link #request}) and how to print its result ({@link
 * #print}); this class connects, waits for the answer, turns errors into messages and exit codes,
 * and prints {@code --json} answers as they came.
 */
abstract class NodeCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin NodeSocketOptions node;

  /** The command on the wire, e.g. {@code modules.list}. */
  abstract String command();

  /** The request's arguments. */
  ObjectNode arguments() {
    return JSON.objectNode();
  }

  /** Prints a result for people; returns the exit code. */
  abstract int print(JsonNode result, PrintWriter out);

  /** Whether the answer is a stream ({@code -f}); then each event goes to {@link #printEvent}. */
  boolean streams() {
    return false;
  }

  /** Prints one event of a stream for people. */
  void printEvent(JsonNode event, PrintWriter out) {
    out.println(event);
  }

  static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  @Override
  public final Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    try (AdminClient client = AdminClient.connect(node.socket())) {
      JsonNode result =
          client.stream(
              command(),
              arguments(),
              streams() ? java.time.Duration.ofDays(3650) : node.timeout(),
              event -> {
                if (node.json) {
                  out.println(line(event));
                } else {
                  printEvent(event, out);
                }
                out.flush();
              });
      if (node.json) {
        out.println(line(result));
        out.flush();
        return exitCode(result);
      }
      int code = print(result, out);
      out.flush();
      return code;
    } catch (AdminException e) {
      return refused(e, out);
    } catch (AdminClient.UnreachableException e) {
      return Cli.fail(spec, ExitCodes.UNREACHABLE, e.getMessage());
    } catch (SocketTimeoutException e) {
      return Cli.fail(
          spec,
          ExitCodes.UNREACHABLE,
          "no answer from the node within "
              + node.timeout().toSeconds()
              + " s (--timeout); the operation may still complete: check with 'modules list'");
    } catch (IOException e) {
      return Cli.fail(spec, ExitCodes.UNREACHABLE, "lost the node: " + e.getMessage());
    }
  }

  /** The exit code of a result printed as JSON (a subclass may say an outcome failed). */
  int exitCode(JsonNode result) {
    return ExitCodes.OK;
  }

  private int refused(AdminException e, PrintWriter out) {
    int code =
        switch (e.code()) {
          case FORBIDDEN, BUSY, SHUTTING_DOWN -> ExitCodes.UNREACHABLE;
          case INTERNAL -> ExitCodes.INTERNAL;
          default -> ExitCodes.REFUSED;
        };
    if (node.json) {
      ObjectNode err = JSON.objectNode();
      ObjectNode body = err.putObject("error");
      body.put("code", e.code().name());
      body.put("message", e.reason());
      if (e.details() != null) {
        body.set("details", e.details());
      }
      out.println(line(err));
      out.flush();
      return code;
    }
    PrintWriter err = spec.commandLine().getErr();
    err.println(spec.root().name() + ": " + describe(e));
    JsonNode details = e.details();
    if (details != null && details.has("problems")) {
      for (JsonNode p : details.get("problems")) {
        err.println("  " + p.asText());
      }
    }
    err.flush();
    return code;
  }

  private static String describe(AdminException e) {
    return e.code() == AdminErrorCode.FORBIDDEN
        ? "the node refused this user: " + e.reason()
        : e.code().name() + ": " + e.reason();
  }

  static String line(JsonNode n) {
    try {
      return AdminProtocol.json().writeValueAsString(n);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}

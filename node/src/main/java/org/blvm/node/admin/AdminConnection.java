package org.blvm.node.admin;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import org.blvm.admin.AdminErrorCode;
import org.blvm.admin.AdminException;
import org.blvm.admin.AdminProtocol;
import org.blvm.admin.AdminRequest;
import org.blvm.admin.AdminResponse;
import org.blvm.admin.LineReader;
import org.blvm.admin.RequestDecoder;
import org.newsclub.net.unix.AFUNIXSocket;

/**
 * One admin connection, on its own thread: reads request lines (each at most {@link
 * AdminProtocol#MAX_REQUEST_BYTES}), takes a token of the connection's rate, decodes, runs the
 * command and writes its answer, in order. It ends when the client closes, after the idle timeout,
 * after a line too long, after a stream, after too many rate-limited requests in a row, or when the
 * server closes.
 */
final class AdminConnection implements Runnable, AdminCall.Stream {
  private static final System.Logger LOG = System.getLogger("blvm.node.admin");

  /** A connection whose requests are refused this many times in a row is closed. */
  static final int MAX_REFUSED_IN_A_ROW = 200;

  private final AFUNIXSocket socket;
  private final CommandRegistry commands;
  private final AdminServer.Settings settings;
  private final AdminServer server;
  private final RequestRate rate;
  private InputStream in;
  private OutputStream out;

  AdminConnection(
      AFUNIXSocket socket,
      CommandRegistry commands,
      AdminServer.Settings settings,
      AdminServer server) {
    this.socket = socket;
    this.commands = commands;
    this.settings = settings;
    this.server = server;
    this.rate = new RequestRate(settings.requestsPerSecond(), settings.burst(), System.nanoTime());
  }

  @Override
  public void run() {
    try {
      in = socket.getInputStream();
      out = socket.getOutputStream();
      serve();
    } catch (IOException e) {
      LOG.log(System.Logger.Level.DEBUG, "admin connection ended: {0}", e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      server.ended(this);
      close();
    }
  }

  private void serve() throws IOException, InterruptedException {
    LineReader reader = new LineReader(in::read);
    int refusedInARow = 0;
    while (!server.closing()) {
      socket.setSoTimeout(millis(settings.idleTimeout().toMillis()));
      byte[] line;
      try {
        line = reader.readLine(AdminProtocol.MAX_REQUEST_BYTES);
      } catch (SocketTimeoutException e) {
        return; // idle
      } catch (LineReader.LineTooLongException e) {
        send(
            AdminResponse.error(
                new AdminException(
                    AdminErrorCode.TOO_LARGE,
                    "a request line is at most "
                        + AdminProtocol.MAX_REQUEST_BYTES
                        + " bytes with its newline; closing")));
        drainAndEnd();
        return;
      }
      if (line == null) {
        return;
      }
      if (!rate.tryTake(System.nanoTime())) {
        send(
            AdminResponse.error(
                new AdminException(
                    AdminErrorCode.RATE_LIMITED,
                    "over "
                        + Long.toString(Math.round(settings.requestsPerSecond()))
                        + " requests a second on this connection")));
        if (++refusedInARow > MAX_REFUSED_IN_A_ROW) {
          drainAndEnd();
          return;
        }
        continue;
      }
      refusedInARow = 0;
      AdminCall call = null;
      AdminResponse answer;
      try {
        AdminRequest request = RequestDecoder.decode(line);
        call = new AdminCall(request, this);
        answer = AdminResponse.result(request.id(), run(call));
      } catch (AdminException e) {
        answer = AdminResponse.error(e);
        if (e.code() == AdminErrorCode.BAD_REQUEST) {
          refusedInARow++;
        }
      }
      if (call != null && call.streamed()) {
        // the client ended the stream (or the node is stopping): nothing more is read
        if (server.closing()) {
          send(
              AdminResponse.error(
                  new AdminException(AdminErrorCode.SHUTTING_DOWN, "the node is stopping")
                      .forRequest(call.request().id())));
        }
        return;
      }
      if (!send(answer)) {
        return;
      }
      if (refusedInARow > MAX_REFUSED_IN_A_ROW) {
        drainAndEnd();
        return;
      }
    }
  }

  private JsonNode run(AdminCall call) throws AdminException, InterruptedException {
    AdminRequest request = call.request();
    AdminCommand command =
        commands
            .find(request.command())
            .orElseThrow(
                () ->
                    new AdminException(
                            AdminErrorCode.UNKNOWN_COMMAND,
                            "no command \""
                                + request.command()
                                + "\"; the node serves "
                                + String.join(", ", commands.names()))
                        .forRequest(request.id()));
    try {
      JsonNode result = command.run(call);
      if (result == null || !result.isObject()) {
        throw new IllegalStateException(command.name() + " answered " + result);
      }
      return result;
    } catch (AdminException e) {
      throw e.requestId().isPresent() ? e : e.forRequest(request.id());
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.ERROR, "admin command " + request.command() + " failed", e);
      throw new AdminException(
              AdminErrorCode.INTERNAL, request.command() + " failed inside the node; see its log")
          .forRequest(request.id());
    }
  }

  @Override
  public boolean emit(long id, JsonNode event) {
    return send(AdminResponse.event(id, event));
  }

  @Override
  public boolean awaitCancel(long millis) throws InterruptedException {
    if (server.closing()) {
      return true;
    }
    try {
      socket.setSoTimeout(millis(millis));
      return in.read() >= -1; // anything the client sends, or its close, ends the stream
    } catch (SocketTimeoutException e) {
      if (Thread.interrupted()) {
        throw new InterruptedException();
      }
      return server.closing();
    } catch (IOException e) {
      return true;
    }
  }

  /**
   * Ends a connection the node gives up on so that the client still reads every answer sent: a
   * socket closed with unread input resets the connection, and a client may then lose the last
   * answer. Shuts the output, then discards input until the client closes, at most 1 MiB or 200 ms.
   */
  private void drainAndEnd() {
    try {
      socket.shutdownOutput();
      socket.setSoTimeout(200);
      byte[] sink = new byte[8192];
      long deadline = System.nanoTime() + 200_000_000L;
      for (int total = 0; total < (1 << 20) && System.nanoTime() < deadline; ) {
        int n = in.read(sink);
        if (n < 0) {
          return;
        }
        total += n;
      }
    } catch (IOException e) {
      // the client left, or is quiet: close now
    }
  }

  /** Writes one line; false when the client is gone. A line over the bound becomes an error. */
  private boolean send(AdminResponse r) {
    byte[] line = r.encode();
    if (line.length > AdminProtocol.MAX_RESPONSE_BYTES) {
      LOG.log(
          System.Logger.Level.ERROR,
          "admin answer of {0} bytes is over the bound; sent an error instead",
          Integer.toString(line.length));
      line =
          AdminResponse.error(
                  new AdminException(AdminErrorCode.INTERNAL, "the answer was too large")
                      .forRequest(r.id()))
              .encode();
    }
    try {
      out.write(line);
      out.flush();
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  void close() {
    try {
      socket.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  private static int millis(long ms) {
    return (int) Math.max(1, Math.min(Integer.MAX_VALUE, ms));
  }
}

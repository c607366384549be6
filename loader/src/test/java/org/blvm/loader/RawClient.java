package org.blvm.loader;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.util.List;
import org.blvm.protocol.Codec;
import org.blvm.protocol.Frames;
import org.blvm.protocol.Message;
import org.blvm.protocol.ProtocolException;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/** A hand-driven module connection for tests: sends any bytes, reads messages with a deadline. */
final class RawClient implements Closeable {
  final Codec codec = Codec.withDefaults();
  private final AFUNIXSocket socket;
  private final InputStream in;
  private final OutputStream out;

  /** Every payload read, when {@link #recording} was asked for (test for leaks). */
  final java.io.ByteArrayOutputStream received = new java.io.ByteArrayOutputStream();

  private boolean recording;

  /** Frames read while {@link #recording}. */
  int framesRead;

  RawClient(String socketPath) throws IOException {
    socket = AFUNIXSocket.newInstance();
    socket.connect(AFUNIXSocketAddress.of(new java.io.File(socketPath)));
    socket.setSoTimeout(10_000);
    in = new BufferedInputStream(socket.getInputStream());
    out = socket.getOutputStream();
  }

  /** From now on, keeps every payload read in {@link #received}. */
  RawClient recording() {
    recording = true;
    return this;
  }

  void send(Message m) throws IOException {
    out.write(codec.encodeFrame(m));
    out.flush();
  }

  void shutdownOutput() throws IOException {
    socket.shutdownOutput();
  }

  void sendRaw(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  /** The next message, or null when the node closed the connection. */
  Message read() throws IOException, ProtocolException {
    byte[] p = Frames.read(in, codec.limits().maxFrameBytes());
    if (p != null && recording) {
      received.write(p);
      framesRead++;
    }
    return p == null ? null : codec.decode(p);
  }

  /** Reads until a message of the given type arrives (skipping events), or fails. */
  <T extends Message> T expect(Class<T> type) throws IOException, ProtocolException {
    for (int i = 0; i < 100_000; i++) {
      Message m = read();
      if (m == null) {
        throw new AssertionError("connection closed while waiting for " + type.getSimpleName());
      }
      if (type.isInstance(m)) {
        return type.cast(m);
      }
      if (!(m instanceof Message.Event)) {
        throw new AssertionError("expected " + type.getSimpleName() + ", got " + m);
      }
    }
    throw new AssertionError("no " + type.getSimpleName());
  }

  /** True when the node closed the connection (EOF) within the socket timeout. */
  boolean closedByNode() throws IOException {
    try {
      while (true) {
        byte[] p = Frames.read(in, Integer.MAX_VALUE);
        if (p == null) {
          return true;
        }
      }
    } catch (SocketTimeoutException e) {
      return false;
    } catch (ProtocolException | IOException e) {
      return true;
    }
  }

  Message.Welcome hello(String token) throws IOException, ProtocolException {
    send(new Message.Hello(List.of(Codec.PROTOCOL_VERSION), token));
    return expect(Message.Welcome.class);
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}

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

  /** Sends {@code m} with {@code fds} attached (SCM_RIGHTS), as a module must never do. */
  void sendWithDescriptors(Message m, java.io.FileDescriptor... fds) throws IOException {
    socket.setOutboundFileDescriptors(fds);
    out.write(codec.encodeFrame(m));
    out.flush();
  }

  /** Makes room for received descriptors: from now on, those the node sends are kept. */
  RawClient acceptingDescriptors() throws IOException {
    socket.setAncillaryReceiveBufferSize(1024);
    return this;
  }

  /** The descriptors received since the last call (empty when none). */
  java.io.FileDescriptor[] descriptors() throws IOException {
    java.io.FileDescriptor[] fds = socket.getReceivedFileDescriptors();
    return fds == null ? new java.io.FileDescriptor[0] : fds;
  }

  /**
   * One frame read a byte at a time from the socket itself (nothing may be buffered: call it right
   * after the handshake or after frames read the same way), with the descriptors that arrived and
   * the offset in the frame of the byte whose read brought them (-1: none).
   */
  RawFrame readRawFrame() throws IOException, ProtocolException {
    InputStream raw = socket.getInputStream();
    byte[] head = new byte[4];
    java.io.FileDescriptor[] fds = new java.io.FileDescriptor[0];
    int at = -1;
    for (int i = 0; i < 4; i++) {
      int b = raw.read();
      if (b < 0) {
        return null;
      }
      head[i] = (byte) b;
      java.io.FileDescriptor[] got = descriptors();
      if (got.length > 0) {
        fds = got;
        at = i;
      }
    }
    int len = java.nio.ByteBuffer.wrap(head).getInt();
    byte[] payload = new byte[len];
    for (int i = 0; i < len; i++) {
      int b = raw.read();
      if (b < 0) {
        throw new IOException("stream ended inside a frame");
      }
      payload[i] = (byte) b;
      java.io.FileDescriptor[] got = descriptors();
      if (got.length > 0) {
        fds = got;
        at = 4 + i;
      }
    }
    return new RawFrame(codec.decode(payload), fds, at);
  }

  /** A frame read by {@link #readRawFrame}. */
  record RawFrame(Message message, java.io.FileDescriptor[] descriptors, int descriptorAt) {}

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

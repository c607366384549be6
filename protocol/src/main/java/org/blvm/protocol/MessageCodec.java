package org.blvm.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Messages to and from their CBOR payload (protocol.md §3, §4): {@link #encode} writes a message
 * through a tree, {@link #decode} reads a payload strictly within the {@link Limits} ({@link
 * CborReader}) and then checks the envelope: unknown keys, duplicate keys, missing keys, wrong
 * types and oversized values are {@link ProtocolException}s. Params, results and payloads stay
 * trees here; {@link ValueCodec} binds them to records. Immutable and thread-safe.
 */
public final class MessageCodec {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final int MAX_METHOD_CHARS = 128;
  private static final int MAX_TOKEN_CHARS = 256;
  private static final int MAX_VERSIONS = 16;

  private final Limits limits;

  MessageCodec(Limits limits) {
    this.limits = Objects.requireNonNull(limits);
  }

  /**
   * The CBOR payload of one message (without the length prefix). The hello and a request without
   * params are written by hand ({@link HandshakeCbor}), every other message through a tree; both
   * give the same bytes.
   */
  public byte[] encode(Message m) {
    byte[] direct = HandshakeCbor.encode(m);
    return direct != null ? direct : encodeThroughTree(m);
  }

  /** {@link #encode} through a tree, for every kind (for tests comparing both paths). */
  byte[] encodeThroughTree(Message m) {
    return writeCbor(toNode(m));
  }

  /** The message as one frame: length prefix + CBOR payload. */
  public byte[] encodeFrame(Message m) {
    return Frames.frame(encode(m));
  }

  /** Encodes any tree as one CBOR item. */
  public byte[] writeCbor(JsonNode node) {
    try {
      return TreeWriter.CBOR.writeValueAsBytes(node);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Jackson's CBOR writer for trees, built when first used (a module's hello does not need it).
   * Writes only: frames are read by {@link CborReader}, which enforces the limits.
   */
  private static final class TreeWriter {
    static final ObjectMapper CBOR = new ObjectMapper(new WireCborFactory());

    private TreeWriter() {}
  }

  private ObjectNode toNode(Message m) {
    ObjectNode o = NODES.objectNode();
    o.put("kind", m.kind());
    if (m instanceof Message.Hello h) {
      ArrayNode v = o.putArray("versions");
      h.versions().forEach(v::add);
      o.put("token", h.token());
    } else if (m instanceof Message.Welcome w) {
      o.put("version", w.version());
      ModuleContext c = w.context();
      ObjectNode ctx = o.putObject("context");
      ctx.put("module_id", c.moduleId());
      ctx.set("config", c.config());
      ctx.put("data_dir", c.dataDir());
      ctx.put("socket_path", c.socketPath());
      ArrayNode caps = ctx.putArray("capabilities");
      c.capabilities().forEach(cap -> caps.add(cap.wireName()));
    } else if (m instanceof Message.Request r) {
      o.put("id", r.id());
      o.put("method", r.method());
      o.set("params", nullToNode(r.params()));
    } else if (m instanceof Message.Response r) {
      o.put("id", r.id());
      if (r.error() != null) {
        o.set("error", errorNode(r.error()));
      } else {
        o.set("result", r.result());
      }
    } else if (m instanceof Message.Event e) {
      o.put("seq", e.seq());
      o.put("type", e.type());
      o.put("source", e.source());
      o.set("payload", e.payload());
    } else if (m instanceof Message.Invoke i) {
      o.put("id", i.id());
      o.put("method", i.method());
      o.set("params", nullToNode(i.params()));
      o.put("caller", i.caller());
    } else if (m instanceof Message.Log l) {
      o.put("level", l.level().wireName());
      o.put("message", l.message());
    } else if (m instanceof Message.Close c) {
      o.put("code", c.code().name());
      o.put("message", c.message());
    } else {
      throw new IllegalArgumentException("unknown message " + m);
    }
    return o;
  }

  private static JsonNode nullToNode(JsonNode n) {
    return n == null ? NullNode.getInstance() : n;
  }

  private static ObjectNode errorNode(ErrorValue e) {
    ObjectNode o = NODES.objectNode();
    o.put("code", e.code().name());
    o.put("message", e.message());
    if (e.capability() != null) {
      o.put("capability", e.capability().wireName());
    }
    return o;
  }

  /** Parses one CBOR item within the limits, without interpreting it. */
  public JsonNode readCbor(byte[] payload) throws ProtocolException {
    if (payload.length > limits.maxFrameBytes()) {
      throw new ProtocolException(
          ProtocolException.Reason.FRAME_TOO_LARGE,
          "payload of " + payload.length + " bytes exceeds " + limits.maxFrameBytes());
    }
    return CborReader.readSingle(limits, payload);
  }

  /** Decodes one frame payload into a message, strictly. */
  public Message decode(byte[] payload) throws ProtocolException {
    JsonNode root = readCbor(payload);
    if (!root.isObject()) {
      throw Fields.wrongType("message", "a map", root);
    }
    Fields f = new Fields((ObjectNode) root);
    String kind = f.text("kind", 32);
    switch (kind) {
      case "hello":
        {
          f.only("kind", "versions", "token");
          List<Integer> versions = new ArrayList<>();
          JsonNode arr = f.require("versions");
          if (!arr.isArray() || arr.isEmpty() || arr.size() > MAX_VERSIONS) {
            throw new ProtocolException(
                ProtocolException.Reason.WRONG_TYPE,
                "hello.versions must be an array of 1.." + MAX_VERSIONS + " integers");
          }
          for (JsonNode v : arr) {
            if (!v.canConvertToInt() || !v.isIntegralNumber() || v.intValue() < 1) {
              throw Fields.wrongType("hello.versions[]", "a positive integer", v);
            }
            versions.add(v.intValue());
          }
          return new Message.Hello(versions, f.text("token", MAX_TOKEN_CHARS));
        }
      case "welcome":
        {
          f.only("kind", "version", "context");
          int version = (int) f.uint("version", Integer.MAX_VALUE);
          JsonNode ctxNode = f.require("context");
          if (!ctxNode.isObject()) {
            throw Fields.wrongType("welcome.context", "a map", ctxNode);
          }
          Fields c = new Fields((ObjectNode) ctxNode, "context.");
          c.only("module_id", "config", "data_dir", "socket_path", "capabilities");
          List<Capability> caps = new ArrayList<>();
          JsonNode capsNode = c.require("capabilities");
          if (!capsNode.isArray()) {
            throw Fields.wrongType("context.capabilities", "an array", capsNode);
          }
          for (JsonNode n : capsNode) {
            if (!n.isTextual()) {
              throw Fields.wrongType("context.capabilities[]", "a text string", n);
            }
            caps.add(
                Capability.fromWire(n.textValue())
                    .orElseThrow(
                        () ->
                            new ProtocolException(
                                ProtocolException.Reason.BAD_FIELD,
                                "unknown capability \"" + n.textValue() + "\"")));
          }
          return new Message.Welcome(
              version,
              new ModuleContext(
                  c.text("module_id", 256),
                  c.require("config"),
                  c.text("data_dir", 4096),
                  c.text("socket_path", 4096),
                  caps));
        }
      case "request":
        f.only("kind", "id", "method", "params");
        return new Message.Request(
            f.id(), f.text("method", MAX_METHOD_CHARS), f.optional("params"));
      case "response":
        {
          f.only("kind", "id", "result", "error");
          long id = f.id();
          JsonNode result = f.root.get("result");
          JsonNode error = f.root.get("error");
          if ((result == null) == (error == null)) {
            throw new ProtocolException(
                ProtocolException.Reason.BAD_FIELD,
                "response must have exactly one of \"result\" and \"error\"");
          }
          if (error != null) {
            return Message.Response.error(id, decodeError(error));
          }
          return Message.Response.ok(id, result);
        }
      case "event":
        {
          f.only("kind", "seq", "type", "source", "payload");
          long seq = f.uint("seq", Long.MAX_VALUE);
          String type = f.text("type", MAX_METHOD_CHARS);
          String source = f.nullableText("source", 256);
          return new Message.Event(seq, type, source, f.require("payload"));
        }
      case "invoke":
        f.only("kind", "id", "method", "params", "caller");
        return new Message.Invoke(
            f.id(),
            f.text("method", MAX_METHOD_CHARS),
            f.optional("params"),
            f.nullableText("caller", 256));
      case "log":
        {
          f.only("kind", "level", "message");
          String level = f.text("level", 8);
          Message.LogLevel parsed = null;
          for (Message.LogLevel l : Message.LogLevel.values()) {
            if (l.wireName().equals(level)) {
              parsed = l;
            }
          }
          if (parsed == null) {
            throw new ProtocolException(
                ProtocolException.Reason.BAD_FIELD,
                "log.level must be one of trace, debug, info, warn, error; found \""
                    + level
                    + "\"");
          }
          return new Message.Log(parsed, f.text("message", limits.maxStringBytes()));
        }
      case "close":
        {
          f.only("kind", "code", "message");
          String code = f.text("code", 64);
          return new Message.Close(
              ErrorCode.fromWire(code)
                  .orElseThrow(
                      () ->
                          new ProtocolException(
                              ProtocolException.Reason.BAD_FIELD,
                              "unknown close code \"" + code + "\"")),
              f.text("message", limits.maxStringBytes()));
        }
      default:
        throw new ProtocolException(
            ProtocolException.Reason.UNKNOWN_KIND,
            "unknown message kind \""
                + kind
                + "\"; expected one of hello, welcome, request,"
                + " response, event, invoke, log, close");
    }
  }

  private ErrorValue decodeError(JsonNode error) throws ProtocolException {
    if (!error.isObject()) {
      throw Fields.wrongType("response.error", "a map", error);
    }
    Fields e = new Fields((ObjectNode) error, "error.");
    e.only("code", "message", "capability");
    String codeName = e.text("code", 64);
    ErrorCode code =
        ErrorCode.fromWire(codeName)
            .orElseThrow(
                () ->
                    new ProtocolException(
                        ProtocolException.Reason.BAD_FIELD,
                        "unknown error code \"" + codeName + "\""));
    Capability cap = null;
    String capName = e.nullableText("capability", 64);
    if (capName != null) {
      cap =
          Capability.fromWire(capName)
              .orElseThrow(
                  () ->
                      new ProtocolException(
                          ProtocolException.Reason.BAD_FIELD,
                          "unknown capability \"" + capName + "\""));
    }
    return new ErrorValue(code, e.text("message", limits.maxStringBytes()), cap);
  }
}

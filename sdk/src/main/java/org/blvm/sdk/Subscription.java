package org.blvm.sdk;

import org.blvm.protocol.Codec;
import org.blvm.protocol.Message;
import org.blvm.protocol.ProtocolException;

/**
 * One event handler: typed (a core event, payload decoded to {@code payloadType}) or custom (a
 * module topic, payload left as a tree).
 */
final class Subscription {
  private final Class<?> payloadType;
  private final ModuleClient.EventHandler<?> typed;
  private final ModuleClient.CustomEventHandler custom;
  private final ModuleClient.ConfigHandler config;

  Subscription(
      Class<?> payloadType,
      ModuleClient.EventHandler<?> typed,
      ModuleClient.CustomEventHandler custom) {
    this.payloadType = payloadType;
    this.typed = typed;
    this.custom = custom;
    this.config = null;
  }

  private Subscription(ModuleClient.ConfigHandler config) {
    this.payloadType = null;
    this.typed = null;
    this.custom = null;
    this.config = config;
  }

  /** The {@code ConfigLoaded} handler of {@link ModuleClient.Builder#onConfig}. */
  static Subscription config(ModuleClient.ConfigHandler handler) {
    return new Subscription(handler);
  }

  /** The record class a typed handler takes, or null (custom and config handlers). */
  Class<?> payloadType() {
    return typed == null ? null : payloadType;
  }

  /** The config handler, or null for other subscriptions (the client runs it itself). */
  ModuleClient.ConfigHandler configHandler() {
    return config;
  }

  /**
   * Decodes the payload (typed handlers) and runs the handler.
   *
   * @param decoded the payload already decoded, or null to decode it here
   * @throws ProtocolException when the payload does not match the event's schema
   * @throws Exception whatever the handler throws
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  void deliver(Codec codec, Message.Event event, Object decoded) throws Exception {
    if (custom != null) {
      custom.handle(event);
      return;
    }
    Object payload =
        payloadType.isInstance(decoded) ? decoded : codec.toValue(event.payload(), payloadType);
    ((ModuleClient.EventHandler) typed).handle(event, payload);
  }
}

package org.blvm.modules.stratum;

import java.math.BigInteger;
import java.util.HexFormat;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The messages of the specification a standard channel needs: the common {@code SetupConnection}
 * family (section "Common Protocol Messages") and the Mining Protocol's channel, job and share
 * messages (section "Mining Protocol Messages"), with the message types and {@code channel_msg}
 * bits of section "Message Types". Each encodes itself into a {@link Frame}; {@link #decode} reads
 * any of them back, strictly (every field present, nothing after the last).
 */
sealed interface Sv2Message {
  int SETUP_CONNECTION = 0x00;
  int SETUP_CONNECTION_SUCCESS = 0x01;
  int SETUP_CONNECTION_ERROR = 0x02;
  int OPEN_STANDARD_MINING_CHANNEL = 0x10;
  int OPEN_STANDARD_MINING_CHANNEL_SUCCESS = 0x11;
  int OPEN_MINING_CHANNEL_ERROR = 0x12;
  int OPEN_EXTENDED_MINING_CHANNEL = 0x13;
  int NEW_MINING_JOB = 0x15;
  int CLOSE_CHANNEL = 0x18;
  int SUBMIT_SHARES_STANDARD = 0x1a;
  int SUBMIT_SHARES_SUCCESS = 0x1c;
  int SUBMIT_SHARES_ERROR = 0x1d;
  int SET_NEW_PREV_HASH = 0x20;

  /** The frame carrying this message (extension 0, the Mining Protocol). */
  Frame frame();

  /**
   * The message in {@code f}; empty for a message type this module does not know or an extension
   * other than 0 (which the specification says to ignore).
   */
  static Optional<Sv2Message> decode(Frame f) throws MalformedFrameException {
    if (f.extension() != 0) {
      return Optional.empty();
    }
    byte[] p = f.payload();
    Sv2Message m =
        switch (f.msgType()) {
          case SETUP_CONNECTION -> SetupConnection.read(new WireReader(p, "SetupConnection"));
          case SETUP_CONNECTION_SUCCESS ->
              SetupConnectionSuccess.read(new WireReader(p, "SetupConnection.Success"));
          case SETUP_CONNECTION_ERROR ->
              SetupConnectionError.read(new WireReader(p, "SetupConnection.Error"));
          case OPEN_STANDARD_MINING_CHANNEL ->
              OpenStandardMiningChannel.read(new WireReader(p, "OpenStandardMiningChannel"));
          case OPEN_STANDARD_MINING_CHANNEL_SUCCESS ->
              OpenStandardMiningChannelSuccess.read(
                  new WireReader(p, "OpenStandardMiningChannel.Success"));
          case OPEN_MINING_CHANNEL_ERROR ->
              OpenMiningChannelError.read(new WireReader(p, "OpenMiningChannel.Error"));
          case NEW_MINING_JOB -> NewMiningJob.read(new WireReader(p, "NewMiningJob"));
          case CLOSE_CHANNEL -> CloseChannel.read(new WireReader(p, "CloseChannel"));
          case SUBMIT_SHARES_STANDARD ->
              SubmitSharesStandard.read(new WireReader(p, "SubmitSharesStandard"));
          case SUBMIT_SHARES_SUCCESS ->
              SubmitSharesSuccess.read(new WireReader(p, "SubmitShares.Success"));
          case SUBMIT_SHARES_ERROR ->
              SubmitSharesError.read(new WireReader(p, "SubmitShares.Error"));
          case SET_NEW_PREV_HASH -> SetNewPrevHash.read(new WireReader(p, "SetNewPrevHash"));
          default -> null;
        };
    return Optional.ofNullable(m);
  }

  private static Frame frame(int type, boolean channelMsg, WireWriter w) {
    return new Frame(channelMsg ? Frame.CHANNEL_MSG_BIT : 0, type, w.toBytes());
  }

  record SetupConnection(
      int protocol,
      int minVersion,
      int maxVersion,
      long flags,
      String endpointHost,
      int endpointPort,
      String vendor,
      String hardwareVersion,
      String firmware,
      String deviceId)
      implements Sv2Message {
    static SetupConnection read(WireReader r) throws MalformedFrameException {
      SetupConnection m =
          new SetupConnection(
              r.u8("protocol"),
              r.u16("min_version"),
              r.u16("max_version"),
              r.u32("flags"),
              r.str0255("endpoint_host"),
              r.u16("endpoint_port"),
              r.str0255("vendor"),
              r.str0255("hardware_version"),
              r.str0255("firmware"),
              r.str0255("device_id"));
      r.end();
      return m;
    }

    @Override
    public Frame frame() {
      return Sv2Message.frame(
          SETUP_CONNECTION,
          false,
          new WireWriter()
              .u8(protocol)
              .u16(minVersion)
              .u16(maxVersion)
              .u32(flags)
              .str0255(endpointHost)
              .u16(endpointPort)
              .str0255(vendor)
              .str0255(hardwareVersion)
              .str0255(firmware)
              .str0255(deviceId));
    }
  }

  record SetupConnectionSuccess(int usedVersion, long flags) implements Sv2Message {
    static SetupConnectionSuccess read(WireReader r) throws MalformedFrameException {
      SetupConnectionSuccess m = new SetupConnectionSuccess(r.u16("used_version"), r.u32("flags"));
      r.end();
      return m;
    }

    @Override
    public Frame frame() {
      return Sv2Message.frame(
          SETUP_CONNECTION_SUCCESS, false, new WireWriter().u16(usedVersion).u32(flags));
    }
  }

  record SetupConnectionError(long flags, String errorCode) implements Sv2Message {
    static SetupConnectionError read(WireReader r) throws MalformedFrameException {
      SetupConnectionError m = new SetupConnectionError(r.u32("flags"), r.str0255("error_code"));
      r.end();
      return m;
    }

    @Override
    public Frame frame() {
      return Sv2Message.frame(
          SETUP_CONNECTION_ERROR, false, new WireWriter().u32(flags).str0255(errorCode));
    }
  }

  record OpenStandardMiningChannel(
      long requestId, String userIdentity, float nominalHashRate, BigInteger maxTarget)
      implements Sv2Message {
    static OpenStandardMiningChannel read(WireReader r) throws MalformedFrameException {
      OpenStandardMiningChannel m =
          new OpenStandardMiningChannel(
              r.u32("request_id"),
              r.str0255("user_identity"),
              r.f32("nominal_hash_rate"),
              r.u256("max_target"));
      r.end();
      return m;
    }

    @Override
    public Frame frame() {
      return Sv2Message.frame(
          OPEN_STANDARD_MINING_CHANNEL,
          false,
          new WireWriter()
              .u32(requestId)
              .str0255(userIdentity)
              .f32(nominalHashRate)
              .u256(maxTarget));
    }
  }

  /** {@code extranoncePrefixHex}: the B0_32 {@code extranonce_prefix} as hex. */
  record OpenStandardMiningChannelSuccess(
      long requestId,
      long channelId,
      BigInteger target,
      String extranoncePrefixHex,
      long groupChannelId)
      implements Sv2Message {
    static OpenStandardMiningChannelSuccess read(WireReader r) throws MalformedFrameException {
      OpenStandardMiningChannelSuccess m =
          new OpenStandardMiningChannelSuccess(
              r.u32("request_id"),
              r.u32("channel_id"),
              r.u256("target"),
              HexFormat.of().formatHex(r.b032("extranonce_prefix")),
              r.u32("group_channel_id"));
      r.end();
      return m;
    }

    @Override
    public Frame frame() {
      return Sv2Message.frame(
          OPEN_STANDARD_MINING_CHANNEL_SUCCESS,
          false,
          new WireWriter()
              .u32(requestId)
              .u32(channelId)
              .u256(target)
              .b032(HexFormat.of().parseHex(extranoncePrefixHex))
              .u32(groupChannelId));
    }
  }

  record OpenMiningChannelError(long requestId, String errorCode) implements Sv2Message {
    static OpenMiningChannelError read(WireReader r) throws MalformedFrameException {
      OpenMiningChannelError m =
          new OpenMiningChannelError(r.u32("request_id"), r.str0255("error_code"));
      r.end();
      return m;
    }

    @Override
    public Frame frame() {
      return Sv2Message.frame(
          OPEN_MINING_CHANNEL_ERROR, false, new WireWriter().u32(requestId).str0255(errorCode));
    }
  }

  /** {@code minNtime} empty: a future job, activated by a {@code SetNewPrevHash} naming it. */
  record NewMiningJob(
      long channelId, long jobId, OptionalLong minNtime, long version, Bytes32 merkleRoot)
      implements Sv2Message {
    static NewMiningJob read(WireReader r) throws MalformedFrameException {
      NewMiningJob m =
          new NewMiningJob(
              r.u32("channel_id"),
              r.u32("job_id"),
              r.optionU32("min_ntime"),
              r.u32("version"),
              r.u256Bytes("merkle_root"));
      r.end();
      return m;
    }

    @Override
    public Frame frame() {
      return Sv2Message.frame(
          NEW_MINING_JOB,
          false,
          new WireWriter()
              .u32(channelId)
              .u32(jobId)
              .optionU32(minNtime)
              .u32(version)
              .u256(merkleRoot));
    }
  }

  record CloseChannel(long channelId, String reasonCode) implements Sv2Message {
    static CloseChannel read(WireReader r) throws MalformedFrameException {
      CloseChannel m = new CloseChannel(r.u32("channel_id"), r.str0255("reason_code"));
      r.end();
      return m;
    }

    @Override
    public Frame frame() {
      return Sv2Message.frame(
          CLOSE_CHANNEL, true, new WireWriter().u32(channelId).str0255(reasonCode));
    }
  }

  record SubmitSharesStandard(
      long channelId, long sequenceNumber, long jobId, long nonce, long ntime, long version)
      implements Sv2Message {
    static SubmitSharesStandard read(WireReader r) throws MalformedFrameException {
      SubmitSharesStandard m =
          new SubmitSharesStandard(
              r.u32("channel_id"),
              r.u32("sequence_number"),
              r.u32("job_id"),
              r.u32("nonce"),
              r.u32("ntime"),
              r.u32("version"));
      r.end();
      return m;
    }

    @Override
    public Frame frame() {
      return Sv2Message.frame(
          SUBMIT_SHARES_STANDARD,
          true,
          new WireWriter()
              .u32(channelId)
              .u32(sequenceNumber)
              .u32(jobId)
              .u32(nonce)
              .u32(ntime)
              .u32(version));
    }
  }

  record SubmitSharesSuccess(
      long channelId, long lastSequenceNumber, long newSubmitsAcceptedCount, long newSharesSum)
      implements Sv2Message {
    static SubmitSharesSuccess read(WireReader r) throws MalformedFrameException {
      SubmitSharesSuccess m =
          new SubmitSharesSuccess(
              r.u32("channel_id"),
              r.u32("last_sequence_number"),
              r.u32("new_submits_accepted_count"),
              r.u64("new_shares_sum"));
      r.end();
      return m;
    }

    @Override
    public Frame frame() {
      return Sv2Message.frame(
          SUBMIT_SHARES_SUCCESS,
          true,
          new WireWriter()
              .u32(channelId)
              .u32(lastSequenceNumber)
              .u32(newSubmitsAcceptedCount)
              .u64(newSharesSum));
    }
  }

  record SubmitSharesError(long channelId, long sequenceNumber, String errorCode)
      implements Sv2Message {
    static SubmitSharesError read(WireReader r) throws MalformedFrameException {
      SubmitSharesError m =
          new SubmitSharesError(
              r.u32("channel_id"), r.u32("sequence_number"), r.str0255("error_code"));
      r.end();
      return m;
    }

    @Override
    public Frame frame() {
      return Sv2Message.frame(
          SUBMIT_SHARES_ERROR,
          true,
          new WireWriter().u32(channelId).u32(sequenceNumber).str0255(errorCode));
    }
  }

  /** {@code prevHash}: the previous block's hash as the header holds it (internal order). */
  record SetNewPrevHash(long channelId, long jobId, Bytes32 prevHash, long minNtime, long nbits)
      implements Sv2Message {
    static SetNewPrevHash read(WireReader r) throws MalformedFrameException {
      SetNewPrevHash m =
          new SetNewPrevHash(
              r.u32("channel_id"),
              r.u32("job_id"),
              r.u256Bytes("prev_hash"),
              r.u32("min_ntime"),
              r.u32("nbits"));
      r.end();
      return m;
    }

    @Override
    public Frame frame() {
      return Sv2Message.frame(
          SET_NEW_PREV_HASH,
          true,
          new WireWriter().u32(channelId).u32(jobId).u256(prevHash).u32(minNtime).u32(nbits));
    }
  }
}

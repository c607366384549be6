package org.blvm.modules.stratum;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.blvm.protocol.Api;
import org.blvm.protocol.Message;
import org.blvm.sdk.ModuleClient;
import org.blvm.sdk.NodeApiException;

/**
 * The pool: the current job, the connected miners, the counters. New templates become jobs for
 * every channel ({@link #newTemplate}, on the SDK's event thread); shares that meet the network
 * target become blocks ({@code submit_block}, on the miner's thread).
 */
final class Pool {
  /** Blocks found remembered in the state file. */
  static final int RECENT_BLOCKS = 100;

  private final ModuleClient client;
  private final StateStore state;
  private final byte[] extranonceSeed = new byte[4];
  private final Set<MinerSession> sessions = ConcurrentHashMap.newKeySet();
  private final AtomicLong nextSession = new AtomicLong(1);
  private final AtomicLong nextChannel = new AtomicLong(1);
  private final AtomicLong nextJob;
  private final AtomicLong sharesAccepted;
  private final AtomicLong sharesRejected;
  private final AtomicLong blocksFound;
  private final Deque<String> recentBlocks = new ArrayDeque<>();
  private volatile StratumConfig config;
  private final AtomicReference<Job> current = new AtomicReference<>();

  Pool(ModuleClient client, StratumConfig config, StateStore state, SecureRandom random) {
    this.client = client;
    this.config = config;
    this.state = state;
    random.nextBytes(extranonceSeed);
    ObjectNode s = state.load();
    this.nextJob = new AtomicLong(Math.max(1, s.path("next_job_id").asLong(1)) & 0xffffffffL);
    this.sharesAccepted = new AtomicLong(s.path("shares_accepted").asLong(0));
    this.sharesRejected = new AtomicLong(s.path("shares_rejected").asLong(0));
    this.blocksFound = new AtomicLong(s.path("blocks_found").asLong(0));
    s.path("recent_blocks").forEach(b -> remember(b.asText()));
  }

  StratumConfig config() {
    return config;
  }

  void config(StratumConfig c) {
    this.config = c;
  }

  Job currentJob() {
    return current.get();
  }

  /** Reads the node's template and mining stats, makes the next job and hands it out. */
  void newTemplate(String why) throws NodeApiException {
    Api.BlockTemplate t = client.api().getBlockTemplate();
    Api.MiningInfo info = client.api().getMiningInfo();
    long id = nextJob.getAndUpdate(j -> j >= 0xffffffffL ? 1 : j + 1);
    Job job;
    try {
      job = Job.of(id, t);
    } catch (IllegalArgumentException e) {
      log(false, "template at height " + t.height() + " not usable: " + e.getMessage());
      return;
    }
    // two refreshes at once (the start and an event): the later job wins whatever the order
    if (current.updateAndGet(c -> c == null || c.id() < job.id() ? job : c) != job) {
      return;
    }
    for (MinerSession s : sessions) {
      s.deliver(job);
    }
    save();
    ObjectNode e = JsonNodeFactory.instance.objectNode();
    e.put("job_id", job.id());
    e.put("height", job.height());
    e.put("prev_hash", job.prevHash().displayHex());
    e.put("tx_count", job.txCount());
    e.put("coinbase_value", job.coinbaseValue());
    e.put("target", String.format("%064x", job.networkTarget()));
    e.put("difficulty", info.difficulty());
    e.put("network_hash_rate", info.networkHashRate());
    e.put("miners", sessions.size());
    client.api().publishEvent("stratum.mining_job_created", e);
    log(
        true,
        "job "
            + job.id()
            + " height="
            + job.height()
            + " prev="
            + job.prevHash().displayHex()
            + " txs="
            + job.txCount()
            + " miners="
            + sessions.size()
            + " difficulty="
            + info.difficulty()
            + " ("
            + why
            + ")");
  }

  /** A new miner; closed at once beyond {@code max_connections}. */
  void accept(SocketChannel socket) {
    long id = nextSession.getAndIncrement();
    MinerSession s = new MinerSession(id, socket, this);
    if (sessions.size() >= config.maxConnections()) {
      log(false, "miner " + id + " refused: max_connections = " + config.maxConnections());
      s.close();
      return;
    }
    sessions.add(s);
    log(true, "miner " + id + " connected");
    s.start();
  }

  void closed(MinerSession s) {
    sessions.remove(s);
  }

  /**
   * A channel for {@code job}'s network: its target is the configured share target, but never
   * harder than the network's (a block is always a share) and never easier than the miner's {@code
   * max_target}.
   */
  Channel newChannel(Job job, BigInteger maxTarget) {
    long id = nextChannel.getAndIncrement();
    BigInteger target = config.shareTarget().max(job.networkTarget()).min(maxTarget);
    // unique per channel: the module's random seed and the channel id, at the end of the prefix
    byte[] unique = ByteBuffer.allocate(8).put(extranonceSeed).putInt((int) id).array();
    byte[] prefix = new byte[job.extranonceSize()];
    int n = Math.min(8, prefix.length);
    System.arraycopy(unique, 8 - n, prefix, prefix.length - n, n);
    return new Channel(id & 0xffffffffL, prefix, target);
  }

  /** Counts a share and, when it is a block, submits it and logs what the chain made of it. */
  void share(MinerSession miner, Channel c, Sv2Message.SubmitSharesStandard s, Channel.Outcome r) {
    if (r.errorCode() != null) {
      sharesRejected.incrementAndGet();
      log(
          true,
          "share rejected miner="
              + miner.id()
              + " channel="
              + c.id()
              + " seq="
              + s.sequenceNumber()
              + " job="
              + s.jobId()
              + " error="
              + r.errorCode());
      return;
    }
    sharesAccepted.incrementAndGet();
    if (!r.block()) {
      return;
    }
    String hash = r.hash().displayHex();
    try {
      Api.SubmitBlockResult res =
          client.api().submitBlock(r.job().blockHex(r.header(), c.extranonce()));
      if (!res.accepted()) {
        log(false, "block " + hash + " rejected by the node: " + res.reason());
        return;
      }
      blocksFound.incrementAndGet();
      synchronized (recentBlocks) {
        remember(hash);
      }
      save();
      Api.ChainTip tip = client.api().getChainTip();
      ObjectNode e = JsonNodeFactory.instance.objectNode();
      e.put("hash", hash);
      e.put("height", r.job().height());
      e.put("job_id", r.job().id());
      e.put("channel_id", c.id());
      e.put("tip", tip.hash());
      client.api().publishEvent("stratum.block_found", e);
      log(
          true,
          "block found height="
              + r.job().height()
              + " hash="
              + hash
              + " job="
              + r.job().id()
              + " tip="
              + tip.hash()
              + " tip_height="
              + tip.height());
    } catch (NodeApiException e) {
      log(false, "block " + hash + " could not be submitted: " + e.getMessage());
    }
  }

  private void remember(String hash) {
    recentBlocks.addLast(hash);
    while (recentBlocks.size() > RECENT_BLOCKS) {
      recentBlocks.removeFirst();
    }
  }

  private void save() {
    ObjectNode s = JsonNodeFactory.instance.objectNode();
    s.put("next_job_id", nextJob.get());
    s.put("shares_accepted", sharesAccepted.get());
    s.put("shares_rejected", sharesRejected.get());
    s.put("blocks_found", blocksFound.get());
    ArrayNode blocks = s.putArray("recent_blocks");
    synchronized (recentBlocks) {
      recentBlocks.forEach(blocks::add);
    }
    state.save(s);
  }

  /** Closes every miner's connection and stores the counters. */
  void close() {
    sessions.forEach(MinerSession::close);
    save();
  }

  void log(boolean info, String line) {
    client.log(info ? Message.LogLevel.INFO : Message.LogLevel.WARN, line);
  }
}

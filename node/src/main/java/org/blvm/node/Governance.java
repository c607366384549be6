package org.blvm.node;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;

/**
 * Simulated governance: economic nodes register, proposals are made, registered nodes veto them. At
 * most {@link #MAX_NODES} nodes and {@link #MAX_PROPOSALS} open proposals (the oldest closes).
 * Guarded by the chain's lock.
 */
final class Governance {
  static final int MAX_NODES = 64;
  static final int MAX_PROPOSALS = 32;

  private static final String[] KINDS = {"exchange", "custodian", "merchant", "miner", "wallet"};
  private static final String[] TITLES = {
    "Raise the default mempool size",
    "Activate the soft fork on signet",
    "Lower the minimum relay fee",
    "Adopt package relay",
    "Publish the node's fee policy",
    "Change the release cadence"
  };

  /** An open proposal and the nodes that vetoed it. */
  private record Proposal(String id, Set<String> vetoedBy) {}

  private final SplitMix64 random;
  private final EventOutbox out;
  private final List<String> nodes = new ArrayList<>();
  private final ArrayDeque<Proposal> proposals = new ArrayDeque<>();
  private long nextNode = 1;
  private long nextProposal = 1;

  Governance(SplitMix64 random, EventOutbox out) {
    this.random = random;
    this.out = out;
  }

  /** One governance event: a registration, a proposal or a veto. */
  void step() {
    double r = random.nextDouble();
    if (nodes.isEmpty() || (r < 0.3 && nodes.size() < MAX_NODES)) {
      register();
    } else if (proposals.isEmpty() || r < 0.6 || !veto()) {
      propose();
    }
  }

  private void register() {
    String id = "econ-" + (nextNode++);
    String name = KINDS[random.nextInt(KINDS.length)] + "-" + (1 + random.nextInt(99));
    nodes.add(id);
    out.emit(EventType.EconomicNodeRegistered, new EventPayloads.EconomicNodeRegistered(id, name));
  }

  private void propose() {
    if (proposals.size() >= MAX_PROPOSALS) {
      proposals.poll();
    }
    long n = nextProposal++;
    String id = "prop-" + n;
    proposals.add(new Proposal(id, new HashSet<>()));
    String title = TITLES[random.nextInt(TITLES.length)] + " (#" + n + ")";
    out.emit(
        EventType.GovernanceProposalCreated,
        new EventPayloads.GovernanceProposalCreated(id, title));
  }

  /** A node that has not vetoed a random open proposal vetoes it; false when all have. */
  private boolean veto() {
    List<Proposal> open = new ArrayList<>(proposals);
    Proposal p = open.get(random.nextInt(open.size()));
    List<String> candidates = new ArrayList<>();
    for (String node : nodes) {
      if (!p.vetoedBy().contains(node)) {
        candidates.add(node);
      }
    }
    if (candidates.isEmpty()) {
      return false;
    }
    String node = candidates.get(random.nextInt(candidates.size()));
    p.vetoedBy().add(node);
    out.emit(EventType.EconomicNodeVeto, new EventPayloads.EconomicNodeVeto(p.id(), node));
    return true;
  }
}

package org.blvm.loader;

import java.util.List;
import java.util.Optional;
import org.blvm.protocol.Api;

/**
 * What the node implements so modules can read its state. Each method backs one NodeAPI method of
 * the same name. Return {@link Optional#empty()} for "not found". A method the node does not
 * support keeps its default, which throws {@link UnsupportedOperationException}; the module then
 * gets {@code UNAVAILABLE}. Any other exception becomes {@code INTERNAL} (details are logged, not
 * sent). Methods may be called from several loader threads at once.
 */
public interface NodeBackend {
  default Optional<Api.Block> getBlock(String hash) {
    throw new UnsupportedOperationException("get_block");
  }

  default Optional<Api.BlockHeader> getBlockHeader(String hash) {
    throw new UnsupportedOperationException("get_block_header");
  }

  default Optional<Api.Block> getBlockByHeight(long height) {
    throw new UnsupportedOperationException("get_block_by_height");
  }

  default Optional<String> getBlockHash(long height) {
    throw new UnsupportedOperationException("get_block_hash");
  }

  default Api.ChainTip getChainTip() {
    throw new UnsupportedOperationException("get_chain_tip");
  }

  default Optional<Api.Transaction> getTransaction(String txid) {
    throw new UnsupportedOperationException("get_transaction");
  }

  default List<Api.MempoolEntry> getMempoolTransactions() {
    throw new UnsupportedOperationException("get_mempool_transactions");
  }

  default Optional<Api.MempoolEntry> getMempoolTransaction(String txid) {
    throw new UnsupportedOperationException("get_mempool_transaction");
  }

  default Api.MempoolSize getMempoolSize() {
    throw new UnsupportedOperationException("get_mempool_size");
  }

  default Api.FeeEstimate getFeeEstimate(int targetBlocks) {
    throw new UnsupportedOperationException("get_fee_estimate");
  }

  default Api.NetworkStats getNetworkStats() {
    throw new UnsupportedOperationException("get_network_stats");
  }

  default List<Api.PeerInfo> getNetworkPeers() {
    throw new UnsupportedOperationException("get_network_peers");
  }

  default Optional<Api.Utxo> getUtxo(String txid, int vout) {
    throw new UnsupportedOperationException("get_utxo");
  }

  default Api.SendTransactionResult sendTransaction(String rawHex) {
    throw new UnsupportedOperationException("send_transaction");
  }

  default Api.MiningInfo getMiningInfo() {
    throw new UnsupportedOperationException("get_mining_info");
  }

  default Api.BlockTemplate getBlockTemplate() {
    throw new UnsupportedOperationException("get_block_template");
  }

  default Api.SubmitBlockResult submitBlock(String blockHex) {
    throw new UnsupportedOperationException("submit_block");
  }
}

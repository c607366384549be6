package org.blvm.sdk;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import org.blvm.protocol.Api;
import org.blvm.protocol.NodeMethod;

/**
 * The NodeAPI as typed calls. Each call blocks until the node answers or the request timeout
 * passes; any thread may call, including event and method handlers. Hashes and txids are 64
 * lowercase hex characters; a malformed argument is an {@link IllegalArgumentException} thrown
 * before anything is sent.
 *
 * @see NodeMethod for the capability each call needs
 */
public interface NodeApi {
  Api.Block getBlock(String hash) throws NodeApiException;

  Api.BlockHeader getBlockHeader(String hash) throws NodeApiException;

  Api.Block getBlockByHeight(long height) throws NodeApiException;

  String getBlockHash(long height) throws NodeApiException;

  Api.ChainTip getChainTip() throws NodeApiException;

  long getBlockHeight() throws NodeApiException;

  Api.Transaction getTransaction(String txid) throws NodeApiException;

  /** An unspent output of the main chain ({@code NOT_FOUND} when spent or absent). */
  Api.Utxo getUtxo(String txid, int vout) throws NodeApiException;

  List<Api.MempoolEntry> getMempoolTransactions() throws NodeApiException;

  Api.MempoolEntry getMempoolTransaction(String txid) throws NodeApiException;

  Api.MempoolSize getMempoolSize() throws NodeApiException;

  Api.FeeEstimate getFeeEstimate(int targetBlocks) throws NodeApiException;

  /**
   * Relays a serialized transaction; a refused one is a result with {@code accepted} false and the
   * reason, not an exception.
   */
  Api.SendTransactionResult sendTransaction(String rawHex) throws NodeApiException;

  Api.NetworkStats getNetworkStats() throws NodeApiException;

  List<Api.PeerInfo> getNetworkPeers() throws NodeApiException;

  Api.BlockTemplate getBlockTemplate() throws NodeApiException;

  Api.SubmitBlockResult submitBlock(String blockHex) throws NodeApiException;

  Api.MiningInfo getMiningInfo() throws NodeApiException;

  List<Api.ModuleInfo> discoverModules() throws NodeApiException;

  void reportMetric(String name, double value, Map<String, String> labels) throws NodeApiException;

  /**
   * Publishes a module event; {@code type} must be namespaced ({@code "mymodule.topic"}), the node
   * stamps the source.
   *
   * @return how many subscribers it was delivered to
   */
  int publishEvent(String type, JsonNode payload) throws NodeApiException;

  /** Calls a method another module serves; returns whatever that module answered. */
  JsonNode callModule(String target, String method, JsonNode params) throws NodeApiException;

  /**
   * {@code net_connect}: the node connects to {@code host:port} for the module, if the operator's
   * policy lists that destination, and hands over the connected TCP socket. TLS is the module's own
   * (for example {@code SSLSocketFactory.createSocket(socket, host, port, true)}; the system CA
   * certificates are readable in the sandbox). Closing the socket closes the connection.
   *
   * @throws NodeApiException {@code NOT_CAPABLE} (no rule allows it, or the name resolves only to
   *     addresses a name may not reach; the message names the rule to add), {@code RATE_LIMITED},
   *     {@code NOT_FOUND} (no such host), {@code TIMEOUT}, {@code UNAVAILABLE}
   */
  java.net.Socket connect(String host, int port) throws NodeApiException;

  /**
   * {@code net_listen}: the listening TCP socket the node bound for the module at {@code address}
   * ({@code "0.0.0.0:3333"}, as in the policy's {@code listen} list). The channel is blocking;
   * {@code accept()} returns junixsocket channels whose addresses are generic socket addresses.
   *
   * @throws NodeApiException {@code NOT_CAPABLE} when the address is not one of the module's
   */
  java.nio.channels.ServerSocketChannel listen(String address) throws NodeApiException;

  /**
   * Any catalog method with untyped result. {@code params} is a {@link JsonNode}, the method's
   * params record ({@link NodeMethod#paramsType()}) or null.
   */
  JsonNode call(NodeMethod method, Object params) throws NodeApiException;
}

package io.litestream4j;

/**
 * A replica as seen from here, for metrics, health checks and the library's {@code status()}.
 *
 * @param type the backend type ({@code file}, {@code s3}...)
 * @param location where it is, without credentials
 * @param txid the highest TXID it holds
 * @param lagMillis how long the oldest change it does not hold yet has waited; 0 when it holds everything
 * @param lastUploadMillis when an upload to it last succeeded (epoch millis), 0 if none since start
 * @param lastError what is wrong with it now ({@link ReplicaHealth#summary}), or null when healthy
 */
public record ReplicaStatus(String type, String location, long txid, long lagMillis, long lastUploadMillis, String lastError) {}

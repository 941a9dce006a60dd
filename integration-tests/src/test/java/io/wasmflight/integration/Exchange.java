package io.wasmflight.integration;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Client side of a DoExchange: sends batches from one root (refilled per batch) while a second
 * thread reads the results, as a real streaming client would.
 */
final class Exchange {
  private Exchange() {}

  /** What came back: output schema, row count per batch. */
  record Outcome(Schema schema, List<Integer> batchRows) {
    long rows() {
      return batchRows.stream().mapToLong(Integer::longValue).sum();
    }
  }

  /**
   * @param input the root to send from; {@code fill} refills it before batch {@code i}
   * @param batches how many batches to send
   * @param onOutput called with each output root (valid only during the call)
   */
  static Outcome run(
      FlightClient client,
      FlightDescriptor descriptor,
      VectorSchemaRoot input,
      int batches,
      IntConsumer fill,
      Consumer<VectorSchemaRoot> onOutput)
      throws Exception {
    try (FlightClient.ExchangeReaderWriter rw = client.doExchange(descriptor)) {
      FlightStream reader = rw.getReader();
      CompletableFuture<Outcome> readAll =
          CompletableFuture.supplyAsync(
              () -> {
                List<Integer> rows = new ArrayList<>();
                Schema schema = null;
                while (reader.next()) {
                  VectorSchemaRoot out = reader.getRoot();
                  schema = out.getSchema();
                  rows.add(out.getRowCount());
                  onOutput.accept(out);
                }
                if (schema == null && reader.hasRoot()) {
                  schema = reader.getRoot().getSchema();
                }
                return new Outcome(schema, rows);
              });
      FlightClient.ClientStreamListener writer = rw.getWriter();
      writer.start(input);
      for (int i = 0; i < batches; i++) {
        fill.accept(i);
        writer.putNext();
      }
      writer.completed();
      try {
        return readAll.get(5, TimeUnit.MINUTES);
      } catch (java.util.concurrent.ExecutionException e) {
        if (e.getCause() instanceof Exception cause) {
          throw cause;
        }
        throw e;
      }
    }
  }
}

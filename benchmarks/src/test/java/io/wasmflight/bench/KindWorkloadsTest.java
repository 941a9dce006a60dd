package io.wasmflight.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wasmflight.server.NativeKernel;
import io.wasmflight.server.ServerConfig;
import io.wasmflight.server.WasmFlightServer;
import java.nio.file.Path;
import java.util.List;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.Location;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The filter, table and aggregate workloads end to end against a real server on port 0: their
 * native kernels pass their checks through the Java client's exchange (batches cycled from a pool,
 * large outputs in several batches), and the checks catch a dropped row or the input handed back.
 */
class KindWorkloadsTest {
  static final List<KindWorkloads.KindWorkload> KINDS =
      Workload.ALL.stream()
          .filter(w -> w instanceof KindWorkloads.KindWorkload)
          .map(w -> (KindWorkloads.KindWorkload) w)
          .toList();

  private BufferAllocator allocator;
  private WasmFlightServer server;
  private FlightClient client;
  private BenchClient bench;

  @BeforeEach
  void start(@TempDir Path dir) {
    allocator = new RootAllocator();
    server =
        WasmFlightServer.start(ServerConfig.defaults().withPort(0).withDataDir(dir), allocator);
    for (KindWorkloads.KindWorkload w : KINDS) {
      w.registerNative(server, "bench_native");
      server.registerNative("bench_bad", w.name(), a -> dropsLastRow(w.openNative(a)));
    }
    server.registerNative("bench", "echo", io.wasmflight.server.NativeFunction.ECHO);
    client =
        FlightClient.builder(allocator, Location.forGrpcInsecure("127.0.0.1", server.port()))
            .build();
    bench = new BenchClient(client, allocator, "");
  }

  @AfterEach
  void stop() throws Exception {
    client.close();
    server.close();
    allocator.close(); // the leak check, both sides
  }

  /** A kernel whose every output batch lacks its last row. */
  static NativeKernel dropsLastRow(NativeKernel k) {
    return new NativeKernel() {
      @Override
      public void apply(VectorSchemaRoot in, Output out) {
        k.apply(in, wrap(out));
      }

      @Override
      public void finish(Output out) {
        k.finish(wrap(out));
      }

      private Output wrap(Output out) {
        return new Output() {
          @Override
          public void emit(VectorSchemaRoot batch) {
            batch.setRowCount(Math.max(0, batch.getRowCount() - 1));
            out.emit(batch);
          }

          @Override
          public void emitRows(VectorSchemaRoot in, int[] rows, int count) {
            out.emitRows(in, rows, Math.max(0, count - 1));
          }
        };
      }

      @Override
      public Schema outputSchema(Schema input) {
        return k.outputSchema(input);
      }

      @Override
      public void close() {
        k.close();
      }
    };
  }

  @Test
  void nativeKernelsPassTheirChecks() throws Exception {
    for (KindWorkloads.KindWorkload w : KINDS) {
      // 20,000 lines hold about 80,000 words: split_words answers in two batches.
      for (int rows : new int[] {1, 700, 20_000}) {
        try (BenchClient.Pool pool = bench.pool(w, rows, 3)) {
          FlightDescriptor d = BenchClient.descriptor(w, "native");
          for (long n : new long[] {1, 5}) {
            BenchClient.Run checked = bench.exchange(d, w, pool, n, true);
            assertEquals(n * rows, checked.rows(), w.name());
            assertEquals(pool.outputRows(n), checked.outputRows(), w.name());
            bench.exchange(d, w, pool, n, false);
          }
        }
      }
    }
  }

  @Test
  void checksCatchADroppedRowAndTheInputHandedBack() throws Exception {
    for (KindWorkloads.KindWorkload w : KINDS) {
      try (BenchClient.Pool pool = bench.pool(w, 500, 2)) {
        Exception e =
            assertThrows(
                IllegalStateException.class,
                () ->
                    bench.exchange(FlightDescriptor.path("bench_bad", w.name()), w, pool, 3, true),
                w.name());
        assertTrue(e.getMessage().startsWith("wrong result: "), e.getMessage());
        assertThrows(
            IllegalStateException.class,
            () -> bench.exchange(FlightDescriptor.path("bench_bad", w.name()), w, pool, 3, false),
            w.name());
        // The input itself is not the output of any of them.
        Workload.Check check = w.check(pool.roots, 1);
        String err = check.next(pool.roots.get(0));
        assertTrue(err != null || check.end() != null, w.name());
      }
    }
  }

  @Test
  void echoOfTheKindsInputVerifies() throws Exception {
    for (KindWorkloads.KindWorkload w : KINDS) {
      try (BenchClient.Pool pool = bench.pool(w, 300, 2)) {
        BenchClient.Run r = bench.exchange(BenchClient.descriptor(w, "echo"), w, pool, 3, true);
        assertEquals(900, r.outputRows(), w.name());
      }
    }
  }

  @Test
  void wordCountsMultiplyWithRepeatedBatches() {
    Workload w = Workload.byName("word_count");
    try (VectorSchemaRoot a = w.generate(allocator, 200, 1);
        VectorSchemaRoot b = w.generate(allocator, 200, 2)) {
      List<VectorSchemaRoot> pool = List.of(a, b);
      var once = KindWorkloads.WordCount.counts(pool, 2);
      var thrice = KindWorkloads.WordCount.counts(pool, 5); // a b a b a
      var onlyA = KindWorkloads.WordCount.counts(pool, 1);
      for (var e : once.entrySet()) {
        long inA = onlyA.getOrDefault(e.getKey(), 0L);
        assertEquals(
            e.getValue() + 2 * inA + (e.getValue() - inA), thrice.get(e.getKey()), e.getKey());
      }
      assertTrue(once.size() > 100, "a few hundred distinct words in 400 lines");
    }
  }

  @Test
  void splittingFollowsRustsUnicodeWhitespace() {
    assertEquals(
        List.of("a", "b", "c", "d", "é"), Words.split(" a\tb\u00a0c\u3000\u2003d\n\u0085é "));
    assertEquals(List.of("x\u200by"), Words.split("x\u200by"), "zero-width space is no space");
    assertEquals(List.of(), Words.split(" \t "));
    assertTrue(Words.CODE_POINT_ORDER.compare("z", "é") < 0);
    assertTrue(
        Words.CODE_POINT_ORDER.compare("\uffff", "\ud83d\ude00") < 0,
        "code point order, not UTF-16 order");
    assertTrue(Words.CODE_POINT_ORDER.compare("ab", "abc") < 0);
  }
}

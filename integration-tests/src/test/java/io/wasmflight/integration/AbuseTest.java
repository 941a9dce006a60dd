package io.wasmflight.integration;

import static io.wasmflight.integration.Assertions2.assertFlightError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wasmflight.server.HashSecret;
import io.wasmflight.server.NativeFunction;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.arrow.flight.CallOption;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.auth2.BearerCredentialWriter;
import org.apache.arrow.flight.grpc.CredentialCallOption;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.Test;

/**
 * The quotas under abuse: sessions past the caps (total, per principal, guest memory) are refused
 * with RESOURCE_EXHAUSTED before any guest is instantiated, an admitted session keeps working, the
 * server's memory stays bounded (measured and printed), and every exit path gives the session's
 * share back.
 */
class AbuseTest {
  static final int PRINCIPALS = 8;
  static final long MIB = 1 << 20;

  static Path usersFile(int principals) throws Exception {
    Path dir = Files.createTempDirectory("wasm-flight-abuse");
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < principals; i++) {
      b.append("token t").append(i).append(" caller ").append(HashSecret.hashToken("token-" + i));
      b.append('\n');
    }
    Path users = dir.resolve("users");
    Files.writeString(users, b.toString());
    return users;
  }

  static CallOption as(int principal) {
    return new CredentialCallOption(new BearerCredentialWriter("token-" + principal));
  }

  static FlightDescriptor addOne(int pages) {
    return FlightDescriptor.command(
        ("{\"module\":\"add_one\",\"function\":\"add_one\",\"limits\":{\"max_memory_pages\":"
                + pages
                + "}}")
            .getBytes(StandardCharsets.UTF_8));
  }

  /** An exchange kept open: one batch in, its output read; {@link #close()} ends it. */
  static final class OpenSession implements AutoCloseable {
    final FlightClient.ExchangeReaderWriter rw;
    final VectorSchemaRoot root;

    OpenSession(TestServer s, FlightDescriptor d, CallOption who, int rows) throws Exception {
      rw = s.client().doExchange(d, who);
      root = VectorSchemaRoot.create(ExamplesExchangeTest.INT64, s.allocator);
      try {
        rw.getWriter().start(root);
        send(rows, 0);
      } catch (RuntimeException e) {
        closeQuietly();
        throw e;
      }
    }

    /** Sends rows {@code base .. base+rows} and checks the output is each plus one. */
    void send(int rows, long base) {
      BigIntVector x = (BigIntVector) root.getVector(0);
      x.allocateNew(rows);
      for (int i = 0; i < rows; i++) {
        x.set(i, base + i);
      }
      root.setRowCount(rows);
      rw.getWriter().putNext();
      FlightStream out = rw.getReader();
      assertTrue(out.next(), "no output batch");
      BigIntVector y = (BigIntVector) out.getRoot().getVector(0);
      assertEquals(rows, out.getRoot().getRowCount());
      assertEquals(base + 1, y.get(0));
      assertEquals(base + rows, y.get(rows - 1));
    }

    private void closeQuietly() {
      try {
        rw.close();
      } catch (Exception ignored) {
        // the refusal was already reported
      }
      root.close();
    }

    @Override
    public void close() throws Exception {
      rw.getWriter().completed();
      FlightStream out = rw.getReader();
      while (out.next()) {
        // drain
      }
      rw.close();
      root.close();
    }
  }

  static void awaitIdle(TestServer s) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while ((s.wasm().openSessions() != 0 || s.wasm().reservedGuestMemoryBytes() != 0)
        && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertEquals(0, s.wasm().openSessions(), "sessions still admitted");
    assertEquals(0, s.wasm().reservedGuestMemoryBytes(), "guest memory still reserved");
  }

  @Test
  void eachCapRefusesWithItsNumbersAndEveryExitPathReleases() throws Exception {
    Path users = usersFile(4);
    try (TestServer s =
        TestServer.start(
            c ->
                c.withUsersFile(users)
                    .withMaxMemoryPages(256) // 16 MiB per session
                    .withMaxSessions(3)
                    .withMaxSessionsPerPrincipal(2)
                    .withMaxGuestMemoryBytes(40 * MIB))) {
      s.registerNative("builtin", "echo", NativeFunction.ECHO);
      s.wasm().register("add_one", Guests.rust("add_one"));
      try (OpenSession a = new OpenSession(s, addOne(256), as(1), 1000);
          OpenSession b = new OpenSession(s, addOne(256), as(1), 1000)) {
        assertEquals(2, s.wasm().openSessions());
        assertEquals(32 * MIB, s.wasm().reservedGuestMemoryBytes());
        assertFlightError(
            FlightStatusCode.RESOURCE_EXHAUSTED,
            () -> new OpenSession(s, addOne(256), as(1), 10).close(),
            "principal 't1' has 2 sessions open, the cap per principal");
        assertFlightError(
            FlightStatusCode.RESOURCE_EXHAUSTED,
            () -> new OpenSession(s, addOne(256), as(2), 10).close(),
            "guest memory: this session may use up to 16 MiB, open sessions hold 32 MiB of the "
                + "server's 40 MiB (--max-guest-memory-mb)");
        try (OpenSession small = new OpenSession(s, addOne(64), as(2), 10)) {
          assertEquals(36 * MIB, s.wasm().reservedGuestMemoryBytes());
          assertFlightError(
              FlightStatusCode.RESOURCE_EXHAUSTED,
              () -> new OpenSession(s, FlightDescriptor.path("builtin", "echo"), as(3), 10).close(),
              "the server has 3 sessions open, its cap (--max-sessions)");
          a.send(1000, 7); // the admitted sessions are unaffected by the refusals
        }
      }
      awaitIdle(s);
      // A cancelled session and a failed one give their share back too.
      FlightClient.ExchangeReaderWriter cancelled = s.client().doExchange(addOne(256), as(1));
      try (VectorSchemaRoot root =
          VectorSchemaRoot.create(ExamplesExchangeTest.INT64, s.allocator)) {
        cancelled.getWriter().start(root);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (s.wasm().openSessions() == 0 && System.nanoTime() < deadline) {
          Thread.sleep(5);
        }
        assertEquals(1, s.wasm().openSessions());
        cancelled.getReader().cancel("test", null);
        try {
          cancelled.close();
        } catch (Exception expected) {
          // the cancellation
        }
      }
      awaitIdle(s);
      // A session that fails after admission (the guest refuses a text column).
      try (VectorSchemaRoot text =
          VectorSchemaRoot.create(ExamplesExchangeTest.UTF8, s.allocator)) {
        org.apache.arrow.vector.VarCharVector v =
            (org.apache.arrow.vector.VarCharVector) text.getVector(0);
        v.allocateNew();
        v.setSafe(0, "x".getBytes(StandardCharsets.UTF_8));
        text.setRowCount(1);
        assertFlightError(
            FlightStatusCode.INVALID_ARGUMENT,
            () -> {
              try (FlightClient.ExchangeReaderWriter rw =
                  s.client().doExchange(addOne(256), as(1))) {
                rw.getWriter().start(text);
                rw.getWriter().putNext();
                rw.getWriter().completed();
                while (rw.getReader().next()) {
                  // the error comes with the read
                }
              }
            });
      }
      awaitIdle(s);
    }
  }

  @Test
  void clientsFloodingPastTheCapsAreRefusedWhileAnAdmittedSessionWorks() throws Exception {
    Path users = usersFile(PRINCIPALS + 1);
    int pages = 1024; // 64 MiB per session
    long memoryCap = 4 * 64 * MIB; // room for 4 sessions
    int clients = 24;
    int rows = 1 << 19; // 4 MiB of int64 per batch: the guest really grows its memory
    try (TestServer s =
        TestServer.start(
            c ->
                c.withUsersFile(users)
                    .withMaxMemoryPages(pages)
                    .withMaxSessions(8)
                    .withMaxSessionsPerPrincipal(2)
                    .withMaxGuestMemoryBytes(memoryCap))) {
      s.wasm().register("add_one", Guests.rust("add_one"));
      long heapBefore = usedHeapAfterGc();
      long rssBefore = rssBytes();
      try (OpenSession keeper = new OpenSession(s, addOne(pages), as(PRINCIPALS), rows)) {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger admitted = new AtomicInteger();
        AtomicLong maxReserved = new AtomicLong();
        ConcurrentLinkedQueue<String> refusals = new ConcurrentLinkedQueue<>();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        CountDownLatch settled = new CountDownLatch(clients);
        List<Future<?>> done = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
          int who = i % PRINCIPALS;
          done.add(
              pool.submit(
                  () -> {
                    try (OpenSession mine = new OpenSession(s, addOne(pages), as(who), rows)) {
                      admitted.incrementAndGet();
                      maxReserved.accumulateAndGet(s.wasm().reservedGuestMemoryBytes(), Math::max);
                      settled.countDown();
                      release.await();
                    } catch (FlightRuntimeException e) {
                      refusals.add(e.status().code() + ": " + e.status().description());
                      settled.countDown();
                    }
                    return null;
                  }));
        }
        assertTrue(settled.await(2, TimeUnit.MINUTES), "clients did not settle");
        // All admitted sessions hold their instance now: measure while they do.
        long heapHeld = usedHeapAfterGc();
        long rssHeld = rssBytes();
        long arrowHeld = s.allocator.getAllocatedMemory();
        for (int b = 1; b <= 10; b++) {
          keeper.send(rows, (long) b * rows); // the admitted session keeps working
        }
        release.countDown();
        for (Future<?> f : done) {
          f.get(2, TimeUnit.MINUTES);
        }
        pool.shutdown();
        int in = admitted.get();
        System.out.printf(
            "abuse: %d clients (+1 keeper) on %d principals, caps: 8 sessions, 2 per principal, "
                + "%d MiB guest memory (%d MiB per session): %d admitted, %d refused; reserved "
                + "at most %d MiB; heap after GC %d MiB before -> %d MiB while held; RSS %d -> "
                + "%d MiB; Arrow memory while held %d MiB%n",
            clients,
            PRINCIPALS,
            memoryCap / MIB,
            (long) pages * 65536 / MIB,
            in,
            refusals.size(),
            maxReserved.get() / MIB,
            heapBefore / MIB,
            heapHeld / MIB,
            rssBefore / MIB,
            rssHeld / MIB,
            arrowHeld / MIB);
        assertEquals(3, in, "the memory cap leaves room for the keeper and 3 more");
        assertEquals(clients - in, refusals.size());
        for (String r : refusals) {
          assertTrue(r.startsWith("RESOURCE_EXHAUSTED: limit exceeded: "), r);
        }
        assertTrue(maxReserved.get() <= memoryCap, "reserved " + maxReserved.get());
        assertTrue(
            heapHeld - heapBefore < memoryCap + 128 * MIB,
            "heap grew by " + (heapHeld - heapBefore) / MIB + " MiB");
      }
      awaitIdle(s);
    }
  }

  static long usedHeapAfterGc() {
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  static long rssBytes() throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    return -1;
  }
}

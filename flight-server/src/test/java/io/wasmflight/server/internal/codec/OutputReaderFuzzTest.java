package io.wasmflight.server.internal.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.wasmflight.server.WasmFlightException;
import io.wasmflight.server.internal.abi.AbiV1;
import io.wasmflight.server.internal.guest.FlatMemory;
import io.wasmflight.server.internal.guest.GuestInstance;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;

/**
 * Feeds corrupted and random output structs to the host's reader: every outcome must be a valid
 * batch, an {@link WasmFlightException.AbiViolation} or a {@link WasmFlightException.LimitExceeded}
 * — never another exception, never a leak. Two corpora: a flat batch written slot by slot, and a
 * nested batch of every layout (lists, struct, map, fixed-size list, list view, unions, run-end
 * encoded, views, a dictionary) written by the host's writer, whose structs, pointer arrays,
 * buffers and metadata are corrupted. Seeded; a failure names its seed. {@code
 * -Dwasmflight.fuzz.iterations=N} runs longer (default 4000).
 */
class OutputReaderFuzzTest {
  static final int ITERATIONS = Integer.getInteger("wasmflight.fuzz.iterations", 4000);

  /** A valid two-column batch (int64 with nulls, utf8) and the addresses worth corrupting. */
  record Target(int schema, int array, int rows, List<int[]> regions) {}

  static Target validBatch(CDataWriter w, Random random) {
    FlatMemory m = w.g.memory();
    int rows = random.nextInt(40);
    int offset = random.nextInt(9);
    int values = w.alloc(8 * (offset + rows));
    boolean[] valid = new boolean[rows];
    for (int r = 0; r < rows; r++) {
      valid[r] = random.nextInt(5) != 0;
      m.writeLong(values + 8 * (offset + r), random.nextLong());
    }
    int offsets = w.alloc(4 * (offset + rows + 1));
    int data = w.alloc(4 * rows + 1);
    for (int r = 0; r <= rows; r++) {
      m.writeI32(offsets + 4 * (offset + r), 4 * r);
    }
    int validity = w.bitmap(offset, valid);
    int c0 = w.array(offset + rows, -1, offset, new int[] {validity, values}, new int[0]);
    int c1 = w.array(offset + rows, 0, offset, new int[] {0, offsets, data}, new int[0]);
    int s0 = w.schema("l", "n", new int[0]);
    int s1 = w.schema("u", "text", new int[0]);
    int schema = w.schema("+s", "", new int[] {s0, s1});
    int array = w.array(rows, 0, 0, new int[] {0}, new int[] {c0, c1});
    List<int[]> regions = new ArrayList<>();
    for (int s : new int[] {schema, s0, s1}) {
      regions.add(new int[] {s, AbiV1.Schema.SIZE});
      regions.add(new int[] {m.readInt(s + AbiV1.Schema.FORMAT), 2});
      regions.add(new int[] {m.readInt(s + AbiV1.Schema.CHILDREN), 8});
    }
    for (int a : new int[] {array, c0, c1}) {
      regions.add(new int[] {a, AbiV1.Array.SIZE});
      regions.add(new int[] {m.readInt(a + AbiV1.Array.BUFFERS), 12});
      regions.add(new int[] {m.readInt(a + AbiV1.Array.CHILDREN), 8});
    }
    regions.add(new int[] {offsets, 4 * (offset + rows + 1)});
    return new Target(schema, array, rows, regions);
  }

  static void corrupt(FlatMemory m, Target t, Random random) {
    int mutations = 1 + random.nextInt(6);
    for (int i = 0; i < mutations; i++) {
      int[] region = t.regions().get(random.nextInt(t.regions().size()));
      if (region[0] == 0 || region[1] == 0) {
        continue;
      }
      int at = region[0] + random.nextInt(region[1]);
      switch (random.nextInt(4)) {
        case 0 -> m.writeByte(at, (byte) random.nextInt());
        case 1 -> m.writeByte(at, (byte) (m.read(at) ^ (1 << random.nextInt(8))));
        case 2 ->
            m.writeI32(
                at & ~3,
                new int[] {
                      0, -1, Integer.MAX_VALUE, Integer.MIN_VALUE, m.size() - 4, random.nextInt()
                    }
                    [random.nextInt(6)]);
        default -> {
          // a whole struct of random bytes
          for (int b = 0; b < region[1]; b++) {
            m.writeByte(region[0] + b, (byte) random.nextInt());
          }
        }
      }
    }
  }

  /** Every struct, pointer array, string, metadata and buffer start of a written C Data tree. */
  static void regions(FlatMemory m, int schema, int array, List<int[]> out, int depth) {
    if (depth > 70) {
      return;
    }
    out.add(new int[] {schema, AbiV1.Schema.SIZE});
    out.add(new int[] {array, AbiV1.Array.SIZE});
    out.add(new int[] {m.readInt(schema + AbiV1.Schema.FORMAT), 2});
    int meta = m.readInt(schema + AbiV1.Schema.METADATA);
    if (meta != 0) {
      out.add(new int[] {meta, 16});
    }
    int nBuffers = (int) m.readLong(array + AbiV1.Array.N_BUFFERS);
    int buffers = m.readInt(array + AbiV1.Array.BUFFERS);
    if (nBuffers > 0) {
      out.add(new int[] {buffers, 4 * nBuffers});
      for (int b = 0; b < nBuffers; b++) {
        int ptr = m.readInt(buffers + 4 * b);
        if (ptr != 0 && m.inBounds(ptr, 32)) {
          out.add(new int[] {ptr, 32});
        }
      }
    }
    int n = (int) m.readLong(array + AbiV1.Array.N_CHILDREN);
    if (n > 0) {
      out.add(new int[] {m.readInt(schema + AbiV1.Schema.CHILDREN), 4 * n});
      out.add(new int[] {m.readInt(array + AbiV1.Array.CHILDREN), 4 * n});
      for (int i = 0; i < n; i++) {
        regions(
            m,
            m.readInt(m.readInt(schema + AbiV1.Schema.CHILDREN) + 4 * i),
            m.readInt(m.readInt(array + AbiV1.Array.CHILDREN) + 4 * i),
            out,
            depth + 1);
      }
    }
    int dict = m.readInt(schema + AbiV1.Schema.DICTIONARY);
    if (dict != 0) {
      regions(m, dict, m.readInt(array + AbiV1.Array.DICTIONARY), out, depth + 1);
    }
  }

  @Test
  void corruptedNestedOutputIsAlwaysACleanError() {
    int[] outcomes = new int[3]; // ok, ABI violation, limit
    try (BufferAllocator allocator = new RootAllocator()) {
      for (int seed = 0; seed < ITERATIONS; seed++) {
        Random random = new Random(seed);
        int rows = random.nextInt(30);
        try (NestedBatch batch = new NestedBatch(allocator, rows)) {
          NestedOutputTest.Written w = new NestedOutputTest.Written(batch);
          List<int[]> regions = new ArrayList<>();
          regions(w.m(), w.writer.schemaPtr(), w.writer.arrayPtr(), regions, 0);
          Target t = new Target(w.schema(), w.array(), rows, regions);
          corrupt(w.m(), t, random);
          if (random.nextInt(20) == 0) {
            w.echo(); // also corrupt the slots themselves, after copying
            corrupt(
                w.m(),
                new Target(
                    w.schema(),
                    w.array(),
                    rows,
                    List.of(
                        new int[] {w.schema(), AbiV1.Schema.SIZE},
                        new int[] {w.array(), AbiV1.Array.SIZE})),
                random);
          } else {
            w.echo();
          }
          long before = allocator.getAllocatedMemory();
          try (OutputReader reader = new OutputReader(w.g, allocator, 1 << 20, null)) {
            var root = reader.read(t.schema(), t.array(), rows);
            // What Flight does with it next: unload every buffer for the wire.
            try (var wire =
                new org.apache.arrow.vector.VectorUnloader(root, true, true).getRecordBatch()) {
              assertEquals(rows, wire.getLength());
            }
            outcomes[0]++;
          } catch (WasmFlightException.AbiViolation e) {
            outcomes[1]++;
          } catch (WasmFlightException.LimitExceeded e) {
            outcomes[2]++;
          } catch (Throwable e) {
            fail("seed " + seed + ": the reader threw " + e, e);
          }
          assertEquals(before, allocator.getAllocatedMemory(), "seed " + seed + " leaked");
        }
      }
    }
    System.out.println(
        "nested fuzz outcomes ok/violation/limit: "
            + outcomes[0]
            + "/"
            + outcomes[1]
            + "/"
            + outcomes[2]);
    if (outcomes[0] == 0 || outcomes[1] == 0) {
      fail(
          "uninformative fuzz run: ok/violation/limit = "
              + outcomes[0]
              + "/"
              + outcomes[1]
              + "/"
              + outcomes[2]);
    }
  }

  @Test
  void corruptedOutputIsAlwaysACleanError() {
    int[] outcomes = new int[3]; // ok, ABI violation, limit
    try (BufferAllocator allocator = new RootAllocator()) {
      for (int seed = 0; seed < ITERATIONS; seed++) {
        Random random = new Random(seed);
        GuestInstance g = TestGuests.instance(16);
        CDataWriter w = new CDataWriter(g);
        Target t = validBatch(w, random);
        boolean pureNoise = random.nextInt(10) == 0;
        if (pureNoise) {
          for (int b = 0; b < AbiV1.Schema.SIZE; b++) {
            g.memory().writeByte(t.schema() + b, (byte) random.nextInt());
          }
          for (int b = 0; b < AbiV1.Array.SIZE; b++) {
            g.memory().writeByte(t.array() + b, (byte) random.nextInt());
          }
        } else {
          corrupt(g.memory(), t, random);
        }
        try (OutputReader reader = new OutputReader(g, allocator, 1 << 20, null)) {
          reader.read(t.schema(), t.array(), t.rows());
          outcomes[0]++;
        } catch (WasmFlightException.AbiViolation e) {
          outcomes[1]++;
        } catch (WasmFlightException.LimitExceeded e) {
          outcomes[2]++;
        } catch (Throwable e) {
          fail("seed " + seed + ": the reader threw " + e, e);
        }
        assertEquals(0, allocator.getAllocatedMemory(), "seed " + seed + " leaked");
      }
    }
    System.out.println(
        "fuzz outcomes ok/violation/limit: " + outcomes[0] + "/" + outcomes[1] + "/" + outcomes[2]);
    // The corruption must actually reach both outcomes, or the test proves nothing.
    if (outcomes[0] == 0 || outcomes[1] == 0) {
      fail(
          "uninformative fuzz run: ok/violation/limit = "
              + outcomes[0]
              + "/"
              + outcomes[1]
              + "/"
              + outcomes[2]);
    }
  }
}

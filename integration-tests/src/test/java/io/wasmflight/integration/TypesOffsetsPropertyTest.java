package io.wasmflight.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import io.wasmflight.server.internal.abi.AbiV1;
import io.wasmflight.server.internal.abi.CDataFormat;
import io.wasmflight.server.internal.abi.CDataFormat.Kind;
import io.wasmflight.server.internal.codec.InputWriter;
import io.wasmflight.server.internal.codec.OutputReader;
import io.wasmflight.server.internal.guest.CallBudget;
import io.wasmflight.server.internal.guest.FlatMemory;
import io.wasmflight.server.internal.guest.GuestInstance;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Random;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.compare.Range;
import org.apache.arrow.vector.compare.RangeEqualsVisitor;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

/**
 * The host's reader against guest output with non-zero offsets at every level, unknown null counts
 * and empty arrays: random batches (every type, nested) are written into guest memory by the host's
 * writer, then the C Data is rewritten in place, as a guest could have produced it, by
 * transformations that keep its meaning — a top-level slice, parent offsets moved into children,
 * list and union offsets moved into their child's offset, buffer pointers advanced with the offset
 * lowered, null counts set to -1 — and read back. The result must equal the sliced input. Several
 * batches per reader (buffers reused and grown).
 *
 * <p>Seeded: {@code -Dwasmflight.offsets.seed=S}, {@code -Dwasmflight.offsets.seeds=N}.
 */
class TypesOffsetsPropertyTest {
  static final long BASE_SEED = Long.getLong("wasmflight.offsets.seed", 7_2026L);
  static final int SEEDS = Integer.getInteger("wasmflight.offsets.seeds", 150);

  static final WasmModule ECHO = Parser.parse(Guests.wat("good/echo"));

  @Test
  void guestSideOffsetsAreNormalized() {
    for (int i = 0; i < SEEDS; i++) {
      long seed = BASE_SEED + i;
      Schema schema = null;
      try (BufferAllocator allocator = new RootAllocator()) {
        RandomArrow gen = new RandomArrow(seed, allocator, 4);
        try {
          schema = gen.schema(5);
          run(seed, schema, gen, allocator);
        } finally {
          gen.closeDictionaries();
        }
      } catch (Throwable t) {
        throw new AssertionError(
            "seed "
                + seed
                + " failed (rerun with "
                + "-Dwasmflight.offsets.seed="
                + seed
                + " -Dwasmflight.offsets.seeds=1)\nschema: "
                + schema
                + "\n"
                + t,
            t);
      }
    }
  }

  private static void run(long seed, Schema schema, RandomArrow gen, BufferAllocator allocator) {
    Random random = new Random(seed ^ 0x5DEECE66DL);
    GuestInstance guest =
        GuestInstance.instantiate(
            ECHO, null, 1024, new CallBudget(Duration.ofSeconds(30), Duration.ZERO));
    InputWriter writer = new InputWriter(guest, schema, gen.dictionaries());
    try (OutputReader reader = new OutputReader(guest, allocator, 1L << 30, null)) {
      int batches = 1 + random.nextInt(3);
      for (int b = 0; b < batches; b++) {
        try (VectorSchemaRoot full = VectorSchemaRoot.create(schema, allocator)) {
          int rows = random.nextInt(5) == 0 ? random.nextInt(2) : random.nextInt(120);
          gen.fill(full, rows);
          int from = rows == 0 ? 0 : random.nextInt(rows + 1);
          int n = random.nextInt(rows - from + 1);
          writer.write(full);
          FlatMemory m = guest.memory();
          int top = writer.arrayPtr();
          // The batch: rows [from, from + n) of what was written.
          m.writeLong(top + AbiV1.Array.OFFSET, from);
          m.writeLong(top + AbiV1.Array.LENGTH, n);
          m.writeI32(top + AbiV1.Array.RELEASE, 1);
          new Rewriter(m, random).node(writer.schemaPtr(), top, 0);
          VectorSchemaRoot got = reader.read(writer.schemaPtr(), top, n);
          assertEquals(schema, got.getSchema());
          assertEquals(n, got.getRowCount());
          for (int c = 0; c < schema.getFields().size(); c++) {
            FieldVector e = full.getVector(c);
            FieldVector g = got.getVector(c);
            boolean same =
                new RangeEqualsVisitor(
                        e, g, (x, y) -> x.getField().getType().equals(y.getField().getType()))
                    .rangeEquals(new Range(from, 0, n));
            if (!same || g.getValueCount() != n) {
              fail(
                  "batch "
                      + b
                      + " rows ["
                      + from
                      + ", "
                      + (from + n)
                      + ") of "
                      + rows
                      + ": column "
                      + c
                      + " differs: sent "
                      + TypesPropertyTest.preview(e)
                      + ", got "
                      + TypesPropertyTest.preview(g));
            }
            TypesPropertyTest.validateLike(e, g, "batch " + b + ": column " + c);
          }
          for (Long id : gen.dictionaries().getDictionaryIds()) {
            if (!TypesPropertyTest.sameValues(
                gen.dictionaries().lookup(id).getVector(),
                reader.dictionaries().lookup(id).getVector())) {
              fail("batch " + b + ": dictionary " + id + " differs");
            }
          }
        }
      }
    }
  }

  /** Meaning-preserving rewrites of a C Data tree in guest memory. */
  static final class Rewriter {
    final FlatMemory m;
    final Random r;

    Rewriter(FlatMemory m, Random r) {
      this.m = m;
      this.r = r;
    }

    CDataFormat format(int schema) {
      int p = m.readInt(schema + AbiV1.Schema.FORMAT);
      int end = p;
      while (m.read(end) != 0) {
        end++;
      }
      String f = new String(m.array(), p, end - p, StandardCharsets.UTF_8);
      return CDataFormat.parse(f, m.readLong(schema + AbiV1.Schema.FLAGS));
    }

    long get(int a, int field) {
      return m.readLong(a + field);
    }

    void set(int a, int field, long v) {
      m.writeLong(a + field, v);
    }

    int buffer(int a, int i) {
      return m.readInt(m.readInt(a + AbiV1.Array.BUFFERS) + 4 * i);
    }

    void setBuffer(int a, int i, int ptr) {
      m.writeI32(m.readInt(a + AbiV1.Array.BUFFERS) + 4 * i, ptr);
    }

    int child(int structPtr, int childrenField, int i) {
      return m.readInt(m.readInt(structPtr + childrenField) + 4 * i);
    }

    /** Moves {@code d} slots of offset from an array into its child (child slots × k). */
    void shiftChild(int childArray, long slots) {
      set(childArray, AbiV1.Array.OFFSET, get(childArray, AbiV1.Array.OFFSET) + slots);
      set(childArray, AbiV1.Array.LENGTH, get(childArray, AbiV1.Array.LENGTH) - slots);
      // Its null count covered the old range.
      set(childArray, AbiV1.Array.NULL_COUNT, -1);
    }

    long readOffset(int ptr, long slot, int w) {
      return w == 4 ? m.readInt(ptr + (int) (slot * 4)) : m.readLong(ptr + (int) (slot * 8));
    }

    void writeOffset(int ptr, long slot, int w, long v) {
      if (w == 4) {
        m.writeI32(ptr + (int) (slot * 4), (int) v);
      } else {
        m.writeLong(ptr + (int) (slot * 8), v);
      }
    }

    void node(int s, int a, int depth) {
      CDataFormat f = format(s);
      long offset = get(a, AbiV1.Array.OFFSET);
      long length = get(a, AbiV1.Array.LENGTH);
      int nChildren = (int) get(a, AbiV1.Array.N_CHILDREN);
      if (depth > 0 && r.nextInt(3) == 0) {
        set(a, AbiV1.Array.NULL_COUNT, -1);
      }
      switch (f.kind()) {
        case STRUCT, SPARSE_UNION -> {
          if (offset > 0 && r.nextBoolean()) {
            long d = 1 + r.nextInt((int) offset);
            if (f.kind() == Kind.SPARSE_UNION || buffer(a, 0) == 0 || d % 8 == 0) {
              // The parent's own buffer moves with it (type ids by d, validity by d / 8).
              set(a, AbiV1.Array.OFFSET, offset - d);
              if (f.kind() == Kind.SPARSE_UNION) {
                setBuffer(a, 0, buffer(a, 0) + (int) d);
              } else if (buffer(a, 0) != 0) {
                setBuffer(a, 0, buffer(a, 0) + (int) (d / 8));
              }
              for (int i = 0; i < nChildren; i++) {
                shiftChild(child(a, AbiV1.Array.CHILDREN, i), d);
              }
            }
          }
        }
        case FIXED_LIST -> {
          if (offset > 0 && r.nextBoolean() && buffer(a, 0) == 0) {
            long d = 1 + r.nextInt((int) offset);
            set(a, AbiV1.Array.OFFSET, offset - d);
            shiftChild(child(a, AbiV1.Array.CHILDREN, 0), d * f.width());
          }
        }
        case LIST -> {
          int w = f.width();
          int offsets = buffer(a, 1);
          long first = readOffset(offsets, offset, w);
          if (first > 0 && r.nextBoolean()) {
            long d = 1 + (long) r.nextInt((int) first);
            for (long i = offset; i <= offset + length; i++) {
              writeOffset(offsets, i, w, readOffset(offsets, i, w) - d);
            }
            shiftChild(child(a, AbiV1.Array.CHILDREN, 0), d);
          }
        }
        case LIST_VIEW -> {
          int w = f.width();
          int offsets = buffer(a, 1);
          int sizes = buffer(a, 2);
          long min = Long.MAX_VALUE;
          for (long i = offset; i < offset + length; i++) {
            min = Math.min(min, readOffset(offsets, i, w));
          }
          if (length > 0 && min > 0 && r.nextBoolean()) {
            long d = 1 + (long) r.nextInt((int) min);
            for (long i = offset; i < offset + length; i++) {
              writeOffset(offsets, i, w, readOffset(offsets, i, w) - d);
            }
            shiftChild(child(a, AbiV1.Array.CHILDREN, 0), d);
          }
          if (sizes == 0) {
            throw new IllegalStateException("list view without sizes");
          }
        }
        case DENSE_UNION -> {
          int[] ids = f.typeIds();
          int types = buffer(a, 0);
          int offsets = buffer(a, 1);
          for (int k = 0; k < ids.length; k++) {
            long min = Long.MAX_VALUE;
            for (long i = offset; i < offset + length; i++) {
              if (m.read(types + (int) i) == ids[k]) {
                min = Math.min(min, m.readInt(offsets + (int) (i * 4)));
              }
            }
            if (min != Long.MAX_VALUE && min > 0 && r.nextBoolean()) {
              long d = 1 + (long) r.nextInt((int) min);
              for (long i = offset; i < offset + length; i++) {
                if (m.read(types + (int) i) == ids[k]) {
                  m.writeI32(offsets + (int) (i * 4), m.readInt(offsets + (int) (i * 4)) - (int) d);
                }
              }
              shiftChild(child(a, AbiV1.Array.CHILDREN, k), d);
            }
          }
        }
        case FIXED, BOOL, BINARY, VIEW -> {
          // Advance the buffers by whole bytes of bitmap and lower the offset to match.
          long d = (offset / 8) * 8;
          if (d > 0 && r.nextBoolean()) {
            d = 8L * (1 + r.nextInt((int) (offset / 8)));
            int validity = buffer(a, 0);
            if (validity != 0) {
              setBuffer(a, 0, validity + (int) (d / 8));
            }
            long bytes =
                switch (f.kind()) {
                  case FIXED -> d * f.width();
                  case BOOL -> d / 8;
                  case BINARY -> d * f.width();
                  default -> d * CDataFormat.VIEW_SIZE;
                };
            setBuffer(a, 1, buffer(a, 1) + (int) bytes);
            set(a, AbiV1.Array.OFFSET, offset - d);
            offset -= d;
          }
          if (f.kind() == Kind.BINARY && length >= 0) {
            int w = f.width();
            int offsets = buffer(a, 1);
            long first = readOffset(offsets, offset, w);
            if (first > 0 && r.nextBoolean()) {
              long d2 = 1 + (long) r.nextInt((int) first);
              for (long i = offset; i <= offset + length; i++) {
                writeOffset(offsets, i, w, readOffset(offsets, i, w) - d2);
              }
              setBuffer(a, 2, buffer(a, 2) + (int) d2);
            }
          }
        }
        default -> {}
      }
      for (int i = 0; i < nChildren; i++) {
        node(child(s, AbiV1.Schema.CHILDREN, i), child(a, AbiV1.Array.CHILDREN, i), depth + 1);
      }
      int dictSchema = m.readInt(s + AbiV1.Schema.DICTIONARY);
      if (dictSchema != 0) {
        node(dictSchema, m.readInt(a + AbiV1.Array.DICTIONARY), depth + 1);
      }
    }
  }
}

package io.wasmflight.bench;

import static io.wasmflight.bench.Workloads.FLOAT64;
import static io.wasmflight.bench.Workloads.INT64;

import io.wasmflight.server.NativeKernel;
import io.wasmflight.server.WasmFlightServer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ToLongFunction;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The workloads of the other kinds (ABI 1.2): a filter, a table function and two aggregates. Their
 * output is checked as one stream of rows against what Java computes from the input, whatever the
 * batch boundaries; the native twins are {@link NativeKernel}s.
 */
final class KindWorkloads {
  private KindWorkloads() {}

  /** Most rows per output batch, as in the Rust examples. */
  static final int CHUNK_ROWS = 65_536;

  /** A workload of a kind other than map, with its native kernel. */
  abstract static class KindWorkload extends Workload {
    KindWorkload(String name, Kind kind, Schema input, String description) {
      super(name, kind, input, description);
    }

    /** Opens the plain-Java kernel of one session. */
    abstract NativeKernel openNative(BufferAllocator allocator);

    @Override
    public final void registerNative(WasmFlightServer server, String module) {
      server.registerNative(module, name(), this::openNative);
    }
  }

  /** A workload over lines of words ({@link Words#lines}). */
  abstract static class TextWorkload extends KindWorkload {
    TextWorkload(String name, Kind kind, String description) {
      super(name, kind, Words.LINES, description);
    }

    @Override
    public final VectorSchemaRoot generate(BufferAllocator allocator, int rows, long seed) {
      return Words.lines(allocator, rows, seed);
    }

    /** The interpreter takes about 0.2-1 s per 1K lines: 64K lines would near the call limit. */
    @Override
    public int interpreterMaxBatch() {
      return 1024;
    }
  }

  /** How often input batch {@code b} of the pool is sent in an exchange of {@code batches}. */
  static long times(List<VectorSchemaRoot> inputs, long batches, int b) {
    int n = inputs.size();
    return batches / n + (b < batches % n ? 1 : 0);
  }

  /** The sum of {@code perBatch} over the input batches of an exchange. */
  static long perInput(
      List<VectorSchemaRoot> inputs, long batches, ToLongFunction<VectorSchemaRoot> perBatch) {
    long sum = 0;
    for (int b = 0; b < inputs.size(); b++) {
      long t = times(inputs, batches, b);
      sum += t == 0 ? 0 : t * perBatch.applyAsLong(inputs.get(b));
    }
    return sum;
  }

  /**
   * Compares the output rows, in order, with the expected ones; the output schema must be the
   * declared one.
   */
  abstract static class RowCheck implements Workload.Check {
    private final Schema schema;
    private long row;

    RowCheck(Schema schema) {
      this.schema = schema;
    }

    @Override
    public final String next(VectorSchemaRoot out) {
      if (!schema.equals(out.getSchema())) {
        return "output schema " + out.getSchema() + ", expected " + schema;
      }
      for (int i = 0; i < out.getRowCount(); i++, row++) {
        String err = nextRow(out, i);
        if (err != null) {
          return "output row " + row + ": " + err;
        }
      }
      return null;
    }

    @Override
    public final String end() {
      String missing = missing();
      return missing == null ? null : "the output ends after " + row + " rows; missing " + missing;
    }

    /** Output row {@code i} against the next expected row. */
    abstract String nextRow(VectorSchemaRoot out, int i);

    /** Null when every expected row came, else the first one that did not. */
    abstract String missing();
  }

  // ---------------------------------------------------------------------------------------------

  /** Filter: the rows whose int64 {@code x} is valid and above zero (~45% of them). */
  static final class Positive extends KindWorkload {
    Positive() {
      super(
          "positive",
          Kind.FILTER,
          Workloads.AddOne.SCHEMA,
          "rows with x > 0 of one int64 "
              + "column (add_one's input: ~45% kept, ~10% nulls dropped)");
    }

    static boolean keeps(BigIntVector x, int row) {
      return !x.isNull(row) && x.get(row) > 0;
    }

    static long kept(VectorSchemaRoot in) {
      BigIntVector x = (BigIntVector) in.getVector(0);
      long n = 0;
      for (int r = 0; r < in.getRowCount(); r++) {
        n += keeps(x, r) ? 1 : 0;
      }
      return n;
    }

    @Override
    public VectorSchemaRoot generate(BufferAllocator allocator, int rows, long seed) {
      return Workloads.AddOne.int64s(allocator, rows, seed);
    }

    @Override
    public long outputRows(List<VectorSchemaRoot> inputs, long batches) {
      return perInput(inputs, batches, Positive::kept);
    }

    @Override
    public Check check(List<VectorSchemaRoot> inputs, long batches) {
      return new RowCheck(inputSchema()) {
        private long batch;
        private int row;

        /** Moves to the next kept input row; false when there is none. */
        private boolean advance() {
          for (; batch < batches; batch++, row = 0) {
            VectorSchemaRoot in = input(inputs, batch);
            BigIntVector x = (BigIntVector) in.getVector(0);
            for (; row < in.getRowCount(); row++) {
              if (keeps(x, row)) {
                return true;
              }
            }
          }
          return false;
        }

        private long x() {
          return ((BigIntVector) input(inputs, batch).getVector(0)).get(row);
        }

        @Override
        String nextRow(VectorSchemaRoot out, int i) {
          if (!advance()) {
            return "no more rows expected";
          }
          BigIntVector got = (BigIntVector) out.getVector(0);
          if (got.isNull(i) || got.get(i) != x()) {
            return "expected x = "
                + x()
                + " (batch "
                + batch
                + " row "
                + row
                + "), got "
                + got.getObject(i);
          }
          row++;
          return null;
        }

        @Override
        String missing() {
          return advance() ? "x = " + x() + " (batch " + batch + " row " + row + ")" : null;
        }
      };
    }

    @Override
    NativeKernel openNative(BufferAllocator allocator) {
      return new NativeKernel() {
        private int[] rows = new int[0];

        @Override
        public void apply(VectorSchemaRoot in, Output out) {
          int n = in.getRowCount();
          if (rows.length < n) {
            rows = new int[n];
          }
          BigIntVector x = (BigIntVector) in.getVector(0);
          ArrowBuf data = x.getDataBuffer();
          ArrowBuf validity = x.getValidityBuffer();
          boolean noNulls = x.getNullCount() == 0;
          int kept = 0;
          for (int r = 0; r < n; r++) {
            if (data.getLong((long) r << 3) > 0
                && (noNulls || (validity.getByte(r >>> 3) & (1 << (r & 7))) != 0)) {
              rows[kept++] = r;
            }
          }
          out.emitRows(in, rows, kept);
        }

        @Override
        public Schema outputSchema(Schema input) {
          return input;
        }
      };
    }
  }

  // ---------------------------------------------------------------------------------------------

  /** Table function: one row ({@code row}, {@code word}) per whitespace-separated word. */
  static final class SplitWords extends TextWorkload {
    static final Schema OUTPUT =
        new Schema(
            List.of(
                Field.notNullable("row", new ArrowType.Int(32, true)),
                Field.nullable("word", ArrowType.Utf8.INSTANCE)));

    SplitWords() {
      super(
          "split_words",
          Kind.TABLE,
          "one row (input row, word) per word of "
              + "utf8 lines of 0-8 words (mean 4), ~5% nulls; output batches of at most 64K rows");
    }

    /** The words of row {@code r}: none for a null. */
    static List<String> words(VarCharVector lines, int r) {
      return lines.isNull(r)
          ? List.of()
          : Words.split(new String(lines.get(r), StandardCharsets.UTF_8));
    }

    static long wordsIn(VectorSchemaRoot in) {
      VarCharVector lines = (VarCharVector) in.getVector(0);
      long n = 0;
      for (int r = 0; r < in.getRowCount(); r++) {
        n += words(lines, r).size();
      }
      return n;
    }

    @Override
    public long outputRows(List<VectorSchemaRoot> inputs, long batches) {
      return perInput(inputs, batches, SplitWords::wordsIn);
    }

    @Override
    public Check check(List<VectorSchemaRoot> inputs, long batches) {
      return new RowCheck(OUTPUT) {
        private long batch;
        private int row;
        private List<String> words;
        private int word;

        private boolean advance() {
          for (; batch < batches; batch++, row = 0) {
            VarCharVector lines = (VarCharVector) input(inputs, batch).getVector(0);
            for (; row < lines.getValueCount(); row++, words = null, word = 0) {
              if (words == null) {
                words = words(lines, row);
              }
              if (word < words.size()) {
                return true;
              }
            }
          }
          return false;
        }

        private String expected() {
          return "(" + row + ", '" + words.get(word) + "') of batch " + batch;
        }

        @Override
        String nextRow(VectorSchemaRoot out, int i) {
          if (!advance()) {
            return "no more rows expected";
          }
          IntVector gotRow = (IntVector) out.getVector(0);
          VarCharVector gotWord = (VarCharVector) out.getVector(1);
          String got =
              gotWord.isNull(i) ? null : new String(gotWord.get(i), StandardCharsets.UTF_8);
          if (gotRow.get(i) != row || !words.get(word).equals(got)) {
            return "expected " + expected() + ", got (" + gotRow.get(i) + ", '" + got + "')";
          }
          word++;
          return null;
        }

        @Override
        String missing() {
          return advance() ? expected() : null;
        }
      };
    }

    @Override
    NativeKernel openNative(BufferAllocator allocator) {
      return new NativeKernel() {
        private final VectorSchemaRoot out = VectorSchemaRoot.create(OUTPUT, allocator);
        private final IntVector rowOut = (IntVector) out.getVector(0);
        private final VarCharVector wordOut = (VarCharVector) out.getVector(1);
        private final Words.Scanner words = new Words.Scanner();
        private int n;

        @Override
        public void apply(VectorSchemaRoot in, Output output) {
          VarCharVector lines = (VarCharVector) in.getVector(0);
          ArrowBuf offsets = lines.getOffsetBuffer();
          ArrowBuf data = lines.getDataBuffer();
          start();
          for (int r = 0; r < in.getRowCount(); r++) {
            if (lines.isNull(r)) {
              continue;
            }
            words.reset(data, offsets.getInt(4L * r), offsets.getInt(4L * r + 4));
            while (words.next()) {
              rowOut.setSafe(n, r);
              wordOut.setSafe(n, (int) words.start(), words.length(), data);
              if (++n == CHUNK_ROWS) {
                emit(output);
                start();
              }
            }
          }
          if (n > 0) {
            emit(output);
          }
        }

        private void start() {
          rowOut.reset();
          wordOut.reset();
          n = 0;
        }

        private void emit(Output output) {
          rowOut.setValueCount(n);
          wordOut.setValueCount(n);
          out.setRowCount(n);
          output.emit(out);
        }

        @Override
        public Schema outputSchema(Schema input) {
          return OUTPUT;
        }

        @Override
        public void close() {
          out.close();
        }
      };
    }
  }

  // ---------------------------------------------------------------------------------------------

  /** Grouped aggregate: the count of every word over the stream, sorted by word. */
  static final class WordCount extends TextWorkload {
    static final Schema OUTPUT =
        new Schema(
            List.of(
                Field.notNullable("word", ArrowType.Utf8.INSTANCE),
                Field.notNullable("count", INT64)));

    WordCount() {
      super(
          "word_count",
          Kind.AGGREGATE,
          "count of each word over the stream "
              + "(split_words' input: "
              + Words.VOCABULARY_SIZE
              + " distinct words), sorted by word, "
              + "emitted by finish");
    }

    /** The expected counts, in output order. */
    static TreeMap<String, Long> counts(List<VectorSchemaRoot> inputs, long batches) {
      TreeMap<String, Long> counts = new TreeMap<>(Words.CODE_POINT_ORDER);
      for (int b = 0; b < inputs.size(); b++) {
        long t = times(inputs, batches, b);
        VarCharVector lines = (VarCharVector) inputs.get(b).getVector(0);
        for (int r = 0; t > 0 && r < lines.getValueCount(); r++) {
          for (String w : SplitWords.words(lines, r)) {
            counts.merge(w, t, Long::sum);
          }
        }
      }
      return counts;
    }

    @Override
    public long outputRows(List<VectorSchemaRoot> inputs, long batches) {
      return counts(inputs, batches).size();
    }

    @Override
    public Check check(List<VectorSchemaRoot> inputs, long batches) {
      Iterator<Map.Entry<String, Long>> expected = counts(inputs, batches).entrySet().iterator();
      return new RowCheck(OUTPUT) {
        @Override
        String nextRow(VectorSchemaRoot out, int i) {
          if (!expected.hasNext()) {
            return "no more rows expected";
          }
          Map.Entry<String, Long> want = expected.next();
          String word =
              new String(((VarCharVector) out.getVector(0)).get(i), StandardCharsets.UTF_8);
          long count = ((BigIntVector) out.getVector(1)).get(i);
          if (!want.getKey().equals(word) || want.getValue() != count) {
            return "expected ('"
                + want.getKey()
                + "', "
                + want.getValue()
                + "), got ('"
                + word
                + "', "
                + count
                + ")";
          }
          return null;
        }

        @Override
        String missing() {
          return expected.hasNext() ? "'" + expected.next().getKey() + "'" : null;
        }
      };
    }

    @Override
    NativeKernel openNative(BufferAllocator allocator) {
      return new NativeKernel() {
        private final Map<String, long[]> counts = new HashMap<>();
        private final Words.Scanner words = new Words.Scanner();
        private byte[] scratch = new byte[64];

        @Override
        public void apply(VectorSchemaRoot in, Output output) {
          VarCharVector lines = (VarCharVector) in.getVector(0);
          ArrowBuf offsets = lines.getOffsetBuffer();
          ArrowBuf data = lines.getDataBuffer();
          for (int r = 0; r < in.getRowCount(); r++) {
            if (lines.isNull(r)) {
              continue;
            }
            words.reset(data, offsets.getInt(4L * r), offsets.getInt(4L * r + 4));
            while (words.next()) {
              int len = words.length();
              if (scratch.length < len) {
                scratch = new byte[2 * len];
              }
              data.getBytes(words.start(), scratch, 0, len);
              counts
                  .computeIfAbsent(
                      new String(scratch, 0, len, StandardCharsets.UTF_8), k -> new long[1])[0]++;
            }
          }
        }

        @Override
        public void finish(Output output) {
          List<String> sorted = new ArrayList<>(counts.keySet());
          sorted.sort(Words.CODE_POINT_ORDER);
          try (VectorSchemaRoot out = VectorSchemaRoot.create(OUTPUT, allocator)) {
            VarCharVector word = (VarCharVector) out.getVector(0);
            BigIntVector count = (BigIntVector) out.getVector(1);
            int from = 0;
            do {
              int n = Math.min(CHUNK_ROWS, sorted.size() - from);
              word.reset();
              count.reset();
              for (int i = 0; i < n; i++) {
                String w = sorted.get(from + i);
                word.setSafe(i, w.getBytes(StandardCharsets.UTF_8));
                count.setSafe(i, counts.get(w)[0]);
              }
              word.setValueCount(n);
              count.setValueCount(n);
              out.setRowCount(n);
              output.emit(out);
              from += n;
            } while (from < sorted.size());
          }
        }

        @Override
        public Schema outputSchema(Schema input) {
          return OUTPUT;
        }
      };
    }
  }

  // ---------------------------------------------------------------------------------------------

  /** Aggregate: count, min, max and mean of a float64 column, one row from finish. */
  static final class Summary extends KindWorkload {
    static final Schema INPUT = new Schema(List.of(Field.nullable("v", FLOAT64)));
    static final Schema OUTPUT =
        new Schema(
            List.of(
                Field.notNullable("count", INT64),
                Field.nullable("min", FLOAT64),
                Field.nullable("max", FLOAT64),
                Field.nullable("mean", FLOAT64)));

    Summary() {
      super(
          "summary",
          Kind.AGGREGATE,
          INPUT,
          "count, min, max and mean of one float64 column "
              + "over the stream, ~10% nulls; one row, emitted by finish");
    }

    /** count, min, max, sum over the non-null values, in input order (as the guest sums). */
    static final class Totals {
      long count;
      double min = Double.NaN;
      double max = Double.NaN;
      double sum;

      /** Rust's f64::min/max: NaN loses to a number. */
      void add(double v) {
        count++;
        sum += v;
        min = Double.isNaN(min) || v < min ? v : min;
        max = Double.isNaN(max) || v > max ? v : max;
      }

      void add(Float8Vector v) {
        ArrowBuf data = v.getDataBuffer();
        boolean noNulls = v.getNullCount() == 0;
        for (int r = 0; r < v.getValueCount(); r++) {
          if (noNulls || !v.isNull(r)) {
            add(data.getDouble((long) r << 3));
          }
        }
      }
    }

    @Override
    public VectorSchemaRoot generate(BufferAllocator allocator, int rows, long seed) {
      return Workloads.oneColumn(
          INPUT,
          allocator,
          rows,
          seed,
          10,
          (v, i, r) -> ((Float8Vector) v).set(i, r.nextDouble(-1000.0, 1000.0)));
    }

    @Override
    public long outputRows(List<VectorSchemaRoot> inputs, long batches) {
      return 1;
    }

    @Override
    public Check check(List<VectorSchemaRoot> inputs, long batches) {
      // The definition, in input order (the generated values hold no NaN).
      long count = 0;
      double sum = 0;
      double min = Double.POSITIVE_INFINITY;
      double max = Double.NEGATIVE_INFINITY;
      for (long b = 0; b < batches; b++) {
        Float8Vector v = (Float8Vector) input(inputs, b).getVector(0);
        for (int r = 0; r < v.getValueCount(); r++) {
          if (!v.isNull(r)) {
            count++;
            sum += v.get(r);
            min = Math.min(min, v.get(r));
            max = Math.max(max, v.get(r));
          }
        }
      }
      String expected = count == 0 ? row(0L, null, null, null) : row(count, min, max, sum / count);
      return new RowCheck(OUTPUT) {
        private boolean seen;

        @Override
        String nextRow(VectorSchemaRoot out, int i) {
          if (seen) {
            return "no more rows expected";
          }
          seen = true;
          String got =
              row(
                  out.getVector(0).getObject(i),
                  out.getVector(1).getObject(i),
                  out.getVector(2).getObject(i),
                  out.getVector(3).getObject(i));
          return expected.equals(got) ? null : "expected " + expected + ", got " + got;
        }

        @Override
        String missing() {
          return seen ? null : "the summary row " + expected;
        }
      };
    }

    /** A row as text: doubles print exactly (shortest repr that round-trips). */
    static String row(Object count, Object min, Object max, Object mean) {
      return "(count " + count + ", min " + min + ", max " + max + ", mean " + mean + ")";
    }

    @Override
    NativeKernel openNative(BufferAllocator allocator) {
      return new NativeKernel() {
        private final Totals totals = new Totals();

        @Override
        public void apply(VectorSchemaRoot in, Output output) {
          totals.add((Float8Vector) in.getVector(0));
        }

        @Override
        public void finish(Output output) {
          try (VectorSchemaRoot out = VectorSchemaRoot.create(OUTPUT, allocator)) {
            ((BigIntVector) out.getVector(0)).setSafe(0, totals.count);
            Float8Vector min = (Float8Vector) out.getVector(1);
            Float8Vector max = (Float8Vector) out.getVector(2);
            Float8Vector mean = (Float8Vector) out.getVector(3);
            if (totals.count == 0) {
              min.setNull(0);
              max.setNull(0);
              mean.setNull(0);
            } else {
              min.setSafe(0, totals.min);
              max.setSafe(0, totals.max);
              mean.setSafe(0, totals.sum / totals.count);
            }
            out.setRowCount(1);
            output.emit(out);
          }
        }

        @Override
        public Schema outputSchema(Schema input) {
          return OUTPUT;
        }
      };
    }
  }
}

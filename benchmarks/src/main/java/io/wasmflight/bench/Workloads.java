package io.wasmflight.bench;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/** The four map workloads of the harness. */
final class Workloads {
  private Workloads() {}

  static final ArrowType INT64 = new ArrowType.Int(64, true);
  static final ArrowType FLOAT64 = new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE);

  /** Makes sure a reused fixed-width output vector holds {@code rows} slots. */
  static void ensure(BaseFixedWidthVector v, int rows) {
    if (v.getValueCapacity() < rows || v.getDataBuffer().capacity() == 0) {
      v.setInitialCapacity(Math.max(rows, 1));
      v.allocateNew();
    }
  }

  /** Copies {@code from}'s validity bitmap for {@code rows} rows into {@code to}. */
  static void copyValidity(FieldVector from, FieldVector to, int rows) {
    int bytes = (rows + 7) >>> 3;
    if (from.getNullCount() == 0) {
      to.getValidityBuffer().setOne(0L, (long) bytes);
    } else {
      to.getValidityBuffer().setBytes(0, from.getValidityBuffer(), 0, bytes);
    }
  }

  static String mismatch(int row, Object expected, Object got) {
    return "row " + row + ": expected " + expected + ", got " + got;
  }

  /** The output's row is null where it should not be, or the other way round. */
  static String nullMismatch(int row, boolean expectedNull) {
    return expectedNull ? mismatch(row, "null", "a value") : mismatch(row, "a value", "null");
  }

  /** Sets one row of a column from the generator's random numbers. */
  interface RowFiller {
    void set(FieldVector v, int row, SplittableRandom r);
  }

  /**
   * A batch of one nullable column ({@code schema}'s only field): each row null with probability
   * {@code 1 / nullOneIn}, else set by {@code filler}.
   */
  static VectorSchemaRoot oneColumn(
      Schema schema,
      BufferAllocator allocator,
      int rows,
      long seed,
      int nullOneIn,
      RowFiller filler) {
    SplittableRandom r = new SplittableRandom(seed);
    VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
    FieldVector v = root.getVector(0);
    v.setInitialCapacity(rows);
    v.allocateNew();
    for (int i = 0; i < rows; i++) {
      if (r.nextInt(nullOneIn) == 0) {
        v.setNull(i);
      } else {
        filler.set(v, i, r);
      }
    }
    v.setValueCount(rows);
    root.setRowCount(rows);
    return root;
  }

  // ---------------------------------------------------------------------------------------------

  /** {@code x + 1} over int64 with ~10% nulls. */
  static final class AddOne extends MapWorkload {
    /** Also the input of {@code positive}. */
    static final Schema SCHEMA = new Schema(List.of(Field.nullable("x", INT64)));

    AddOne() {
      super("add_one", SCHEMA, SCHEMA, "x + 1 over one int64 column, ~10% nulls");
    }

    /** One int64 column {@code x}, uniform in +-10^12, ~10% nulls. */
    static VectorSchemaRoot int64s(BufferAllocator allocator, int rows, long seed) {
      return oneColumn(
          SCHEMA,
          allocator,
          rows,
          seed,
          10,
          (v, i, r) ->
              ((BigIntVector) v).set(i, r.nextLong(-1_000_000_000_000L, 1_000_000_000_000L)));
    }

    @Override
    public VectorSchemaRoot generate(BufferAllocator allocator, int rows, long seed) {
      return int64s(allocator, rows, seed);
    }

    @Override
    protected void applyNative(VectorSchemaRoot in, VectorSchemaRoot out) {
      int rows = in.getRowCount();
      BigIntVector x = (BigIntVector) in.getVector(0);
      BigIntVector y = (BigIntVector) out.getVector(0);
      ensure(y, rows);
      copyValidity(x, y, rows);
      ArrowBuf src = x.getDataBuffer();
      ArrowBuf dst = y.getDataBuffer();
      for (int i = 0; i < rows; i++) {
        long at = (long) i << 3;
        dst.setLong(at, src.getLong(at) + 1);
      }
      y.setValueCount(rows);
      out.setRowCount(rows);
    }

    @Override
    protected String verifyRows(VectorSchemaRoot in, VectorSchemaRoot out) {
      BigIntVector x = (BigIntVector) in.getVector(0);
      BigIntVector y = (BigIntVector) out.getVector(0);
      for (int i = 0; i < in.getRowCount(); i++) {
        if (x.isNull(i) != y.isNull(i)) {
          return nullMismatch(i, x.isNull(i));
        }
        if (!x.isNull(i) && y.get(i) != x.get(i) + 1) {
          return mismatch(i, x.get(i) + 1, y.get(i));
        }
      }
      return null;
    }
  }

  // ---------------------------------------------------------------------------------------------

  /** Upper case over utf8 strings of 0-64 bytes, ~10% nulls. */
  static final class Upper extends MapWorkload {
    private static final Schema SCHEMA =
        new Schema(List.of(Field.nullable("s", ArrowType.Utf8.INSTANCE)));

    /** Mostly ASCII, some 2-byte letters with a one-to-one upper case (same in Java and Rust). */
    private static final String ALPHABET =
        "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN0123456789 .,-_"
            + "éèñøüçåæ";

    Upper() {
      super(
          "upper",
          SCHEMA,
          SCHEMA,
          "upper case of one utf8 column, 0-64 bytes per value (mean ~32), ~10% nulls");
    }

    @Override
    public VectorSchemaRoot generate(BufferAllocator allocator, int rows, long seed) {
      SplittableRandom r = new SplittableRandom(seed);
      VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator);
      VarCharVector s = (VarCharVector) root.getVector(0);
      s.allocateNew(33L * rows + 64, rows);
      StringBuilder b = new StringBuilder(64);
      for (int i = 0; i < rows; i++) {
        if (r.nextInt(10) == 0) {
          s.setNull(i);
          continue;
        }
        int maxBytes = r.nextInt(65);
        b.setLength(0);
        int bytes = 0;
        while (true) {
          char c = ALPHABET.charAt(r.nextInt(ALPHABET.length()));
          int w = c < 0x80 ? 1 : 2;
          if (bytes + w > maxBytes) {
            break;
          }
          b.append(c);
          bytes += w;
        }
        s.setSafe(i, b.toString().getBytes(StandardCharsets.UTF_8));
      }
      s.setValueCount(rows);
      root.setRowCount(rows);
      return root;
    }

    @Override
    protected void applyNative(VectorSchemaRoot in, VectorSchemaRoot out) {
      int rows = in.getRowCount();
      VarCharVector s = (VarCharVector) in.getVector(0);
      VarCharVector u = (VarCharVector) out.getVector(0);
      u.reset();
      for (int i = 0; i < rows; i++) {
        if (s.isNull(i)) {
          u.setNull(i);
        } else {
          String v = new String(s.get(i), StandardCharsets.UTF_8);
          u.setSafe(i, v.toUpperCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8));
        }
      }
      u.setValueCount(rows);
      out.setRowCount(rows);
    }

    @Override
    protected String verifyRows(VectorSchemaRoot in, VectorSchemaRoot out) {
      VarCharVector s = (VarCharVector) in.getVector(0);
      VarCharVector u = (VarCharVector) out.getVector(0);
      for (int i = 0; i < in.getRowCount(); i++) {
        if (s.isNull(i) != u.isNull(i)) {
          return nullMismatch(i, s.isNull(i));
        }
        if (!s.isNull(i)) {
          String want = new String(s.get(i), StandardCharsets.UTF_8).toUpperCase(Locale.ROOT);
          String got = new String(u.get(i), StandardCharsets.UTF_8);
          if (!want.equals(got)) {
            return mismatch(i, "'" + want + "'", "'" + got + "'");
          }
        }
      }
      return null;
    }
  }

  // ---------------------------------------------------------------------------------------------

  /** {@code total = price * qty} (nulls propagate) next to a passed-through {@code id}. */
  static final class LineTotal extends MapWorkload {
    private static final Schema SCHEMA =
        new Schema(
            List.of(
                Field.nullable("id", INT64),
                Field.nullable("price", FLOAT64),
                Field.nullable("qty", INT64)));
    private static final Schema OUTPUT =
        new Schema(List.of(Field.nullable("id", INT64), Field.nullable("total", FLOAT64)));

    LineTotal() {
      super(
          "line_total",
          SCHEMA,
          OUTPUT,
          "total = price (float64) * qty (int64), ~10% nulls "
              + "in each, id (int64) passed through");
    }

    @Override
    public VectorSchemaRoot generate(BufferAllocator allocator, int rows, long seed) {
      SplittableRandom r = new SplittableRandom(seed);
      VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator);
      BigIntVector id = (BigIntVector) root.getVector(0);
      Float8Vector price = (Float8Vector) root.getVector(1);
      BigIntVector qty = (BigIntVector) root.getVector(2);
      id.allocateNew(rows);
      price.allocateNew(rows);
      qty.allocateNew(rows);
      long base = r.nextLong(1L << 40);
      for (int i = 0; i < rows; i++) {
        id.set(i, base + i);
        if (r.nextInt(10) == 0) {
          price.setNull(i);
        } else {
          price.set(i, r.nextInt(100_000) / 100.0);
        }
        if (r.nextInt(10) == 0) {
          qty.setNull(i);
        } else {
          qty.set(i, 1 + r.nextInt(100));
        }
      }
      root.setRowCount(rows);
      return root;
    }

    @Override
    protected void applyNative(VectorSchemaRoot in, VectorSchemaRoot out) {
      int rows = in.getRowCount();
      BigIntVector id = (BigIntVector) in.getVector("id");
      Float8Vector price = (Float8Vector) in.getVector("price");
      BigIntVector qty = (BigIntVector) in.getVector("qty");
      BigIntVector outId = (BigIntVector) out.getVector(0);
      Float8Vector total = (Float8Vector) out.getVector(1);
      ensure(outId, rows);
      ensure(total, rows);
      copyValidity(id, outId, rows);
      outId.getDataBuffer().setBytes(0, id.getDataBuffer(), 0, 8L * rows);
      int bytes = (rows + 7) >>> 3;
      ArrowBuf pv = price.getValidityBuffer();
      ArrowBuf qv = qty.getValidityBuffer();
      ArrowBuf tv = total.getValidityBuffer();
      for (int j = 0; j < bytes; j++) {
        tv.setByte(j, pv.getByte(j) & qv.getByte(j));
      }
      ArrowBuf p = price.getDataBuffer();
      ArrowBuf q = qty.getDataBuffer();
      ArrowBuf t = total.getDataBuffer();
      for (int i = 0; i < rows; i++) {
        long at = (long) i << 3;
        t.setDouble(at, p.getDouble(at) * (double) q.getLong(at));
      }
      outId.setValueCount(rows);
      total.setValueCount(rows);
      out.setRowCount(rows);
    }

    @Override
    protected String verifyRows(VectorSchemaRoot in, VectorSchemaRoot out) {
      BigIntVector id = (BigIntVector) in.getVector("id");
      Float8Vector price = (Float8Vector) in.getVector("price");
      BigIntVector qty = (BigIntVector) in.getVector("qty");
      BigIntVector outId = (BigIntVector) out.getVector(0);
      Float8Vector total = (Float8Vector) out.getVector(1);
      for (int i = 0; i < in.getRowCount(); i++) {
        if (outId.isNull(i) || outId.get(i) != id.get(i)) {
          return mismatch(i, "id " + id.get(i), "id " + outId.getObject(i));
        }
        boolean isNull = price.isNull(i) || qty.isNull(i);
        if (isNull != total.isNull(i)) {
          return nullMismatch(i, isNull);
        }
        if (!isNull) {
          double want = price.get(i) * (double) qty.get(i);
          if (Double.compare(want, total.get(i)) != 0) {
            return mismatch(i, want, total.get(i));
          }
        }
      }
      return null;
    }
  }

  // ---------------------------------------------------------------------------------------------

  /** Haversine distance over four float64 columns, the compute-heavy kernel. */
  static final class Haversine extends MapWorkload {
    static final double EARTH_RADIUS_KM = 6371.0088;
    private static final String[] COLUMNS = {"lat1", "lon1", "lat2", "lon2"};
    private static final Schema SCHEMA =
        new Schema(
            List.of(
                Field.nullable("lat1", FLOAT64), Field.nullable("lon1", FLOAT64),
                Field.nullable("lat2", FLOAT64), Field.nullable("lon2", FLOAT64)));
    private static final Schema OUTPUT = new Schema(List.of(Field.nullable("km", FLOAT64)));

    /** Same formula as {@code guest-sdk-rust/examples/haversine}. */
    static double distanceKm(double lat1, double lon1, double lat2, double lon2) {
      double dlat = Math.toRadians(lat2 - lat1);
      double dlon = Math.toRadians(lon2 - lon1);
      double sLat = Math.sin(dlat / 2);
      double sLon = Math.sin(dlon / 2);
      double a =
          sLat * sLat
              + Math.cos(Math.toRadians(lat1)) * Math.cos(Math.toRadians(lat2)) * sLon * sLon;
      return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(Math.sqrt(a), 1.0));
    }

    Haversine() {
      super(
          "haversine",
          SCHEMA,
          OUTPUT,
          "haversine distance (sin, cos, asin, sqrt) over four "
              + "float64 columns, ~5% nulls in each");
    }

    @Override
    public VectorSchemaRoot generate(BufferAllocator allocator, int rows, long seed) {
      SplittableRandom r = new SplittableRandom(seed);
      VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator);
      for (int c = 0; c < 4; c++) {
        Float8Vector v = (Float8Vector) root.getVector(c);
        v.allocateNew(rows);
        double range = c % 2 == 0 ? 90.0 : 180.0;
        for (int i = 0; i < rows; i++) {
          if (r.nextInt(20) == 0) {
            v.setNull(i);
          } else {
            v.set(i, r.nextDouble(-range, range));
          }
        }
      }
      root.setRowCount(rows);
      return root;
    }

    @Override
    protected void applyNative(VectorSchemaRoot in, VectorSchemaRoot out) {
      int rows = in.getRowCount();
      ArrowBuf[] data = new ArrowBuf[4];
      ArrowBuf[] valid = new ArrowBuf[4];
      for (int c = 0; c < 4; c++) {
        FieldVector v = in.getVector(COLUMNS[c]);
        data[c] = v.getDataBuffer();
        valid[c] = v.getValidityBuffer();
      }
      Float8Vector km = (Float8Vector) out.getVector(0);
      ensure(km, rows);
      ArrowBuf kv = km.getValidityBuffer();
      ArrowBuf kd = km.getDataBuffer();
      int bytes = (rows + 7) >>> 3;
      for (int j = 0; j < bytes; j++) {
        kv.setByte(
            j,
            valid[0].getByte(j) & valid[1].getByte(j) & valid[2].getByte(j) & valid[3].getByte(j));
      }
      for (int i = 0; i < rows; i++) {
        if ((kv.getByte(i >>> 3) & (1 << (i & 7))) != 0) {
          long at = (long) i << 3;
          kd.setDouble(
              at,
              distanceKm(
                  data[0].getDouble(at),
                  data[1].getDouble(at),
                  data[2].getDouble(at),
                  data[3].getDouble(at)));
        }
      }
      km.setValueCount(rows);
      out.setRowCount(rows);
    }

    @Override
    protected String verifyRows(VectorSchemaRoot in, VectorSchemaRoot out) {
      Float8Vector[] v = new Float8Vector[4];
      for (int c = 0; c < 4; c++) {
        v[c] = (Float8Vector) in.getVector(COLUMNS[c]);
      }
      Float8Vector km = (Float8Vector) out.getVector(0);
      for (int i = 0; i < in.getRowCount(); i++) {
        boolean isNull = v[0].isNull(i) || v[1].isNull(i) || v[2].isNull(i) || v[3].isNull(i);
        if (isNull != km.isNull(i)) {
          return nullMismatch(i, isNull);
        }
        if (!isNull) {
          double want = distanceKm(v[0].get(i), v[1].get(i), v[2].get(i), v[3].get(i));
          // libm (in the guest) and the JDK may differ in the last bits of sin/cos/asin.
          if (!(Math.abs(want - km.get(i)) <= 1e-9 * Math.max(1.0, want))) {
            return mismatch(i, want, km.get(i));
          }
        }
      }
      return null;
    }
  }
}

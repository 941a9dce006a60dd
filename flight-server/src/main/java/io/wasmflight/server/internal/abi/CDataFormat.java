package io.wasmflight.server.internal.abi;

import java.util.Arrays;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.IntervalUnit;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.UnionMode;
import org.apache.arrow.vector.types.pojo.ArrowType;

/**
 * One C Data Interface format string and its physical layout: the single description of every Arrow
 * type that both directions of the guest boundary use (proto-docs/types.md). The writer ({@code
 * codec.InputWriter}) and the reader ({@code codec.OutputReader}) never switch on Arrow types
 * themselves; they ask the format for its {@link Kind}, its buffers ({@link Buf}) and their widths.
 *
 * <p>A dictionary-encoded array has the format of its index type; the dictionary is a separate node
 * (ArrowSchema.dictionary / ArrowArray.dictionary).
 */
public final class CDataFormat {
  /** The physical layout families. */
  public enum Kind {
    /** {@code n}: no buffers. */
    NULL,
    /** {@code b}: validity, values bitmap. */
    BOOL,
    /** Primitive and fixed-size binary: validity, {@code width} bytes per slot. */
    FIXED,
    /** {@code u z U Z}: validity, offsets ({@code width} = 4 or 8 bytes), data. */
    BINARY,
    /** {@code vu vz}: validity, 16-byte views, variadic data buffers, their int64 sizes. */
    VIEW,
    /** {@code +l +L +m}: validity, offsets ({@code width} 4 or 8), one child. */
    LIST,
    /** {@code +w:N}: validity, one child of N slots per slot ({@code width} = N). */
    FIXED_LIST,
    /** {@code +vl +vL}: validity, offsets, sizes ({@code width} 4 or 8), one child. */
    LIST_VIEW,
    /** {@code +s}: validity, one child per field. */
    STRUCT,
    /** {@code +us:…}: int8 type ids, one child per member (union length). */
    SPARSE_UNION,
    /** {@code +ud:…}: int8 type ids, int32 offsets, one child per member. */
    DENSE_UNION,
    /** {@code +r}: no buffers; children run_ends (int16/32/64) and values. */
    RUN_END
  }

  /** The role of one C Data buffer. */
  public enum Buf {
    /** Validity bitmap: 1 bit per slot, may be null when there are no nulls. */
    VALIDITY,
    /** Bool values: 1 bit per slot. */
    BITS,
    /** Fixed-width values: {@code width} bytes per slot. */
    VALUES,
    /** Offsets: {@code width} bytes per slot, length + 1 entries. */
    OFFSETS,
    /** Bytes addressed by the offsets. */
    DATA,
    /** 16 bytes per slot. */
    VIEWS,
    /** One int8 per slot. */
    TYPE_IDS,
    /** One int32 per slot. */
    UNION_OFFSETS,
    /** List view offsets: {@code width} bytes per slot. */
    VIEW_OFFSETS,
    /** List view sizes: {@code width} bytes per slot. */
    VIEW_SIZES
  }

  private static final Buf[] NONE = {};
  private static final Buf[] VALIDITY_ONLY = {Buf.VALIDITY};
  private static final Buf[] FIXED_BUFS = {Buf.VALIDITY, Buf.VALUES};
  private static final Buf[] BOOL_BUFS = {Buf.VALIDITY, Buf.BITS};
  private static final Buf[] BINARY_BUFS = {Buf.VALIDITY, Buf.OFFSETS, Buf.DATA};
  private static final Buf[] VIEW_BUFS = {Buf.VALIDITY, Buf.VIEWS};
  private static final Buf[] LIST_BUFS = {Buf.VALIDITY, Buf.OFFSETS};
  private static final Buf[] LIST_VIEW_BUFS = {Buf.VALIDITY, Buf.VIEW_OFFSETS, Buf.VIEW_SIZES};
  private static final Buf[] SPARSE_BUFS = {Buf.TYPE_IDS};
  private static final Buf[] DENSE_BUFS = {Buf.TYPE_IDS, Buf.UNION_OFFSETS};

  /** Bytes of one binary view. */
  public static final int VIEW_SIZE = 16;

  /** Longest string a view holds inline. */
  public static final int VIEW_INLINE_MAX = 12;

  private final String format;
  private final Kind kind;
  private final ArrowType type;
  private final int width;
  private final int[] typeIds;

  private CDataFormat(String format, Kind kind, ArrowType type, int width, int[] typeIds) {
    this.format = format;
    this.kind = kind;
    this.type = type;
    this.width = width;
    this.typeIds = typeIds;
  }

  private CDataFormat(String format, Kind kind, ArrowType type, int width) {
    this(format, kind, type, width, null);
  }

  /** The format string. */
  public String format() {
    return format;
  }

  public Kind kind() {
    return kind;
  }

  /** The Arrow Java type (for a dictionary-encoded array: the index type). */
  public ArrowType type() {
    return type;
  }

  /**
   * Bytes per slot of the values ({@link Kind#FIXED}), bytes per offset ({@link Kind#BINARY},
   * {@link Kind#LIST}, {@link Kind#LIST_VIEW}), or slots per list ({@link Kind#FIXED_LIST}).
   */
  public int width() {
    return width;
  }

  /** A union's type ids, in child order; null for other kinds. */
  public int[] typeIds() {
    return typeIds == null ? null : typeIds.clone();
  }

  /** The child index of a union type id, or -1 when the format does not declare it. */
  public int childOfTypeId(int typeId) {
    for (int i = 0; i < typeIds.length; i++) {
      if (typeIds[i] == typeId) {
        return i;
      }
    }
    return -1;
  }

  /**
   * The buffers in C Data order. For {@link Kind#VIEW} these are the first two; the variadic data
   * buffers and the buffer of their sizes follow.
   */
  public Buf[] buffers() {
    return switch (kind) {
      case NULL, RUN_END -> NONE;
      case BOOL -> BOOL_BUFS;
      case FIXED -> FIXED_BUFS;
      case BINARY -> BINARY_BUFS;
      case VIEW -> VIEW_BUFS;
      case LIST -> LIST_BUFS;
      case FIXED_LIST, STRUCT -> VALIDITY_ONLY;
      case LIST_VIEW -> LIST_VIEW_BUFS;
      case SPARSE_UNION -> SPARSE_BUFS;
      case DENSE_UNION -> DENSE_BUFS;
    };
  }

  /** {@code n_buffers} (for views: the count without variadic buffers, i.e. 3 + variadic). */
  public int bufferCount() {
    return kind == Kind.VIEW ? 3 : buffers().length;
  }

  /** True when the array has a validity bitmap as buffer 0. */
  public boolean hasValidity() {
    return switch (kind) {
      case NULL, RUN_END, SPARSE_UNION, DENSE_UNION -> false;
      default -> true;
    };
  }

  /** The number of children the layout needs, or -1 for "one per field / member". */
  public int childCount() {
    return switch (kind) {
      case LIST, FIXED_LIST, LIST_VIEW -> 1;
      case RUN_END -> 2;
      case STRUCT, SPARSE_UNION, DENSE_UNION -> -1;
      default -> 0;
    };
  }

  /** True for the integer formats that may index a dictionary. */
  public boolean isDictionaryIndex() {
    return kind == Kind.FIXED && type instanceof ArrowType.Int;
  }

  @Override
  public String toString() {
    return format;
  }

  // ---------------------------------------------------------------------------------------------
  // Parsing and printing
  // ---------------------------------------------------------------------------------------------

  /** Thrown for a format string that is malformed or that Arrow Java cannot carry. */
  public static final class UnsupportedFormat extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UnsupportedFormat(String message) {
      super(message);
    }
  }

  /**
   * Parses a format string.
   *
   * @param flags the ArrowSchema flags (only {@code ARROW_FLAG_MAP_KEYS_SORTED} matters here)
   * @throws UnsupportedFormat naming the problem
   */
  public static CDataFormat parse(String format, long flags) {
    CDataFormat simple = simple(format, flags);
    if (simple != null) {
      return simple;
    }
    int colon = format.indexOf(':');
    if (colon < 0) {
      throw new UnsupportedFormat("unknown format '" + format + "'");
    }
    String head = format.substring(0, colon);
    String payload = format.substring(colon + 1);
    return switch (head) {
      case "d" -> decimal(format, payload);
      case "w" -> {
        int n = positiveInt(format, payload, "byte width");
        yield new CDataFormat(format, Kind.FIXED, new ArrowType.FixedSizeBinary(n), n);
      }
      case "+w" -> {
        int n = positiveInt(format, payload, "list size");
        yield new CDataFormat(format, Kind.FIXED_LIST, new ArrowType.FixedSizeList(n), n);
      }
      case "tss" -> timestamp(format, TimeUnit.SECOND, payload);
      case "tsm" -> timestamp(format, TimeUnit.MILLISECOND, payload);
      case "tsu" -> timestamp(format, TimeUnit.MICROSECOND, payload);
      case "tsn" -> timestamp(format, TimeUnit.NANOSECOND, payload);
      case "+us" -> union(format, UnionMode.Sparse, payload);
      case "+ud" -> union(format, UnionMode.Dense, payload);
      default -> throw new UnsupportedFormat("unknown format '" + format + "'");
    };
  }

  private static CDataFormat simple(String f, long flags) {
    return switch (f) {
      case "n" -> new CDataFormat(f, Kind.NULL, ArrowType.Null.INSTANCE, 0);
      case "b" -> new CDataFormat(f, Kind.BOOL, ArrowType.Bool.INSTANCE, 0);
      case "c" -> fixed(f, new ArrowType.Int(8, true), 1);
      case "C" -> fixed(f, new ArrowType.Int(8, false), 1);
      case "s" -> fixed(f, new ArrowType.Int(16, true), 2);
      case "S" -> fixed(f, new ArrowType.Int(16, false), 2);
      case "i" -> fixed(f, new ArrowType.Int(32, true), 4);
      case "I" -> fixed(f, new ArrowType.Int(32, false), 4);
      case "l" -> fixed(f, new ArrowType.Int(64, true), 8);
      case "L" -> fixed(f, new ArrowType.Int(64, false), 8);
      case "e" -> fixed(f, new ArrowType.FloatingPoint(FloatingPointPrecision.HALF), 2);
      case "f" -> fixed(f, new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE), 4);
      case "g" -> fixed(f, new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE), 8);
      case "tdD" -> fixed(f, new ArrowType.Date(DateUnit.DAY), 4);
      case "tdm" -> fixed(f, new ArrowType.Date(DateUnit.MILLISECOND), 8);
      case "tts" -> fixed(f, new ArrowType.Time(TimeUnit.SECOND, 32), 4);
      case "ttm" -> fixed(f, new ArrowType.Time(TimeUnit.MILLISECOND, 32), 4);
      case "ttu" -> fixed(f, new ArrowType.Time(TimeUnit.MICROSECOND, 64), 8);
      case "ttn" -> fixed(f, new ArrowType.Time(TimeUnit.NANOSECOND, 64), 8);
      case "tDs" -> fixed(f, new ArrowType.Duration(TimeUnit.SECOND), 8);
      case "tDm" -> fixed(f, new ArrowType.Duration(TimeUnit.MILLISECOND), 8);
      case "tDu" -> fixed(f, new ArrowType.Duration(TimeUnit.MICROSECOND), 8);
      case "tDn" -> fixed(f, new ArrowType.Duration(TimeUnit.NANOSECOND), 8);
      case "tiM" -> fixed(f, new ArrowType.Interval(IntervalUnit.YEAR_MONTH), 4);
      case "tiD" -> fixed(f, new ArrowType.Interval(IntervalUnit.DAY_TIME), 8);
      case "tin" -> fixed(f, new ArrowType.Interval(IntervalUnit.MONTH_DAY_NANO), 16);
      case "u" -> new CDataFormat(f, Kind.BINARY, ArrowType.Utf8.INSTANCE, 4);
      case "z" -> new CDataFormat(f, Kind.BINARY, ArrowType.Binary.INSTANCE, 4);
      case "U" -> new CDataFormat(f, Kind.BINARY, ArrowType.LargeUtf8.INSTANCE, 8);
      case "Z" -> new CDataFormat(f, Kind.BINARY, ArrowType.LargeBinary.INSTANCE, 8);
      case "vu" -> new CDataFormat(f, Kind.VIEW, ArrowType.Utf8View.INSTANCE, VIEW_SIZE);
      case "vz" -> new CDataFormat(f, Kind.VIEW, ArrowType.BinaryView.INSTANCE, VIEW_SIZE);
      case "+l" -> new CDataFormat(f, Kind.LIST, ArrowType.List.INSTANCE, 4);
      case "+L" -> new CDataFormat(f, Kind.LIST, ArrowType.LargeList.INSTANCE, 8);
      case "+vl" -> new CDataFormat(f, Kind.LIST_VIEW, ArrowType.ListView.INSTANCE, 4);
      case "+vL" -> new CDataFormat(f, Kind.LIST_VIEW, ArrowType.LargeListView.INSTANCE, 8);
      case "+s" -> new CDataFormat(f, Kind.STRUCT, ArrowType.Struct.INSTANCE, 0);
      case "+m" ->
          new CDataFormat(
              f, Kind.LIST, new ArrowType.Map((flags & AbiV1.FLAG_MAP_KEYS_SORTED) != 0), 4);
      case "+r" -> new CDataFormat(f, Kind.RUN_END, ArrowType.RunEndEncoded.INSTANCE, 0);
      default -> null;
    };
  }

  private static CDataFormat fixed(String f, ArrowType type, int width) {
    return new CDataFormat(f, Kind.FIXED, type, width);
  }

  private static CDataFormat decimal(String format, String payload) {
    String[] parts = payload.split(",", -1);
    if (parts.length != 2 && parts.length != 3) {
      throw new UnsupportedFormat(
          "malformed decimal format '"
              + format
              + "' (expected d:precision,scale or d:precision,scale,bits)");
    }
    int precision = integer(format, parts[0], "precision");
    int scale = integer(format, parts[1], "scale");
    int bits = parts.length == 3 ? integer(format, parts[2], "bit width") : 128;
    if (bits == 32 || bits == 64) {
      throw new UnsupportedFormat(
          "format '"
              + format
              + "' is decimal"
              + bits
              + ", which Arrow Java 19 cannot represent (it has decimal128 and decimal256 only)");
    }
    if (bits != 128 && bits != 256) {
      throw new UnsupportedFormat(
          "decimal format '" + format + "' has bit width " + bits + " (expected 128 or 256)");
    }
    int max = bits == 128 ? 38 : 76;
    if (precision < 1 || precision > max) {
      throw new UnsupportedFormat(
          "decimal format '"
              + format
              + "' has precision "
              + precision
              + " (decimal"
              + bits
              + " takes 1.."
              + max
              + ")");
    }
    return new CDataFormat(
        format, Kind.FIXED, new ArrowType.Decimal(precision, scale, bits), bits / 8);
  }

  private static CDataFormat timestamp(String format, TimeUnit unit, String zone) {
    return new CDataFormat(
        format, Kind.FIXED, new ArrowType.Timestamp(unit, zone.isEmpty() ? null : zone), 8);
  }

  private static CDataFormat union(String format, UnionMode mode, String payload) {
    int[] ids;
    if (payload.isEmpty()) {
      ids = new int[0];
    } else {
      String[] parts = payload.split(",", -1);
      ids = new int[parts.length];
      for (int i = 0; i < parts.length; i++) {
        ids[i] = integer(format, parts[i], "type id");
        if (ids[i] < 0 || ids[i] > 127) {
          throw new UnsupportedFormat(
              "union format '" + format + "' has type id " + ids[i] + " (type ids are 0..127)");
        }
        for (int j = 0; j < i; j++) {
          if (ids[j] == ids[i]) {
            throw new UnsupportedFormat(
                "union format '" + format + "' lists type id " + ids[i] + " twice");
          }
        }
      }
    }
    return new CDataFormat(
        format,
        mode == UnionMode.Sparse ? Kind.SPARSE_UNION : Kind.DENSE_UNION,
        new ArrowType.Union(mode, ids),
        0,
        ids);
  }

  private static int integer(String format, String text, String what) {
    if (text.isEmpty() || text.length() > 11) {
      throw new UnsupportedFormat(
          "format '" + format + "' has an invalid " + what + " '" + text + "'");
    }
    try {
      return Integer.parseInt(text);
    } catch (NumberFormatException e) {
      throw new UnsupportedFormat(
          "format '" + format + "' has an invalid " + what + " '" + text + "'");
    }
  }

  private static int positiveInt(String format, String text, String what) {
    int n = integer(format, text, what);
    if (n < 1) {
      throw new UnsupportedFormat(
          "format '"
              + format
              + "' has "
              + what
              + " "
              + n
              + (n == 0 ? " (Arrow Java cannot represent a width of 0)" : " (must be positive)"));
    }
    return n;
  }

  /**
   * The format of an Arrow Java type (for a dictionary-encoded field pass its index type).
   *
   * @throws UnsupportedFormat when the type has no C Data equivalent this server carries
   */
  public static CDataFormat of(ArrowType type) {
    if (type instanceof ArrowType.ExtensionType ext) {
      return of(ext.storageType());
    }
    if (type instanceof ArrowType.Union u && u.getTypeIds() == null) {
      throw new UnsupportedFormat("union type without type ids");
    }
    String f =
        switch (type) {
          case ArrowType.Null t -> "n";
          case ArrowType.Bool t -> "b";
          case ArrowType.Int t -> {
            String s =
                switch (t.getBitWidth()) {
                  case 8 -> "c";
                  case 16 -> "s";
                  case 32 -> "i";
                  case 64 -> "l";
                  default -> throw new UnsupportedFormat("int of bit width " + t.getBitWidth());
                };
            yield t.getIsSigned() ? s : s.toUpperCase(java.util.Locale.ROOT);
          }
          case ArrowType.FloatingPoint t ->
              switch (t.getPrecision()) {
                case HALF -> "e";
                case SINGLE -> "f";
                case DOUBLE -> "g";
              };
          case ArrowType.Decimal t ->
              "d:"
                  + t.getPrecision()
                  + ","
                  + t.getScale()
                  + (t.getBitWidth() == 128 ? "" : "," + t.getBitWidth());
          case ArrowType.Date t -> t.getUnit() == DateUnit.DAY ? "tdD" : "tdm";
          case ArrowType.Time t -> "tt" + unit(t.getUnit());
          case ArrowType.Timestamp t ->
              "ts" + unit(t.getUnit()) + ":" + (t.getTimezone() == null ? "" : t.getTimezone());
          case ArrowType.Duration t -> "tD" + unit(t.getUnit());
          case ArrowType.Interval t ->
              switch (t.getUnit()) {
                case YEAR_MONTH -> "tiM";
                case DAY_TIME -> "tiD";
                case MONTH_DAY_NANO -> "tin";
              };
          case ArrowType.Utf8 t -> "u";
          case ArrowType.Binary t -> "z";
          case ArrowType.LargeUtf8 t -> "U";
          case ArrowType.LargeBinary t -> "Z";
          case ArrowType.FixedSizeBinary t -> "w:" + t.getByteWidth();
          case ArrowType.Utf8View t -> "vu";
          case ArrowType.BinaryView t -> "vz";
          case ArrowType.List t -> "+l";
          case ArrowType.LargeList t -> "+L";
          case ArrowType.FixedSizeList t -> "+w:" + t.getListSize();
          case ArrowType.ListView t -> "+vl";
          case ArrowType.LargeListView t -> "+vL";
          case ArrowType.Struct t -> "+s";
          case ArrowType.Map t -> "+m";
          case ArrowType.Union t ->
              (t.getMode() == UnionMode.Sparse ? "+us:" : "+ud:") + joinIds(t.getTypeIds());
          case ArrowType.RunEndEncoded t -> "+r";
          default -> throw new UnsupportedFormat("type " + type + " has no C Data format");
        };
    return parse(
        f, type instanceof ArrowType.Map m && m.getKeysSorted() ? AbiV1.FLAG_MAP_KEYS_SORTED : 0);
  }

  private static String unit(TimeUnit unit) {
    return switch (unit) {
      case SECOND -> "s";
      case MILLISECOND -> "m";
      case MICROSECOND -> "u";
      case NANOSECOND -> "n";
    };
  }

  private static String joinIds(int[] ids) {
    if (ids == null) {
      return "";
    }
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < ids.length; i++) {
      if (i > 0) {
        b.append(',');
      }
      b.append(ids[i]);
    }
    return b.toString();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CDataFormat f
        && f.format.equals(format)
        && f.type.equals(type)
        && Arrays.equals(f.typeIds, typeIds);
  }

  @Override
  public int hashCode() {
    return format.hashCode();
  }
}

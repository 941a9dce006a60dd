package io.wasmflight.bench;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Lines of words for {@code split_words} and {@code word_count}: the generator, and whitespace
 * splitting as the guests do it (Rust's {@code str::split_whitespace}: Unicode White_Space), once
 * over Java strings (for the checks) and once over UTF-8 bytes in an Arrow buffer without copying
 * (for the native kernels).
 */
final class Words {
  private Words() {}

  static final Schema LINES = new Schema(List.of(Field.nullable("line", ArrowType.Utf8.INSTANCE)));

  /** Distinct words in the generated text. */
  static final int VOCABULARY_SIZE = 4096;

  /** 2-9 letters, mostly ASCII, a few with 2-byte letters; the same list every run. */
  static final List<String> VOCABULARY = vocabulary();

  private static List<String> vocabulary() {
    String letters = "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzéøå";
    SplittableRandom r = new SplittableRandom(7);
    LinkedHashSet<String> words = new LinkedHashSet<>();
    StringBuilder b = new StringBuilder();
    while (words.size() < VOCABULARY_SIZE) {
      b.setLength(0);
      for (int n = 2 + r.nextInt(8); n > 0; n--) {
        b.append(letters.charAt(r.nextInt(letters.length())));
      }
      words.add(b.toString());
    }
    return List.copyOf(words);
  }

  /**
   * One utf8 column {@code line}: ~5% nulls, otherwise 0-8 words of the vocabulary (mean 4)
   * separated by one space, sometimes two or a tab, sometimes with leading or trailing space.
   */
  static VectorSchemaRoot lines(BufferAllocator allocator, int rows, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    VectorSchemaRoot root = VectorSchemaRoot.create(LINES, allocator);
    VarCharVector lines = (VarCharVector) root.getVector(0);
    lines.allocateNew(30L * rows + 64, rows);
    StringBuilder b = new StringBuilder(96);
    for (int i = 0; i < rows; i++) {
      if (r.nextInt(20) == 0) {
        lines.setNull(i);
        continue;
      }
      b.setLength(0);
      if (r.nextInt(10) == 0) {
        b.append(' ');
      }
      for (int w = r.nextInt(9); w > 0; w--) {
        if (!b.isEmpty() && b.charAt(b.length() - 1) != ' ') {
          int sep = r.nextInt(10);
          b.append(sep == 0 ? "  " : sep == 1 ? "\t" : " ");
        }
        b.append(VOCABULARY.get(r.nextInt(VOCABULARY_SIZE)));
      }
      if (r.nextInt(10) == 0) {
        b.append(' ');
      }
      lines.setSafe(i, b.toString().getBytes(StandardCharsets.UTF_8));
    }
    lines.setValueCount(rows);
    root.setRowCount(rows);
    return root;
  }

  /** Unicode White_Space, which Rust's {@code char::is_whitespace} tests. */
  static boolean isWhitespace(int cp) {
    return cp == ' '
        || (cp >= 0x09 && cp <= 0x0d)
        || cp >= 0x85
            && (cp == 0x85
                || cp == 0xa0
                || cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200a)
                || cp == 0x2028
                || cp == 0x2029
                || cp == 0x202f
                || cp == 0x205f
                || cp == 0x3000);
  }

  /** The words of a line, as {@code str::split_whitespace} yields them. */
  static List<String> split(String line) {
    List<String> words = new ArrayList<>();
    int i = 0;
    while (i < line.length()) {
      int cp = line.codePointAt(i);
      if (isWhitespace(cp)) {
        i += Character.charCount(cp);
        continue;
      }
      int start = i;
      while (i < line.length() && !isWhitespace(cp = line.codePointAt(i))) {
        i += Character.charCount(cp);
      }
      words.add(line.substring(start, i));
    }
    return words;
  }

  /** Code point order, which is also the byte order of UTF-8 (word_count's output order). */
  static final Comparator<String> CODE_POINT_ORDER =
      (a, b) -> {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
          int ca = a.codePointAt(i);
          int cb = b.codePointAt(j);
          if (ca != cb) {
            return Integer.compare(ca, cb);
          }
          i += Character.charCount(ca);
          j += Character.charCount(cb);
        }
        return Boolean.compare(i < a.length(), j < b.length());
      };

  /** The words of UTF-8 bytes in an Arrow buffer, one after the other, without copying. */
  static final class Scanner {
    private ArrowBuf data;
    private long pos;
    private long end;
    private long wordStart;

    /** Starts on bytes {@code [from, to)} of {@code data}. */
    void reset(ArrowBuf data, long from, long to) {
      this.data = data;
      this.pos = from;
      this.end = to;
    }

    /** Moves to the next word; false when there is none. */
    boolean next() {
      int w;
      while (pos < end && (w = charAt(pos)) < 0) {
        pos -= w;
      }
      if (pos >= end) {
        return false;
      }
      wordStart = pos;
      while (pos < end && (w = charAt(pos)) > 0) {
        pos += w;
      }
      return true;
    }

    long start() {
      return wordStart;
    }

    int length() {
      return (int) (pos - wordStart);
    }

    /** The width in bytes of the character at {@code i}: negative for whitespace. */
    private int charAt(long i) {
      int b = data.getByte(i) & 0xff;
      if (b < 0x80) {
        return b == ' ' || (b >= 0x09 && b <= 0x0d) ? -1 : 1;
      }
      int width = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
      if (width == 1 || i + width > end) {
        return 1; // not UTF-8: Arrow's utf8 is valid, so only a truncated value gets here
      }
      int cp = b & (0x7f >> width);
      for (int k = 1; k < width; k++) {
        cp = cp << 6 | (data.getByte(i + k) & 0x3f);
      }
      return isWhitespace(cp) ? -width : width;
    }
  }
}

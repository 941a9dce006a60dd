package io.wasmflight.server.internal.codec;

import static io.wasmflight.server.internal.codec.OutputBounds.violation;

import io.wasmflight.server.internal.abi.CDataFormat;
import io.wasmflight.server.internal.abi.CDataFormat.Kind;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.ipc.message.ArrowFieldNode;
import org.apache.arrow.vector.types.pojo.Field;

/**
 * Copies a validated output tree out of guest memory into node-owned Arrow buffers (reused across
 * batches, grown when needed) and loads them into Arrow Java vectors. Normalizes what Arrow Java
 * cannot hold: bitmaps shifted to bit 0, offsets and run ends rebased, children sliced to the range
 * their parent uses. One copy per buffer wherever the layout allows it.
 */
final class OutputCopy {
  private final BufferAllocator allocator;

  OutputCopy(BufferAllocator allocator) {
    this.allocator = allocator;
  }

  /** A vector for a field, or a clear error where Arrow Java cannot build one. */
  FieldVector create(Field field, String path) {
    try {
      return field.createVector(allocator);
    } catch (RuntimeException e) {
      throw violation(
          path + " has type " + field + ", which Arrow Java cannot hold (" + e.getMessage() + ")");
    }
  }

  /**
   * Copies a validated node (and its subtree) into its owned buffers; with {@code dictionaries}
   * (the first batch) the dictionaries below it too.
   */
  void copy(byte[] mem, OutputNode node, boolean dictionaries) {
    CDataFormat f = node.format;
    int n = (int) node.length;
    long p = node.start;
    for (int b = 0; b < node.bufs.length; b++) {
      int src = node.ptr[b];
      switch (node.bufs[b]) {
        case VALIDITY -> {
          ArrowBuf to = own(node, b, (n + 7) >>> 3);
          if (node.nulls == 0) {
            setOnes(to, n);
          } else {
            copyBits(mem, src, p, n, to);
          }
        }
        case BITS -> copyBits(mem, src, p, n, own(node, b, (n + 7) >>> 3));
        case VALUES, VIEWS, VIEW_OFFSETS, VIEW_SIZES -> {
          long w = f.kind() == Kind.VIEW ? CDataFormat.VIEW_SIZE : f.width();
          own(node, b, n * w).setBytes(0, mem, src + (int) (p * w), n * w);
        }
        case TYPE_IDS -> own(node, b, n).setBytes(0, mem, src + (int) p, n);
        case UNION_OFFSETS -> own(node, b, 4L * n).setBytes(0, mem, src + (int) (p * 4), 4L * n);
        case OFFSETS -> copyOffsets(mem, node, src, own(node, b, (n + 1L) * f.width()));
        case DATA ->
            own(node, b, node.last - node.first)
                .setBytes(0, mem, src + (int) node.first, node.last - node.first);
      }
    }
    if (f.kind() == Kind.VIEW) {
      if (node.ownedVariadic == null) {
        node.ownedVariadic = new ArrayList<>();
      }
      for (int i = 0; i < node.nVariadic; i++) {
        if (node.ownedVariadic.size() <= i) {
          node.ownedVariadic.add(null);
        }
        long size = node.variadicSize[i];
        ArrowBuf to = node.ownedVariadic.get(i);
        if (to == null || to.capacity() < size) {
          if (to != null) {
            to.close();
          }
          to = allocator.buffer(Math.max(size, 8));
          node.ownedVariadic.set(i, to);
        }
        to.setBytes(0, mem, node.variadicPtr[i], size);
      }
    }
    for (OutputNode c : node.children) {
      copy(mem, c, dictionaries);
    }
    if (f.kind() == Kind.RUN_END) {
      rebaseRunEnds(node);
    }
    if (node.dictionary != null && dictionaries) {
      copy(mem, node.dictionary, dictionaries);
    }
  }

  /** Run ends relative to the first slot taken, the last one clamped to the length. */
  private static void rebaseRunEnds(OutputNode node) {
    OutputNode runEnds = node.children[0];
    ArrowBuf buf = runEnds.owned[1];
    int w = runEnds.format.width();
    long n = node.length;
    for (long k = 0; k < runEnds.length; k++) {
      long at = k * w;
      long e =
          switch (w) {
            case 2 -> buf.getShort(at);
            case 4 -> buf.getInt(at);
            default -> buf.getLong(at);
          };
      e = Math.min(e - node.runBase, n);
      switch (w) {
        case 2 -> buf.setShort(at, (short) e);
        case 4 -> buf.setInt(at, (int) e);
        default -> buf.setLong(at, e);
      }
    }
  }

  private static void copyOffsets(byte[] mem, OutputNode node, int src, ArrowBuf to) {
    int w = node.format.width();
    int n = (int) node.length;
    int from = src + (int) (node.start * w);
    to.setBytes(0, mem, from, (n + 1L) * w);
    if (node.first != 0) {
      if (w == 4) {
        int first = (int) node.first;
        for (int r = 0; r <= n; r++) {
          to.setInt(4L * r, to.getInt(4L * r) - first);
        }
      } else {
        for (int r = 0; r <= n; r++) {
          to.setLong(8L * r, to.getLong(8L * r) - node.first);
        }
      }
    }
  }

  /** A reader-owned buffer of at least {@code bytes}, its writer index set to exactly that. */
  private ArrowBuf own(OutputNode node, int b, long bytes) {
    ArrowBuf buf = node.owned[b];
    if (buf == null || buf.capacity() < bytes) {
      long cap = Math.max(bytes, 8);
      if (buf != null) {
        cap = Math.max(cap, buf.capacity() + (buf.capacity() >>> 1));
        buf.close();
        node.owned[b] = null;
      }
      buf = allocator.buffer(cap);
      node.owned[b] = buf;
    }
    return buf;
  }

  /** Byte size of buffer {@code b} of a copied node (what the vector gets). */
  private static long size(OutputNode node, int b) {
    long n = node.length;
    CDataFormat f = node.format;
    return switch (node.bufs[b]) {
      case VALIDITY, BITS -> (n + 7) >>> 3;
      case VALUES, VIEW_OFFSETS, VIEW_SIZES -> n * f.width();
      case VIEWS -> n * CDataFormat.VIEW_SIZE;
      case TYPE_IDS -> n;
      case UNION_OFFSETS -> 4 * n;
      case OFFSETS -> (n + 1) * f.width();
      case DATA -> node.last - node.first;
    };
  }

  /** Hands a node's copied buffers to its vector (and its children's to theirs). */
  void load(OutputNode node, FieldVector vector) {
    node.vector = vector;
    List<ArrowBuf> bufs = new ArrayList<>(node.bufs.length + node.nVariadic);
    for (int b = 0; b < node.bufs.length; b++) {
      bufs.add(slice(node.owned[b], size(node, b)));
    }
    if (node.format.kind() == Kind.VIEW) {
      for (int i = 0; i < node.nVariadic; i++) {
        bufs.add(slice(node.ownedVariadic.get(i), node.variadicSize[i]));
      }
    }
    vector.loadFieldBuffers(new ArrowFieldNode((int) node.length, (int) node.nulls), bufs);
    if (node.children.length > 0) {
      List<FieldVector> children = vector.getChildrenFromFields();
      for (int i = 0; i < node.children.length; i++) {
        load(node.children[i], children.get(i));
      }
    }
  }

  private ArrowBuf slice(ArrowBuf owned, long bytes) {
    if (owned == null || bytes == 0) {
      return allocator.getEmpty();
    }
    ArrowBuf s = owned.slice(0, bytes);
    s.readerIndex(0);
    s.writerIndex(bytes);
    return s;
  }

  /** Bits [0, n) set, the rest of the last byte clear. */
  private static void setOnes(ArrowBuf to, int n) {
    int bytes = (n + 7) >>> 3;
    if (bytes == 0) {
      return;
    }
    to.setOne(0L, (long) bytes);
    int tail = n & 7;
    if (tail != 0) {
      to.setByte(bytes - 1, (1 << tail) - 1);
    }
  }

  /** Copies bits [start, start + rows) to bit 0 of {@code to}, clearing the bits past rows. */
  private static void copyBits(byte[] mem, int src, long start, int rows, ArrowBuf to) {
    int bytes = (rows + 7) >>> 3;
    if (bytes == 0) {
      return;
    }
    int shift = (int) (start & 7);
    int first = src + (int) (start >>> 3);
    int srcEnd = src + (int) ((start + rows + 7) >>> 3); // exclusive, validated
    if (shift == 0) {
      to.setBytes(0, mem, first, bytes);
    } else {
      for (int j = 0; j < bytes; j++) {
        int lo = mem[first + j] & 0xFF;
        int hi = first + j + 1 < srcEnd ? mem[first + j + 1] & 0xFF : 0;
        to.setByte(j, (lo >>> shift) | (hi << (8 - shift)));
      }
    }
    int tail = rows & 7;
    if (tail != 0) {
      to.setByte(bytes - 1, to.getByte(bytes - 1) & ((1 << tail) - 1));
    }
  }
}

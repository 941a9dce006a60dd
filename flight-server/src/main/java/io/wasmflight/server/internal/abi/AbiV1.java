package io.wasmflight.server.internal.abi;

/**
 * Constants and wasm32 struct offsets of guest ABI 1.2 (1.0; 1.1: every Arrow type, metadata and
 * dictionaries; 1.2: the filter, table and aggregate kinds). The normative text is {@code
 * proto-docs/abi-v1.md} and {@code proto-docs/types.md}; this class and the Rust SDK's {@code
 * ffi.rs} must agree with them. Guests reporting 1.0, 1.1 or 1.2 are accepted.
 */
public final class AbiV1 {
  private AbiV1() {}

  public static final int MAJOR = 1;
  public static final int MINOR = 2;

  // Exports.
  public static final String MEMORY = "memory";
  public static final String ABI_VERSION = "wf_abi_version";
  public static final String ALLOC = "wf_alloc";
  public static final String FREE = "wf_free";
  public static final String CATALOG = "wf_catalog";
  public static final String LAST_ERROR = "wf_last_error";
  public static final String RELEASE = "wf_release";

  // Status codes.
  public static final int WF_OK = 0;
  public static final int WF_ERR_INVALID_INPUT = 1;
  public static final int WF_ERR_EXECUTION = 2;
  public static final int WF_ERR_OUT_OF_MEMORY = 3;

  /** (1.2) Success, and more output follows: call the same entry point again. */
  public static final int WF_MORE = 0x100;

  /** Most bytes of a guest error message the host reads. */
  public static final int MAX_ERROR_MESSAGE_BYTES = 4096;

  /** Most bytes of a catalog the host reads. */
  public static final int MAX_CATALOG_BYTES = 1 << 20;

  /** Most children a struct may declare. */
  public static final int MAX_CHILDREN = 65536;

  /** Deepest nesting of arrays (children and dictionaries) the host reads or writes. */
  public static final int MAX_DEPTH = 64;

  /** Most ArrowSchema nodes (all levels, dictionaries included) of one output schema. */
  public static final int MAX_NODES = 1 << 18;

  /** Alignment of every buffer the host writes into guest memory. */
  public static final int BUFFER_ALIGN = 8;

  /** ArrowSchema on wasm32: 48 bytes, alignment 8. */
  public static final class Schema {
    private Schema() {}

    public static final int SIZE = 48;
    public static final int ALIGN = 8;
    public static final int FORMAT = 0;
    public static final int NAME = 4;
    public static final int METADATA = 8;
    public static final int FLAGS = 16;
    public static final int N_CHILDREN = 24;
    public static final int CHILDREN = 32;
    public static final int DICTIONARY = 36;
    public static final int RELEASE = 40;
    public static final int PRIVATE_DATA = 44;
  }

  /** ArrowArray on wasm32: 64 bytes, alignment 8. */
  public static final class Array {
    private Array() {}

    public static final int SIZE = 64;
    public static final int ALIGN = 8;
    public static final int LENGTH = 0;
    public static final int NULL_COUNT = 8;
    public static final int OFFSET = 16;
    public static final int N_BUFFERS = 24;
    public static final int N_CHILDREN = 32;
    public static final int BUFFERS = 40;
    public static final int CHILDREN = 44;
    public static final int DICTIONARY = 48;
    public static final int RELEASE = 52;
    public static final int PRIVATE_DATA = 56;
  }

  /** ArrowSchema.flags bits. */
  public static final long FLAG_DICTIONARY_ORDERED = 1;

  public static final long FLAG_NULLABLE = 2;
  public static final long FLAG_MAP_KEYS_SORTED = 4;

  /** Packs a version as the guest reports it. */
  public static int version(int major, int minor) {
    return (major << 16) | minor;
  }
}

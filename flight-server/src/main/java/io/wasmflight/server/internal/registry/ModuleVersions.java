package io.wasmflight.server.internal.registry;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Collections;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * The versions of one module name, side by side, and which one is the default. Immutable: the
 * registry replaces the whole value on every change, so a lookup never sees a half-made change.
 *
 * @param nextVersion the number the next register without a version gets (never reused while the
 *     name has versions)
 */
public record ModuleVersions(
    String name,
    NavigableMap<Integer, RegisteredModule> versions,
    int defaultVersion,
    int nextVersion) {

  public ModuleVersions {
    versions = Collections.unmodifiableNavigableMap(new TreeMap<>(versions));
  }

  /** The default version's module. */
  public RegisteredModule defaultModule() {
    return versions.get(defaultVersion);
  }

  /** The version called {@code v}, or null. */
  public RegisteredModule version(int v) {
    return versions.get(v);
  }

  /** The version with these bytes, or null. */
  RegisteredModule withSha256(String sha256) {
    for (RegisteredModule m : versions.values()) {
      if (m.sha256().equals(sha256)) {
        return m;
      }
    }
    return null;
  }

  ModuleVersions with(RegisteredModule m, boolean makeDefault) {
    TreeMap<Integer, RegisteredModule> all = new TreeMap<>(versions);
    all.put(m.version(), m);
    return new ModuleVersions(
        name,
        all,
        makeDefault ? m.version() : defaultVersion,
        Math.max(nextVersion, m.version() + 1));
  }

  /** Without version {@code v}; a removed default falls back to the highest remaining version. */
  ModuleVersions without(int v) {
    TreeMap<Integer, RegisteredModule> all = new TreeMap<>(versions);
    all.remove(v);
    int d = defaultVersion == v && !all.isEmpty() ? all.lastKey() : defaultVersion;
    return new ModuleVersions(name, all, d, nextVersion);
  }

  ModuleVersions withDefault(int v) {
    return new ModuleVersions(name, versions, v, nextVersion);
  }

  ModuleStore.Pointer pointer() {
    return new ModuleStore.Pointer(defaultVersion, nextVersion);
  }

  /**
   * The description of {@code shown} (a version of this module) plus {@code default_version} and
   * every version's summary, as list and describe return it.
   */
  public ObjectNode toJson(RegisteredModule shown) {
    ObjectNode o = shown.toJson();
    o.put("default_version", defaultVersion);
    ArrayNode vs = o.putArray("versions");
    for (RegisteredModule m : versions.values()) {
      ObjectNode v = vs.addObject();
      v.put("version", m.version());
      v.put("default", m.version() == defaultVersion);
      v.put("sha256", m.sha256());
      v.put("size_bytes", m.meta().sizeBytes());
      v.put("registered_at", m.meta().registeredAt().toString());
      v.put("registered_by", m.meta().registeredBy());
    }
    return o;
  }

  /** The description of the default version (see {@link #toJson(RegisteredModule)}). */
  public ObjectNode toJson() {
    return toJson(defaultModule());
  }
}

package io.wasmflight.server.internal.security;

/**
 * A role, for every module or only for modules whose names start with {@code prefix} (the users
 * file's {@code role@prefix}, e.g. {@code admin@team-a-}).
 *
 * @param prefix the module-name prefix, or the empty string for every module
 */
public record Grant(Role role, String prefix) {
  /** Whether this grant allows {@code needed} on {@code module} (null: not about one module). */
  public boolean allows(Role needed, String module) {
    if (!role.implies(needed)) {
      return false;
    }
    return prefix.isEmpty() || (module != null && module.startsWith(prefix));
  }

  @Override
  public String toString() {
    return prefix.isEmpty() ? role.wireName() : role.wireName() + "@" + prefix;
  }

  static Grant parse(String s) {
    int at = s.indexOf('@');
    if (at < 0) {
      return new Grant(Role.parse(s), "");
    }
    String prefix = s.substring(at + 1);
    if (!prefix.matches("[A-Za-z0-9_-]{1,64}")) {
      throw new IllegalArgumentException(
          "module prefix '" + prefix + "' must be 1-64 characters from A-Z a-z 0-9 _ -");
    }
    return new Grant(Role.parse(s.substring(0, at)), prefix);
  }
}

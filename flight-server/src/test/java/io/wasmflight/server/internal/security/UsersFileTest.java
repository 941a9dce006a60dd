package io.wasmflight.server.internal.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The users file: its format, its refusals with the line at fault, reload on change. */
class UsersFileTest {
  @TempDir Path dir;

  Path write(String content) throws Exception {
    Path tmp = dir.resolve("users.tmp");
    Files.writeString(tmp, content);
    return Files.move(
        tmp,
        dir.resolve("users"),
        StandardCopyOption.REPLACE_EXISTING,
        StandardCopyOption.ATOMIC_MOVE);
  }

  @Test
  void passwordsAndTokensResolveToTheirPrincipals() throws Exception {
    String pw = SecretHash.hashPassword("pw".toCharArray(), 1000);
    UsersFile f =
        UsersFile.load(
            write(
                "# comment\n\nuser alice admin "
                    + pw
                    + "\ntoken ci caller,admin@team- "
                    + SecretHash.hashToken("tok")
                    + "\n"));
    assertEquals(2, f.size());
    assertEquals("alice", f.login("alice", "pw").name());
    assertNull(f.login("alice", "wrong"));
    assertNull(f.login("ci", "tok"), "a token is no password");
    Principal ci = f.byToken("tok");
    assertEquals("ci", ci.name());
    assertEquals("caller,admin@team-", ci.grantsText());
    assertTrue(ci.may(Role.CALLER, "anything"));
    assertTrue(ci.may(Role.ADMIN, "team-x"));
    assertFalse(ci.may(Role.ADMIN, "other"));
    assertNull(f.byToken("pw"));
  }

  @Test
  void malformedLinesAreRefusedWithTheirLineNumber() throws Exception {
    String tok = SecretHash.hashToken("t");
    for (var c :
        List.of(
            List.of("token a caller", "expected 'user NAME GRANTS"),
            List.of("token a root " + tok, "unknown role 'root'"),
            List.of("token a caller@ " + tok, "module prefix ''"),
            List.of("token a caller sha256$xyz", "64 lowercase hex digits"),
            List.of("user a caller " + tok, "a user's secret is pbkdf2-sha256"),
            List.of("token a caller plain", "unknown secret format 'plain'"),
            List.of(
                "token a caller " + tok + "\ntoken a admin " + tok, "line 3: 'a' appears twice"),
            List.of("token a/b caller " + tok, "name 'a/b'"))) {
      Path p = write("# header\n" + c.get(0) + "\n");
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> UsersFile.load(p), c.get(0));
      assertTrue(e.getMessage().contains(c.get(1)), e.getMessage());
      assertTrue(e.getMessage().contains(" line "), e.getMessage());
    }
  }

  @Test
  void changesApplyAtTheNextLookupAndABrokenEditKeepsThePreviousContent() throws Exception {
    UsersFile f = UsersFile.load(write("token a caller " + SecretHash.hashToken("one") + "\n"));
    assertEquals("a", f.byToken("one").name());
    write("token b admin " + SecretHash.hashToken("two") + "\n");
    assertNull(f.byToken("one"));
    assertEquals("b", f.byToken("two").name());
    assertNull(f.byName("a"));
    write("garbage\n");
    assertEquals("b", f.byToken("two").name());
  }

  @Test
  void secretHashesVerifyAndAreSalted() {
    String a = SecretHash.hashPassword("x".toCharArray(), 1000);
    String b = SecretHash.hashPassword("x".toCharArray(), 1000);
    assertFalse(a.equals(b), "no salt");
    assertTrue(SecretHash.matches("x", a));
    assertFalse(SecretHash.matches("y", a));
    assertTrue(SecretHash.matches("t", SecretHash.hashToken("t")));
    assertFalse(SecretHash.matches("t", "sha256$zz"));
    assertTrue(SecretHash.hashPassword("x".toCharArray()).startsWith("pbkdf2-sha256$310000$"));
    assertEquals(43, SecretHash.newToken().length());
  }
}

package cn.libmatch;

import com.sun.jna.Pointer;

import java.nio.charset.StandardCharsets;

/**
 * UTF-8 at the boundary.  Java strings are UTF-16 and may hold what UTF-8
 * cannot express (an unpaired surrogate); {@link String#getBytes} would turn
 * that into '?' silently, so the binding encodes itself and reports it as
 * {@link InvalidUtf8Exception}, the library's own status for text that is
 * not valid UTF-8.
 */
final class Text {
    private Text() {}

    /** Bytes of the UTF-8 encoding of s; `what` names it in errors. */
    static byte[] utf8(String s, String what) {
        return encode(s, what, false);
    }

    /**
     * A NUL-terminated UTF-8 string for a C {@code const char *}.  A NUL
     * character inside would silently cut the string short on the C side,
     * so it is refused (LM_EINVAL_UTF8: "text is not valid UTF-8 (or holds NUL)").
     */
    static byte[] cstr(String s, String what) {
        if (s == null) return null;
        return encode(s, what, true);
    }

    private static byte[] encode(String s, String what, boolean terminate) {
        int n = s.length(), len = 0;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                if (c == 0 && terminate)
                    throw new InvalidUtf8Exception(what + " " + quote(s) + " holds a NUL character (at index " + i + ")");
                len += 1;
            } else if (c < 0x800) {
                len += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                len += 4;
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new InvalidUtf8Exception(String.format(
                    "%s is not valid Unicode: unpaired surrogate U+%04X at index %d (it has no UTF-8 encoding)",
                    what, (int) c, i));
            } else {
                len += 3;
            }
        }
        byte[] b = new byte[len + (terminate ? 1 : 0)];
        int o = 0;
        for (int i = 0; i < n; i++) {
            int c = s.charAt(i);
            if (c < 0x80) {
                b[o++] = (byte) c;
            } else if (c < 0x800) {
                b[o++] = (byte) (0xC0 | c >> 6);
                b[o++] = (byte) (0x80 | c & 0x3F);
            } else if (Character.isHighSurrogate((char) c)) {
                int cp = Character.toCodePoint((char) c, s.charAt(++i));
                b[o++] = (byte) (0xF0 | cp >> 18);
                b[o++] = (byte) (0x80 | cp >> 12 & 0x3F);
                b[o++] = (byte) (0x80 | cp >> 6 & 0x3F);
                b[o++] = (byte) (0x80 | cp & 0x3F);
            } else {
                b[o++] = (byte) (0xE0 | c >> 12);
                b[o++] = (byte) (0x80 | c >> 6 & 0x3F);
                b[o++] = (byte) (0x80 | c & 0x3F);
            }
        }
        return b;
    }

    /**
     * For a string and its UTF-8 encoding: the char index where each byte
     * offset 0..len starts (offsets inside a character map to its start).
     */
    static int[] charIndexOfByte(String s, int byteLength) {
        int[] map = new int[byteLength + 1];
        int o = 0;
        for (int i = 0; i < s.length() && o < byteLength; i++) {
            char c = s.charAt(i);
            int w;
            if (c < 0x80) w = 1;
            else if (c < 0x800) w = 2;
            else if (Character.isHighSurrogate(c)) w = 4;
            else w = 3;
            for (int k = 0; k < w && o + k < byteLength; k++) map[o + k] = i;
            o += w;
            if (w == 4) i++;
        }
        map[byteLength] = s.length();
        return map;
    }

    /** A borrowed C string as a Java string (null for NULL). */
    static String str(Pointer p) {
        return p == null ? null : p.getString(0, "UTF-8");
    }

    static String decode(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    /** s in single quotes for messages, cut at 64 chars, control characters escaped. */
    static String quote(String s) {
        StringBuilder sb = new StringBuilder("'");
        for (int i = 0; i < s.length() && i < 64; i++) {
            char c = s.charAt(i);
            if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
            else sb.append(c);
        }
        if (s.length() > 64) sb.append("...");
        return sb.append('\'').toString();
    }
}

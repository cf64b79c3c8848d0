package org.stapfarm.service;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Option words written in a configuration value (`a_OPT="-v -o '/var/log/a b.out'"`), with the quoting the shell
 * gives them and nothing else: blanks separate words, `'...'` and `"..."` group characters literally, and quoted
 * and unquoted pieces next to each other make one word. No backslashes, no `$`, no globbing: the value is data
 * (spec §5.6 item 48, "proper quoting"; upstream split on blanks and ignored quotes).
 */
final class Words {

    /** Words that read back unchanged without quotes. */
    private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_./=:,+@%^-]+");

    private Words() {
    }

    /** The words of {@code text}; an unbalanced quote is an {@link IllegalArgumentException} naming it. */
    static List<String> split(String text) {
        List<String> words = new ArrayList<>();
        StringBuilder word = null;
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == ' ' || c == '\t') {
                if (word != null) {
                    words.add(word.toString());
                    word = null;
                }
                i++;
            } else if (c == '\'' || c == '"') {
                int close = text.indexOf(c, i + 1);
                if (close < 0) {
                    throw new IllegalArgumentException("unbalanced " + c + " in '" + text + "'");
                }
                word = word == null ? new StringBuilder() : word;
                word.append(text, i + 1, close);
                i = close + 1;
            } else {
                word = word == null ? new StringBuilder() : word;
                word.append(c);
                i++;
            }
        }
        if (word != null) {
            words.add(word.toString());
        }
        return List.copyOf(words);
    }

    /** One line that {@link #split} reads back as {@code words}. */
    static String join(List<String> words) {
        List<String> quoted = new ArrayList<>(words.size());
        for (String word : words) {
            quoted.add(PLAIN.matcher(word).matches() ? word : "'" + word.replace("'", "'\"'\"'") + "'");
        }
        return String.join(" ", quoted);
    }
}

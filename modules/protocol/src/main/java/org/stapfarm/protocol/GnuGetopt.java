package org.stapfarm.protocol;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * glibc's getopt_long in its default (permuting) mode, reduced to what it reports: which options were
 * seen, with which arguments, which words are operands, and what it would complain about. The server
 * must read a client's command line exactly as the translator will read it.
 */
final class GnuGetopt {

    enum Argument { NONE, REQUIRED, OPTIONAL }

    /** A long option; {@code id} names what it does, so that aliases such as `--colour` share one id. */
    record LongOption(String name, Argument argument, String id) {
        LongOption(String name, Argument argument) {
            this(name, argument, name);
        }
    }

    /** A recognised option: a short option by its letter, a long option by its id; value null if none. */
    record Option(String name, String value) {
    }

    record Result(List<Option> options, List<String> operands, List<String> errors) {
    }

    private final String shortOptions;
    private final List<LongOption> longOptions;

    /**
     * @param shortOptions a getopt option string: letters, each followed by `:` when it takes an argument
     */
    GnuGetopt(String shortOptions, List<LongOption> longOptions) {
        this.shortOptions = shortOptions;
        this.longOptions = List.copyOf(longOptions);
    }

    Result parse(List<String> argv) {
        return new Scan(argv).run();
    }

    /** The state of one pass over a command line. */
    private final class Scan {
        private final List<String> argv;
        private final List<Option> options = new ArrayList<>();
        private final List<String> operands = new ArrayList<>();
        private final List<String> errors = new ArrayList<>();
        private int next;

        Scan(List<String> argv) {
            this.argv = argv;
        }

        Result run() {
            while (next < argv.size()) {
                String word = argv.get(next++);
                if (word.equals("--")) {
                    operands.addAll(argv.subList(next, argv.size()));
                    break;
                } else if (word.startsWith("--")) {
                    longOption(word);
                } else if (word.startsWith("-") && word.length() > 1) {
                    shortOptions(word);
                } else {
                    // Permutation: an operand does not end option processing.
                    operands.add(word);
                }
            }
            return new Result(List.copyOf(options), List.copyOf(operands), List.copyOf(errors));
        }

        private void longOption(String word) {
            int equals = word.indexOf('=');
            String name = word.substring(2, equals < 0 ? word.length() : equals);
            Optional<LongOption> match = lookUp(name, word);
            if (match.isEmpty()) {
                return;
            }
            LongOption option = match.get();
            String value = equals < 0 ? null : word.substring(equals + 1);
            switch (option.argument()) {
                case NONE -> {
                    if (value != null) {
                        errors.add("option '--" + option.name() + "' doesn't allow an argument");
                        return;
                    }
                }
                case REQUIRED -> {
                    if (value == null) {
                        if (next == argv.size()) {
                            errors.add("option '--" + option.name() + "' requires an argument");
                            return;
                        }
                        // Taken whatever it looks like, even `--`.
                        value = argv.get(next++);
                    }
                }
                case OPTIONAL -> {
                    // Only the attached form: a following word is never an optional argument.
                }
            }
            options.add(new Option(option.id(), value));
        }

        /**
         * An exact name wins; otherwise a prefix must select one option, or several that do the same thing
         * (glibc treats `--col` as unambiguous because `--color` and `--colour` are equivalent).
         */
        private Optional<LongOption> lookUp(String name, String word) {
            List<LongOption> candidates = new ArrayList<>();
            for (LongOption option : longOptions) {
                if (option.name().equals(name)) {
                    return Optional.of(option);
                }
                if (option.name().startsWith(name)) {
                    candidates.add(option);
                }
            }
            if (candidates.isEmpty()) {
                errors.add("unrecognized option '" + word + "'");
                return Optional.empty();
            }
            LongOption first = candidates.get(0);
            if (candidates.stream().anyMatch(c -> c.argument() != first.argument() || !c.id().equals(first.id()))) {
                errors.add("option '" + word + "' is ambiguous");
                return Optional.empty();
            }
            return Optional.of(first);
        }

        private void shortOptions(String word) {
            for (int i = 1; i < word.length(); i++) {
                char letter = word.charAt(i);
                int at = letter == ':' ? -1 : shortOptions.indexOf(letter);
                if (at < 0) {
                    errors.add("invalid option -- '" + letter + "'");
                    continue;
                }
                if (!takesArgument(at)) {
                    options.add(new Option(String.valueOf(letter), null));
                    continue;
                }
                // The rest of the word is the argument (`-p4`); failing that, the next word, whatever it is.
                if (i + 1 < word.length()) {
                    options.add(new Option(String.valueOf(letter), word.substring(i + 1)));
                } else if (next < argv.size()) {
                    options.add(new Option(String.valueOf(letter), argv.get(next++)));
                } else {
                    errors.add("option requires an argument -- '" + letter + "'");
                }
                return;
            }
        }

        private boolean takesArgument(int at) {
            return at + 1 < shortOptions.length() && shortOptions.charAt(at + 1) == ':';
        }
    }
}

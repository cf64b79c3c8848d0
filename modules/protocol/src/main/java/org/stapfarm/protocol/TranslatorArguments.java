package org.stapfarm.protocol;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A client's translator arguments (`argv1..N`) read the way the SystemTap 4.8 translator reads them, so that
 * the server knows which words are paths it will open and what the client asked for.
 *
 * @param script              the script file operand; empty with `-e` (the script is inline), with a listing
 *                            option (`-l`, `-L`, `--dump-*`), or without operands
 * @param scriptArguments     the operands passed to the script (`$1`, `@1`, ...)
 * @param includeDirectories  every `-I` value, in order
 * @param runtimeDirectories  every `-R` value, in order
 * @param signModule          whether `--sign-module` appears under any spelling getopt accepts
 * @param privilege           the first `--privilege=...` or `--unprivileged`, as the reference server
 *                            detects it; {@link Privilege#STAPDEV} when absent or invalid (the translator
 *                            then refuses the command line anyway)
 * @param lastPass            the last `-p` value, when it is a pass the translator accepts (1 to 5)
 * @param problems            what getopt would report (unknown, ambiguous or malformed options); the
 *                            translator refuses a command line with any of them
 */
public record TranslatorArguments(
        Optional<String> script,
        List<String> scriptArguments,
        List<String> includeDirectories,
        List<String> runtimeDirectories,
        boolean signModule,
        Privilege privilege,
        OptionalInt lastPass,
        List<String> problems) {

    /** What C's isspace() skips. */
    private static final String C_SPACE = " \t\n\u000B\f\r";

    public TranslatorArguments {
        scriptArguments = List.copyOf(scriptArguments);
        includeDirectories = List.copyOf(includeDirectories);
        runtimeDirectories = List.copyOf(runtimeDirectories);
        problems = List.copyOf(problems);
    }

    public static TranslatorArguments parse(List<String> arguments) {
        GnuGetopt.Result parsed = StapOptions.PARSER.parse(arguments);
        boolean inlineScript = false;
        boolean listing = false;
        boolean signModule = false;
        Privilege privilege = null;
        OptionalInt lastPass = OptionalInt.empty();
        List<String> includes = new ArrayList<>();
        List<String> runtimes = new ArrayList<>();
        for (GnuGetopt.Option option : parsed.options()) {
            switch (option.name()) {
                case "e" -> inlineScript = true;
                case "I" -> includes.add(option.value());
                case "R" -> runtimes.add(option.value());
                case "p" -> lastPass = passNumber(option.value());
                case "sign-module" -> signModule = true;
                case "l", "L", "dump-probe-types", "dump-probe-aliases", "dump-functions" -> listing = true;
                // Only the first privilege option counts, as in the reference server's scan (stap-serverd.cxx).
                case "privilege" -> {
                    if (privilege == null) {
                        privilege = privilege(option.value());
                    }
                }
                case "unprivileged" -> {
                    if (privilege == null) {
                        privilege = Privilege.STAPUSR;
                    }
                }
                default -> {
                    // Everything else is left to the translator.
                }
            }
        }
        // After option processing the translator takes the first operand as the script file, unless -e gave
        // the script or a listing needs none; every other operand goes to the script.
        List<String> operands = parsed.operands();
        boolean scriptOperand = !inlineScript && !listing && !operands.isEmpty();
        return new TranslatorArguments(
                scriptOperand ? Optional.of(operands.get(0)) : Optional.empty(),
                scriptOperand ? operands.subList(1, operands.size()) : operands,
                includes, runtimes, signModule,
                privilege != null ? privilege : Privilege.STAPDEV,
                lastPass, parsed.errors());
    }

    private static Privilege privilege(String value) {
        return switch (value) {
            case "stapusr" -> Privilege.STAPUSR;
            case "stapsys" -> Privilege.STAPSYS;
            default -> Privilege.STAPDEV;
        };
    }

    /**
     * The translator's reading of `-p`: `(int) strtoul(value, &end, 10)`, valid when nothing follows the
     * number and the result is 1 to 5. strtoul skips leading white space, takes a sign, saturates on
     * overflow, and the cast keeps the low 32 bits; all of that is reproduced so that `-p` means here what
     * it means to the translator.
     */
    private static OptionalInt passNumber(String value) {
        int start = 0;
        while (start < value.length() && C_SPACE.indexOf(value.charAt(start)) >= 0) {
            start++;
        }
        String number = value.substring(start);
        boolean negative = number.startsWith("-");
        if (negative || number.startsWith("+")) {
            number = number.substring(1);
        }
        if (number.isEmpty() || !number.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return OptionalInt.empty();
        }
        long parsed;
        try {
            parsed = Long.parseUnsignedLong(number);
        } catch (NumberFormatException overflow) {
            parsed = -1L; // ULONG_MAX
        }
        int pass = (int) (negative ? -parsed : parsed);
        return pass >= 1 && pass <= 5 ? OptionalInt.of(pass) : OptionalInt.empty();
    }
}

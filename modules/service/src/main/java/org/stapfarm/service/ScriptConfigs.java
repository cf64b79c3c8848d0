package org.stapfarm.service;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.stapfarm.config.ConfigFile;
import org.stapfarm.config.ConfigFile.Assignment;
import org.stapfarm.config.ConfigFile.ConfigFileException;

/**
 * The per-script parameters of `CONFIG_PATH/*.conf` (spec §3.3): `<name>_OPT`, the script's stap options, and
 * `<name>_REQ`, the scripts it requires. Files are read in name order as data ({@link ConfigFile}); `=` replaces
 * what earlier lines and files said, `+=` adds words. A file that cannot be read, a malformed line, a name other
 * than `<script name>_OPT` or `_REQ`, an invalid script name in `_REQ` and unusable options all fail the whole
 * configuration, naming the file and line where there is one.
 */
final class ScriptConfigs {

    private static final Pattern VARIABLE = Pattern.compile("(" + ScriptName.RULE + ")_(OPT|REQ)");

    private final Map<String, ScriptOptions> options;
    private final Map<String, List<String>> requirements;

    private ScriptConfigs(Map<String, ScriptOptions> options, Map<String, List<String>> requirements) {
        this.options = Map.copyOf(options);
        this.requirements = Map.copyOf(requirements);
    }

    static ScriptConfigs read(Path directory) throws ConfigFileException {
        Map<String, List<String>> optionWords = new LinkedHashMap<>();
        Map<String, List<String>> requirements = new HashMap<>();
        for (Path file : files(directory)) {
            ConfigFile config = ConfigFile.parse(file);
            for (Assignment assignment : config.assignments()) {
                Matcher variable = VARIABLE.matcher(assignment.name());
                if (!variable.matches()) {
                    throw config.invalid(assignment, "unknown variable " + assignment.name()
                            + " (a script's file sets <name>_OPT and <name>_REQ only)");
                }
                List<String> words;
                try {
                    words = Words.split(assignment.value());
                } catch (IllegalArgumentException e) {
                    throw config.invalid(assignment, assignment.name() + ": " + e.getMessage());
                }
                boolean isOptions = variable.group(2).equals("OPT");
                if (!isOptions) {
                    for (String name : words) {
                        if (!ScriptName.isValid(name)) {
                            throw config.invalid(assignment, assignment.name() + ": " + ScriptName.invalid(name));
                        }
                    }
                }
                Map<String, List<String>> target = isOptions ? optionWords : requirements;
                List<String> value = assignment.append()
                        ? new ArrayList<>(target.getOrDefault(variable.group(1), List.of())) : new ArrayList<>();
                value.addAll(words);
                target.put(variable.group(1), List.copyOf(value));
            }
        }
        Map<String, ScriptOptions> options = new HashMap<>();
        for (Map.Entry<String, List<String>> entry : optionWords.entrySet()) {
            try {
                options.put(entry.getKey(), ScriptOptions.parse(entry.getValue()));
            } catch (ScriptOptions.InvalidOptionsException e) {
                throw new ConfigFileException(directory + ": " + entry.getKey() + "_OPT: " + e.getMessage());
            }
        }
        return new ScriptConfigs(options, requirements);
    }

    /** Every `*.conf` entry, whatever it is, so that one the service cannot read is reported, not skipped. */
    private static List<Path> files(Path directory) throws ConfigFileException {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory, "*.conf")) {
            entries.forEach(files::add);
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new ConfigFileException(directory + ": cannot read the directory: " + e.getMessage());
        }
        files.sort(null);
        return files;
    }

    /** The script's options; none when `_OPT` is unset. */
    ScriptOptions options(String name) {
        return options.getOrDefault(name, ScriptOptions.NONE);
    }

    /** The scripts `<name>_REQ` names, in its order. */
    List<String> requirements(String name) {
        return requirements.getOrDefault(name, List.of());
    }

    /** Every script with a `_REQ`, and what it requires. */
    Map<String, List<String>> allRequirements() {
        return requirements;
    }
}

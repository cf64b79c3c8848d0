package org.stapfarm.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * One server as `stap-server` describes it: on its command line, in a `conf.d` file or in a status file
 * (spec §1.4, §1.8, §1.9). Empty strings mean "not given" for the scalar fields, so a spec round-trips
 * through the `KEY=` lines of a status file unchanged; lists are empty when not given.
 *
 * @param arch                 `-a` / `ARCH`
 * @param releases             `-r` / `RELEASE`: releases or build-tree paths
 * @param includes             `-I` / `INCLUDE`
 * @param defines              `-D` / `DEFINE`
 * @param buildOptions         `-B` / `BUILD`
 * @param runtime              `-R` / `RUNTIME`
 * @param user                 `-u` / `USER`: the account the server runs as
 * @param nickname             `-n` / `NICKNAME`
 * @param log                  `--log` / `LOG`
 * @param port                 `--port` / `PORT`
 * @param ssl                  `--ssl` / `SSL`
 * @param maxThreads           `--max-threads` / `MAXTHREADS`
 * @param maxRequestSize       `--max-request-size` / `MAXREQSIZE`
 * @param maxCompressedRequest `--max-compressed-request` / `MAXCOMPRESSEDREQ`
 * @param keepTemporaries      `-k`: kept across restarts, unlike upstream (§5 item 13)
 * @param usePassword          `-P`: kept across restarts, unlike upstream (§5 item 13)
 */
public record ServerSpec(
        String arch,
        List<String> releases,
        List<String> includes,
        List<String> defines,
        List<String> buildOptions,
        String runtime,
        String user,
        String nickname,
        String log,
        String port,
        String ssl,
        String maxThreads,
        String maxRequestSize,
        String maxCompressedRequest,
        boolean keepTemporaries,
        boolean usePassword) {

    public ServerSpec {
        arch = Objects.requireNonNullElse(arch, "");
        releases = List.copyOf(releases);
        includes = List.copyOf(includes);
        defines = List.copyOf(defines);
        buildOptions = List.copyOf(buildOptions);
        runtime = Objects.requireNonNullElse(runtime, "");
        user = Objects.requireNonNullElse(user, "");
        nickname = Objects.requireNonNullElse(nickname, "");
        log = Objects.requireNonNullElse(log, "");
        port = Objects.requireNonNullElse(port, "");
        ssl = Objects.requireNonNullElse(ssl, "");
        maxThreads = Objects.requireNonNullElse(maxThreads, "");
        maxRequestSize = Objects.requireNonNullElse(maxRequestSize, "");
        maxCompressedRequest = Objects.requireNonNullElse(maxCompressedRequest, "");
    }

    public static ServerSpec empty() {
        return new ServerSpec("", List.of(), List.of(), List.of(), List.of(), "", "", "", "", "", "", "", "", "",
                false, false);
    }

    public ServerSpec withNickname(String newNickname) {
        return new ServerSpec(arch, releases, includes, defines, buildOptions, runtime, user, newNickname, log, port,
                ssl, maxThreads, maxRequestSize, maxCompressedRequest, keepTemporaries, usePassword);
    }

    /**
     * This spec with {@code overrides} laid over it, as a command line is laid over the server it selects:
     * scalars given in {@code overrides} replace, lists are appended to, and a flag set on either side stays set.
     */
    public ServerSpec overriddenBy(ServerSpec overrides) {
        return new ServerSpec(
                or(overrides.arch, arch), concat(releases, overrides.releases), concat(includes, overrides.includes),
                concat(defines, overrides.defines), concat(buildOptions, overrides.buildOptions),
                or(overrides.runtime, runtime), or(overrides.user, user), or(overrides.nickname, nickname),
                or(overrides.log, log), or(overrides.port, port), or(overrides.ssl, ssl),
                or(overrides.maxThreads, maxThreads), or(overrides.maxRequestSize, maxRequestSize),
                or(overrides.maxCompressedRequest, maxCompressedRequest),
                keepTemporaries || overrides.keepTemporaries, usePassword || overrides.usePassword);
    }

    /**
     * This spec with what it leaves empty filled in the one way `stap-server` does for every server (§1.8,
     * §5 items 15 and 18): without releases, it gets {@code defaultReleases}, so that the effective releases
     * are always recorded.
     */
    public ServerSpec withDefaults(String defaultArch, List<String> defaultReleases, String defaultUser,
                                   String defaultLog) {
        return new ServerSpec(or(arch, defaultArch), releases.isEmpty() ? defaultReleases : releases, includes,
                defines, buildOptions, runtime, or(user, defaultUser), nickname, or(log, defaultLog), port, ssl,
                maxThreads, maxRequestSize, maxCompressedRequest, keepTemporaries, usePassword);
    }

    private static String or(String value, String fallback) {
        return value.isEmpty() ? fallback : value;
    }

    private static List<String> concat(List<String> first, List<String> second) {
        List<String> all = new ArrayList<>(first);
        all.addAll(second);
        return all;
    }

    /**
     * The `stap-serverd` options that start this server, in the order upstream's `stap-server` passes them
     * (§1.12); user and nickname are not daemon options. Values are attached (`-B-j4`, `--log=FILE`) so that
     * one starting with a dash is never read as an option.
     */
    public List<String> daemonArguments() {
        List<String> arguments = new ArrayList<>();
        addIfGiven(arguments, "-a", arch);
        if (keepTemporaries) {
            arguments.add("-k");
        }
        if (usePassword) {
            arguments.add("-P");
        }
        addEach(arguments, "-r", releases);
        addEach(arguments, "-B", buildOptions);
        addEach(arguments, "-I", includes);
        addEach(arguments, "-D", defines);
        addIfGiven(arguments, "-R", runtime);
        addIfGiven(arguments, "--log", log);
        addIfGiven(arguments, "--port", port);
        addIfGiven(arguments, "--ssl", ssl);
        addIfGiven(arguments, "--max-threads", maxThreads);
        addIfGiven(arguments, "--max-request-size", maxRequestSize);
        addIfGiven(arguments, "--max-compressed-request", maxCompressedRequest);
        return arguments;
    }

    /**
     * Whether this spec describes the same server as {@code other}: every field but the nickname, whole
     * lists compared (upstream compared first elements only, §5 item 16). Releases compare as a set, since
     * a server serves each of them whatever the order; `-I`, `-D` and `-B` order changes the build.
     */
    public boolean describesSameServerAs(ServerSpec other) {
        return arch.equals(other.arch)
                && Set.copyOf(releases).equals(Set.copyOf(other.releases))
                && includes.equals(other.includes)
                && defines.equals(other.defines)
                && buildOptions.equals(other.buildOptions)
                && runtime.equals(other.runtime)
                && user.equals(other.user)
                && log.equals(other.log)
                && port.equals(other.port)
                && ssl.equals(other.ssl)
                && maxThreads.equals(other.maxThreads)
                && maxRequestSize.equals(other.maxRequestSize)
                && maxCompressedRequest.equals(other.maxCompressedRequest)
                && keepTemporaries == other.keepTemporaries
                && usePassword == other.usePassword;
    }

    private static void addEach(List<String> arguments, String option, List<String> values) {
        values.forEach(value -> arguments.add(attached(option, value)));
    }

    private static void addIfGiven(List<String> arguments, String option, String value) {
        if (!value.isEmpty()) {
            arguments.add(attached(option, value));
        }
    }

    private static String attached(String option, String value) {
        return option.startsWith("--") ? option + "=" + value : option + value;
    }
}

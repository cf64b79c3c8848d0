package org.stapfarm.protocol;

import java.util.List;
import java.util.Map;

/**
 * A decoded, validated compile request. Everything past the network edge works on this type; nothing
 * past the edge handles the raw zip.
 *
 * @param clientVersion   the client's protocol version (its SystemTap release)
 * @param sysInfo         the release and architecture the client wants a module for
 * @param arguments       the translator arguments, `argv1` to `argvN`, in order
 * @param locale          accepted locale variables, to be applied to the translator's environment
 * @param mokFingerprints the client's machine owner key fingerprints (`missing` kept as is); empty when
 *                        the client did not send the file
 * @param files           the user's script and tapset files
 * @param serverMessages  messages produced while decoding (rejected locale lines and the like), without the
 *                        `Server: ` prefix that the response adds when it puts them at the head of stderr
 */
public record CompileRequest(
        ProtocolVersion clientVersion,
        SysInfo sysInfo,
        List<String> arguments,
        Map<String, String> locale,
        List<String> mokFingerprints,
        List<RequestFile> files,
        List<String> serverMessages) {

    public CompileRequest {
        arguments = List.copyOf(arguments);
        locale = Map.copyOf(locale);
        mokFingerprints = List.copyOf(mokFingerprints);
        files = List.copyOf(files);
        serverMessages = List.copyOf(serverMessages);
    }
}

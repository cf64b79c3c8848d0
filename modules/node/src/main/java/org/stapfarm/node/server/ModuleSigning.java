package org.stapfarm.node.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.stapfarm.protocol.CompileRequest;
import org.stapfarm.protocol.CompileResult;
import org.stapfarm.protocol.Privilege;
import org.stapfarm.protocol.ResultFile;
import org.stapfarm.security.Certificates;
import org.stapfarm.security.MachineOwnerKey;
import org.stapfarm.security.MokStore;
import org.stapfarm.security.ServerIdentity;

/**
 * The signing steps of protocol spec 4.5 and 4.6, done per request by the server that received it, with its
 * own keys: whichever node of the farm compiled and whether the result came from the cache, the client gets
 * a module signed by the server it connected to (and trusts).
 *
 * <ul>
 *   <li>Privilege below stapdev and a successful compile: `MODULE.ko.sgn` next to the one module, with the
 *       server's key ({@link ServerIdentity#moduleSignature}).</li>
 *   <li>The client sent MOK fingerprints and the server holds one of those keys: the module is signed with it
 *       in the kernel's format, before the `.sgn` is made, so the `.sgn` covers the file the client loads.</li>
 *   <li>The client sent fingerprints, none matched, and a module was built: the certificate of the server's
 *       first MOK (a new one if it has none) goes back as `signing_key.x509`, with upstream's explanation,
 *       and `rc` becomes 1, since the client's kernel would refuse the unsigned module.</li>
 *   <li>`uprobes/uprobes.ko` (non-empty) is signed the same ways, whatever the `rc`, as upstream does.</li>
 * </ul>
 */
final class ModuleSigning {

    static final String UPROBES = "uprobes/uprobes.ko";
    static final String SIGNATURE_SUFFIX = ".sgn";

    private static final Logger LOG = LoggerFactory.getLogger(ModuleSigning.class);

    private final MokStore moks;
    private volatile ServerIdentity identity;

    ModuleSigning(ServerIdentity identity, MokStore moks) {
        this.identity = identity;
        this.moks = moks;
    }

    /** Signs with {@code renewed} from now on: the certificate the server presents has changed. */
    void useIdentity(ServerIdentity renewed) {
        this.identity = renewed;
    }

    CompileResult sign(CompileRequest request, Privilege privilege, CompileResult result) {
        boolean needsSgn = privilege != Privilege.STAPDEV;
        List<String> clientKeys = request.mokFingerprints();
        if (!needsSgn && clientKeys.isEmpty()) {
            return result;
        }
        ServerIdentity signer = identity;
        Optional<MachineOwnerKey> mok = clientKeys.isEmpty() ? Optional.empty() : moks.firstMatching(clientKeys);
        Map<String, byte[]> files = new LinkedHashMap<>();
        result.moduleDirectory().forEach(file -> files.put(file.path(), file.content()));
        List<String> messages = new ArrayList<>();
        int rc = result.rc();
        byte[] signingKey = result.signingKey();

        if (rc == 0) {
            List<String> modules = files.keySet().stream()
                    .filter(path -> path.endsWith(".ko") && path.indexOf('/') < 0).toList();
            if (modules.size() > 1) {
                LOG.warn("Not signing: the translator left {} modules, {}", modules.size(), modules);
            } else if (modules.size() == 1) {
                String module = modules.get(0);
                mok.ifPresent(key -> signWithMok(files, module, key));
                if (needsSgn) {
                    files.put(module + SIGNATURE_SUFFIX, signer.moduleSignature(files.get(module)));
                }
                if (mok.isEmpty() && !clientKeys.isEmpty()) {
                    signingKey = noCommonKey(messages);
                    rc = 1;
                }
            }
        }
        byte[] uprobes = files.get(UPROBES);
        if (uprobes != null && uprobes.length > 0) {
            mok.ifPresent(key -> signWithMok(files, UPROBES, key));
            if (needsSgn) {
                files.put(UPROBES + SIGNATURE_SUFFIX, signer.moduleSignature(files.get(UPROBES)));
            }
        }
        List<ResultFile> signed = new ArrayList<>();
        files.forEach((path, content) -> signed.add(new ResultFile(path, content)));
        return new CompileResult(rc, result.stdout(), withMessages(result.stderr(), messages), signed, signingKey);
    }

    private static void signWithMok(Map<String, byte[]> files, String module, MachineOwnerKey key) {
        files.put(module, key.signModule(files.get(module)));
        LOG.info("Module {} signed with MOK, fingerprint \"{}\"", module, key.fingerprint());
    }

    /** Upstream's messages, word for word, and the certificate the client should enroll; null if none. */
    private byte[] noCommonKey(List<String> messages) {
        messages.add("No matching machine owner key (MOK) available on the server to sign the\n module.");
        try {
            MachineOwnerKey key = moks.firstOrNew();
            messages.add("The server has no machine owner key (MOK) in common with this\nsystem. Use the following"
                    + " command to import a server MOK into this\nsystem, then reboot:\n\n\t# sudo mokutil --import"
                    + " signing_key.x509");
            return Certificates.encode(key.certificate());
        } catch (IOException | RuntimeException e) {
            LOG.error("Cannot create a machine owner key in {}: {}", moks.directory(), e.getMessage());
            messages.add("The server has no machine owner keys (MOK) in common with this\nsystem. The server could"
                    + " not generate a new MOK.");
            return null;
        }
    }

    /** Server lines go after the translator's, where upstream appends them. */
    private static byte[] withMessages(byte[] stderr, List<String> messages) {
        if (messages.isEmpty()) {
            return stderr;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(stderr);
        if (stderr.length > 0 && stderr[stderr.length - 1] != '\n') {
            out.write('\n');
        }
        messages.forEach(message -> out.writeBytes(("Server: " + message + "\n").getBytes(StandardCharsets.UTF_8)));
        return out.toByteArray();
    }
}

package org.stapfarm.security;

import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemWriter;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Reading and writing the PEM key files and certificates of server identities and machine owner keys. */
final class KeyFiles {

    private KeyFiles() {
    }

    /**
     * An unencrypted PEM private key: PKCS#8 ("BEGIN PRIVATE KEY", what we and openssl write) or PKCS#1
     * ("BEGIN RSA PRIVATE KEY", what older openssl wrote).
     */
    static PrivateKey readPrivateKey(Path keyFile) throws IdentityStoreException, IOException {
        // ISO-8859-1 decodes any bytes, so a garbled file is reported as "no PEM key", not as a charset error.
        String pem = Files.readString(keyFile, StandardCharsets.ISO_8859_1);
        Object parsed;
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            parsed = parser.readObject();
        } catch (IOException e) {
            throw new IdentityStoreException(keyFile + " is not a readable PEM private key: " + e.getMessage(), e);
        }
        // No provider is named: the converter then uses the JDK's KeyFactory (dependencies.md P12).
        JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
        if (parsed instanceof PrivateKeyInfo info) {
            return converter.getPrivateKey(info);
        }
        if (parsed instanceof PEMKeyPair pair) {
            return converter.getPrivateKey(pair.getPrivateKeyInfo());
        }
        throw new IdentityStoreException(keyFile + " holds no unencrypted PEM private key"
                + " (expected -----BEGIN PRIVATE KEY-----)");
    }

    /** The key as unencrypted PKCS#8 PEM, which `openssl pkey` and the kernel's `sign-file` read. */
    static byte[] privateKeyPem(PrivateKey key) {
        // getEncoded() of a JDK private key is PKCS#8, which is what "PRIVATE KEY" PEM holds.
        return pem("PRIVATE KEY", key.getEncoded());
    }

    /** {@code der} as one PEM block of {@code type}, e.g. {@code CERTIFICATE}. */
    static byte[] pem(String type, byte[] der) {
        StringWriter pem = new StringWriter();
        try (PemWriter writer = new PemWriter(pem)) {
            writer.writeObject(new PemObject(type, der));
        } catch (IOException e) {
            throw new UncheckedIOException("writing to a string failed", e);
        }
        return pem.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** A file for {@link #writeTogether}: its name in the directory, its content and its mode. */
    record NewFile(String name, byte[] content, Set<PosixFilePermission> mode) {
    }

    /**
     * Writes {@code content} to {@code dir/name} through a temporary file that is renamed into place, so that
     * readers see the old file or the whole new one, never a part.
     */
    static void writeAtomically(Path dir, String name, byte[] content, Set<PosixFilePermission> mode)
            throws IOException {
        writeTogether(dir, List.of(new NewFile(name, content, mode)));
    }

    /**
     * Writes each file as {@link #writeAtomically} does, but renames none into place before all are written
     * and flushed: a failure while writing leaves every old file as it was, and readers can see a mix of old
     * and new files only in the moment between the renames.
     */
    static void writeTogether(Path dir, List<NewFile> files) throws IOException {
        List<Path> temporaries = new ArrayList<>();
        try {
            for (NewFile file : files) {
                temporaries.add(writeTemporary(dir, file));
            }
            for (int i = 0; i < files.size(); i++) {
                Files.move(temporaries.get(i), dir.resolve(files.get(i).name()), StandardCopyOption.ATOMIC_MOVE);
            }
        } finally {
            for (Path temporary : temporaries) {
                Files.deleteIfExists(temporary);
            }
        }
        syncDirectory(dir);
    }

    private static Path writeTemporary(Path dir, NewFile file) throws IOException {
        // Created owner-only so a key is never readable by others, not even before chmod.
        Path temp = Files.createTempFile(dir, "." + file.name() + ".", ".tmp",
                PosixFilePermissions.asFileAttribute(FilePermissions.OWNER_ONLY_FILE));
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap(file.content());
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            // Set explicitly: the mode given at creation is reduced by the umask.
            Files.setPosixFilePermissions(temp, file.mode());
            return temp;
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
    }

    /** Makes renames and deletions in {@code dir} durable, so their order survives a power failure. */
    static void syncDirectory(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }
}

package org.stapfarm.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.stapfarm.protocol.TestZips.bytes;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** The client's half of the request: what {@link RequestCodec#encode} writes, read back by the server's half. */
class RequestCodecEncodeTest {

    private static final RequestCodec SERVER = new RequestCodec(new RequestLimits(1 << 20, 1 << 20, 1000));
    private static final ProtocolVersion CLIENT = ProtocolVersion.parse("4.8");

    @Test
    void whatTheClientEncodesTheServerDecodes() throws Exception {
        Map<String, String> locale = new LinkedHashMap<>();
        locale.put("LC_MESSAGES", "C");
        locale.put("LANG", "en_US.UTF-8");
        List<RequestFile> files = List.of(new RequestFile("script/home/demo/args.stp", bytes("probe begin {}")),
                new RequestFile("tapset/home/demo/mytapsets/greet.stp", bytes("function greet() {}")));
        CompileRequest request = new CompileRequest(CLIENT, new SysInfo("6.1.0-47-amd64", "x86_64"),
                List.of("script/home/demo/args.stp", "-I", "tapset/home/demo/mytapsets", "-p2", "--", "first arg", "42",
                        "-", "3", "4", "5"),
                locale, List.of(), files, List.of());

        CompileRequest decoded = SERVER.decode(RequestCodec.encode(request));

        assertEquals(request.clientVersion(), decoded.clientVersion());
        assertEquals(request.sysInfo(), decoded.sysInfo());
        assertEquals(request.arguments(), decoded.arguments());
        assertEquals(request.locale(), decoded.locale());
        assertEquals(List.of(), decoded.serverMessages());
        assertEquals(2, decoded.files().size());
        for (int i = 0; i < files.size(); i++) {
            assertEquals(files.get(i).path(), decoded.files().get(i).path());
            assertArrayEquals(files.get(i).content(), decoded.files().get(i).content());
        }
    }

    /** As vector 02's client wrote them: the stock order, one newline each, whatever order the map has. */
    @Test
    void localeAndSysinfoAreWrittenAsTheStockClientWritesThem() {
        Map<String, String> locale = new LinkedHashMap<>();
        locale.put("LC_MESSAGES", "C");
        locale.put("LANG", "en_US.UTF-8");
        Map<String, byte[]> entries = TestZips.unzip(RequestCodec.encode(new CompileRequest(CLIENT,
                new SysInfo("6.1.0-47-amd64", "x86_64"), List.of("-p2"), locale, List.of(), List.of(), List.of())));

        assertArrayEquals(Vectors.read("02-p2-script-tapset-args", "request/locale"), entries.get("locale"));
        assertArrayEquals(Vectors.read("02-p2-script-tapset-args", "request/sysinfo"), entries.get("sysinfo"));
        assertArrayEquals(Vectors.read("02-p2-script-tapset-args", "request/version"), entries.get("version"));
    }

    @Test
    void directoriesPrecedeTheirFilesOnce() {
        List<RequestFile> files = List.of(new RequestFile("tapset/a/x.stp", bytes("x")),
                new RequestFile("tapset/a/y.stp", bytes("y")));
        List<String> names = new ArrayList<>(TestZips.unzip(RequestCodec.encode(new CompileRequest(CLIENT,
                new SysInfo("r", "x86_64"), List.of("-p1"), Map.of(), List.of(), files, List.of()))).keySet());

        assertEquals(List.of("tapset/", "tapset/a/", "tapset/a/x.stp", "tapset/a/y.stp"),
                names.subList(names.indexOf("tapset/"), names.size()));
    }

    @Test
    void unusablePathsAreRefused() {
        for (String path : List.of("script/../etc/passwd", "/script/x", "elsewhere/x", "script/a\\b")) {
            CompileRequest request = new CompileRequest(CLIENT, new SysInfo("r", "x86_64"), List.of("-p1"), Map.of(),
                    List.of(), List.of(new RequestFile(path, bytes("x"))), List.of());
            assertThrows(IllegalArgumentException.class, () -> RequestCodec.encode(request), path);
        }
    }
}

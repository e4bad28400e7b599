package dev.proxykit.dist;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * Lists the entries of a {@code .tar.gz} as stored (names, modes, types), for layout tests: ustar names with their
 * prefix, GNU long names ({@code L}) and POSIX extended headers ({@code x}, {@code path=}) are understood.
 */
final class TarEntries {

    private static final int BLOCK = 512;
    private static final int MAX_ENTRIES = 100_000;

    private TarEntries() {
    }

    /** One archive entry; {@code mode} holds the permission bits only (such as {@code 0755}). */
    record Entry(String name, int mode, boolean directory, long size) {
    }

    static List<Entry> read(Path tarGz) throws IOException {
        List<Entry> entries = new ArrayList<>();
        try (InputStream in = new BufferedInputStream(new GZIPInputStream(Files.newInputStream(tarGz)))) {
            String nextName = null;
            byte[] header = new byte[BLOCK];
            for (int i = 0; i < MAX_ENTRIES; i++) {
                if (in.readNBytes(header, 0, BLOCK) < BLOCK) {
                    throw new EOFException(tarGz + ": ends inside a header (expected: two zero blocks at the end)");
                }
                if (isZero(header)) {
                    return entries;
                }
                String name = text(header, 0, 100);
                int mode = (int) octal(header, 100, 8) & 07777;
                long size = octal(header, 124, 12);
                char type = (char) header[156];
                if (text(header, 257, 5).equals("ustar")) {
                    String prefix = text(header, 345, 155);
                    if (!prefix.isEmpty()) {
                        name = prefix + "/" + name;
                    }
                }
                long padded = (size + BLOCK - 1) / BLOCK * BLOCK;
                if (type == 'x' || type == 'L') {
                    byte[] data = in.readNBytes((int) size);
                    in.skipNBytes(padded - size);
                    String found = type == 'L' ? text(data, 0, data.length) : paxPath(data);
                    if (found != null) {
                        nextName = found;
                    }
                    continue;
                }
                in.skipNBytes(padded);
                if (type == 'g') {
                    continue;
                }
                if (nextName != null) {
                    name = nextName;
                    nextName = null;
                }
                entries.add(new Entry(name, mode, type == '5' || name.endsWith("/"), size));
            }
        }
        throw new IOException(tarGz + ": more than " + MAX_ENTRIES + " entries");
    }

    /** The {@code path} record of a POSIX extended header ({@code "<length> path=<value>\n"} records). */
    private static String paxPath(byte[] data) {
        String records = new String(data, StandardCharsets.UTF_8);
        int at = 0;
        String path = null;
        while (at < records.length()) {
            int space = records.indexOf(' ', at);
            int length = Integer.parseInt(records.substring(at, space));
            String record = records.substring(space + 1, at + length - 1);
            if (record.startsWith("path=")) {
                path = record.substring("path=".length());
            }
            at += length;
        }
        return path;
    }

    private static boolean isZero(byte[] block) {
        for (byte b : block) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    private static String text(byte[] bytes, int offset, int length) {
        int end = offset;
        while (end < offset + length && bytes[end] != 0) {
            end++;
        }
        return new String(bytes, offset, end - offset, StandardCharsets.UTF_8);
    }

    private static long octal(byte[] bytes, int offset, int length) {
        String digits = text(bytes, offset, length).trim();
        return digits.isEmpty() ? 0 : Long.parseLong(digits, 8);
    }
}

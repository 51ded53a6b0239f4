package dev.qlinear.aiterfp8;

import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static java.util.Objects.requireNonNull;

/**
 * Reads the shim's {@value AiterInstallation#KERNEL_LIST}: the CK kernelIds compiled into it, one per line (blank lines
 * and lines starting with {@code #} are skipped). A line that is not an integer makes the list unreadable.
 */
final class KernelList {

    private KernelList() {
    }

    static Loaded<Set<Integer>> read(Path list) {
        requireNonNull(list, "list is null");
        List<String> lines;
        try {
            lines = Files.readAllLines(list, StandardCharsets.UTF_8);
        }
        catch (NoSuchFileException e) {
            return unreadable(list, "no such file");
        }
        catch (MalformedInputException e) {
            return unreadable(list, "it is not UTF-8 text");
        }
        catch (IOException e) {
            return unreadable(list, e.toString());
        }
        Set<Integer> ids = new TreeSet<>();
        for (int index = 0; index < lines.size(); index++) {
            String line = lines.get(index).trim();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            try {
                ids.add(Integer.parseInt(line));
            }
            catch (NumberFormatException e) {
                return unreadable(list, "line " + (index + 1) + " '" + line + "' is not a kernelId");
            }
        }
        return new Loaded.Read<>(Set.copyOf(ids));
    }

    private static Loaded<Set<Integer>> unreadable(Path list, String why) {
        return new Loaded.Unreadable<>("aiter shim kernel list " + list + " is unreadable: " + why);
    }
}

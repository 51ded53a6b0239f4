package dev.qlinear.spi.config;

/**
 * The block of a tensor that shares one scale, as (rows, columns); -1 means the full extent of that dimension.
 * For an activation {@code [M, K]} rows run over tokens; for a weight {@code [N, K]} rows run over output channels.
 *
 * @param rows block rows, or -1 for all rows
 * @param cols block columns, or -1 for all columns
 */
public record GroupShape(int rows, int cols) {

    public static final GroupShape PER_TENSOR = new GroupShape(-1, -1);
    /** One scale per activation row. */
    public static final GroupShape PER_TOKEN = new GroupShape(1, -1);
    /** One scale per output channel of a {@code [N, K]} weight. */
    public static final GroupShape PER_CHANNEL = new GroupShape(-1, 1);

    public GroupShape {
        if (rows != -1 && rows < 1) {
            throw new IllegalArgumentException("group shape rows must be -1 (full extent) or positive, got " + rows);
        }
        if (cols != -1 && cols < 1) {
            throw new IllegalArgumentException("group shape columns must be -1 (full extent) or positive, got " + cols);
        }
    }

    /** Parses {@code per-tensor}, {@code per-token}, {@code per-channel} or {@code <rows>x<cols>} such as {@code 128x128} or {@code 1x128}. */
    public static GroupShape parse(String text) {
        return switch (text.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "per-tensor", "tensor" -> PER_TENSOR;
            case "per-token", "token" -> PER_TOKEN;
            case "per-channel", "channel" -> PER_CHANNEL;
            default -> {
                String[] parts = text.trim().toLowerCase(java.util.Locale.ROOT).split("x", -1);
                if (parts.length != 2 || parts[0].isBlank() || parts[1].isBlank()) {
                    throw new IllegalArgumentException("invalid group shape '" + text + "': expected per-tensor, per-token, per-channel or <rows>x<cols> such as 128x128");
                }
                try {
                    yield new GroupShape(Integer.parseInt(parts[0].trim()), Integer.parseInt(parts[1].trim()));
                }
                catch (NumberFormatException e) {
                    throw new IllegalArgumentException("invalid group shape '" + text + "': rows and columns must be integers", e);
                }
            }
        };
    }

    public boolean isPerTensor() {
        return equals(PER_TENSOR);
    }

    @Override
    public String toString() {
        if (equals(PER_TENSOR)) {
            return "per-tensor";
        }
        if (equals(PER_TOKEN)) {
            return "per-token";
        }
        if (equals(PER_CHANNEL)) {
            return "per-channel";
        }
        return rows + "x" + cols;
    }
}

using System.Buffers.Binary;
using System.Text.Json;

namespace MLNetCnn.Zoo;

/// <summary>
/// Checks a safetensors header against the file before any tensor is read, by the format's own rules: the header is
/// UTF-8 JSON of one object, each key once; every tensor has a known dtype, a shape of non-negative sizes and a byte range
/// whose length is its element count times the dtype's width (without overflow); and the ranges, in order, cover the data
/// section exactly, without holes or overlaps (two keys on the same bytes would give one parameter another's values).
/// </summary>
internal static class SafetensorsHeader
{
    private static readonly Dictionary<string, int> BytesPerElement = new()
    {
        ["F64"] = 8, ["F32"] = 4, ["F16"] = 2, ["BF16"] = 2, ["I64"] = 8, ["I32"] = 4, ["I16"] = 2, ["I8"] = 1, ["U8"] = 1, ["BOOL"] = 1,
    };

    public static void Validate(string path)
    {
        using var stream = File.OpenRead(path);
        Validate(stream, path);
    }

    /// <summary>Checks a safetensors file held in a seekable stream (a checkpoint's entry); the position is left past the header.</summary>
    public static void Validate(Stream stream, string path)
    {
        Span<byte> lengthBytes = stackalloc byte[8];
        if (stream.ReadAtLeast(lengthBytes, 8, throwOnEndOfStream: false) < 8)
            throw Invalid(path, "the file is shorter than the 8-byte header length");
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > (ulong)(stream.Length - 8) || headerLength > 100_000_000)
            throw Invalid(path, $"the header claims {headerLength} bytes but the file has {stream.Length - 8} after the length");
        var header = new byte[headerLength];
        stream.ReadExactly(header);
        var dataLength = stream.Length - 8 - (long)headerLength;

        JsonDocument json;
        try { json = JsonDocument.Parse(header); }
        catch (JsonException e) { throw Invalid(path, $"the header is not valid JSON ({e.Message})"); }
        using (json)
        {
            if (json.RootElement.ValueKind != JsonValueKind.Object)
                throw Invalid(path, "the header is not a JSON object");
            var names = new HashSet<string>(StringComparer.Ordinal);
            var spans = new List<(long Begin, long End, string Name)>();
            foreach (var entry in json.RootElement.EnumerateObject())
            {
                if (!names.Add(entry.Name))
                    throw Invalid(path, $"the header names '{entry.Name}' twice");
                if (entry.Name == "__metadata__")
                {
                    if (entry.Value.ValueKind != JsonValueKind.Object || entry.Value.EnumerateObject().Any(m => m.Value.ValueKind != JsonValueKind.String))
                        throw Invalid(path, "__metadata__ must be an object of strings");
                    continue;
                }
                spans.Add(ValidateEntry(path, entry, dataLength));
            }
            CheckCoverage(path, spans, dataLength);
        }
    }

    // Sorted by start, each range must begin where the previous ended: no overlap, no hole, and the last ends at the data's end.
    private static void CheckCoverage(string path, List<(long Begin, long End, string Name)> spans, long dataLength)
    {
        long expected = 0;
        string previous = "the start of the data";
        foreach (var (begin, end, name) in spans.OrderBy(s => s.Begin).ThenBy(s => s.End))
        {
            if (begin < expected)
                throw Invalid(path, $"tensor '{name}' at bytes [{begin}, {end}) overlaps {previous}");
            if (begin > expected)
                throw Invalid(path, $"bytes [{expected}, {begin}) before tensor '{name}' belong to no tensor");
            expected = end;
            previous = $"tensor '{name}'";
        }
        if (expected != dataLength)
            throw Invalid(path, $"the tensors end at byte {expected} of a data section of {dataLength} bytes (trailing bytes belong to no tensor)");
    }

    private static (long Begin, long End, string Name) ValidateEntry(string path, JsonProperty entry, long dataLength)
    {
        var value = entry.Value;
        if (value.ValueKind != JsonValueKind.Object
            || !value.TryGetProperty("dtype", out var dtype) || dtype.ValueKind != JsonValueKind.String
            || !value.TryGetProperty("shape", out var shape) || shape.ValueKind != JsonValueKind.Array
            || !value.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2)
            throw Invalid(path, $"tensor '{entry.Name}' lacks dtype, shape or a [begin, end] data_offsets pair");
        if (!BytesPerElement.TryGetValue(dtype.GetString()!, out var elementSize))
            throw Invalid(path, $"tensor '{entry.Name}' has unsupported dtype '{dtype.GetString()}'");
        long bytes;
        try
        {
            long elements = 1;
            foreach (var dim in shape.EnumerateArray())
            {
                if (!dim.TryGetInt64(out var d) || d < 0)
                    throw Invalid(path, $"tensor '{entry.Name}' has an invalid shape {shape}");
                elements = checked(elements * d);
            }
            bytes = checked(elements * elementSize);
        }
        catch (OverflowException)
        {
            throw Invalid(path, $"tensor '{entry.Name}' has shape {shape}, more elements than any file holds");
        }
        if (!offsets[0].TryGetInt64(out var begin) || !offsets[1].TryGetInt64(out var end) || begin < 0 || end < begin || end > dataLength)
            throw Invalid(path, $"tensor '{entry.Name}' has data_offsets {offsets} outside the data section of {dataLength} bytes (truncated or corrupt file)");
        if (end - begin != bytes)
            throw Invalid(path, $"tensor '{entry.Name}' spans {end - begin} bytes but shape {shape} of {dtype.GetString()} needs {bytes}");
        return (begin, end, entry.Name);
    }

    private static InvalidDataException Invalid(string path, string reason)
        => new($"'{path}' is not a valid safetensors file: {reason}. Use an intact copy, or save the weights again (safetensors.torch.save_file, SaveWeights).");
}

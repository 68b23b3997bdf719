using System.Buffers.Binary;
using System.Text.Json;

namespace MLNetCnn.Zoo;

/// <summary>
/// Checks a safetensors header against the file before any tensor is read: the header must fit in the
/// file, and every tensor's byte range must lie inside the data section and match its shape and dtype.
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
            foreach (var entry in json.RootElement.EnumerateObject())
            {
                if (entry.Name == "__metadata__")
                    continue;
                ValidateEntry(path, entry, dataLength);
            }
        }
    }

    private static void ValidateEntry(string path, JsonProperty entry, long dataLength)
    {
        var value = entry.Value;
        if (value.ValueKind != JsonValueKind.Object
            || !value.TryGetProperty("dtype", out var dtype) || dtype.ValueKind != JsonValueKind.String
            || !value.TryGetProperty("shape", out var shape) || shape.ValueKind != JsonValueKind.Array
            || !value.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2)
            throw Invalid(path, $"tensor '{entry.Name}' lacks dtype, shape or a [begin, end] data_offsets pair");
        if (!BytesPerElement.TryGetValue(dtype.GetString()!, out var elementSize))
            throw Invalid(path, $"tensor '{entry.Name}' has unsupported dtype '{dtype.GetString()}'");
        long elements = 1;
        foreach (var dim in shape.EnumerateArray())
        {
            if (!dim.TryGetInt64(out var d) || d < 0)
                throw Invalid(path, $"tensor '{entry.Name}' has an invalid shape {shape}");
            elements = checked(elements * d);
        }
        if (!offsets[0].TryGetInt64(out var begin) || !offsets[1].TryGetInt64(out var end) || begin < 0 || end < begin || end > dataLength)
            throw Invalid(path, $"tensor '{entry.Name}' has data_offsets {offsets} outside the data section of {dataLength} bytes (truncated or corrupt file)");
        if (end - begin != elements * elementSize)
            throw Invalid(path, $"tensor '{entry.Name}' spans {end - begin} bytes but shape {shape} of {dtype.GetString()} needs {elements * elementSize}");
    }

    private static InvalidDataException Invalid(string path, string reason)
        => new($"'{path}' is not a valid safetensors file: {reason}.");
}

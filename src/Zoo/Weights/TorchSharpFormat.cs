using System.Text;
using static TorchSharp.torch;

namespace MLNetCnn.Zoo;

/// <summary>
/// Reads TorchSharp's own weights format (<c>Module.save</c>) into a state dict, checking everything before a byte of
/// weights is allocated: the entry count, each key (once), dtype, rank and sizes against what is left of the file, and
/// that the file ends where the last tensor does. TorchSharp's own loader trusts the file and writes into the model as it
/// goes; this reader refuses a bad file with its name and leaves the model untouched.
/// </summary>
/// <remarks>The layout: a LEB128 entry count, then per entry a length-prefixed UTF-8 key, the dtype, the rank and each size
/// as LEB128 numbers, then the tensor's bytes.</remarks>
internal static class TorchSharpFormat
{
    private const int MaxRank = 8;
    private const int MaxKeyBytes = 4096;

    private static readonly Dictionary<ScalarType, int> ElementSizes = new()
    {
        [ScalarType.Float32] = 4, [ScalarType.Float64] = 8, [ScalarType.Float16] = 2, [ScalarType.BFloat16] = 2, [ScalarType.Int64] = 8,
        [ScalarType.Int32] = 4, [ScalarType.Int16] = 2, [ScalarType.Int8] = 1, [ScalarType.Byte] = 1, [ScalarType.Bool] = 1,
    };

    /// <summary>The state dict in <paramref name="stream"/>, CPU tensors in the caller's dispose scope.</summary>
    /// <param name="stream">A seekable stream positioned at the format's start.</param>
    /// <param name="name">The file (or entry) named in errors.</param>
    /// <exception cref="InvalidDataException">The content is not a well-formed TorchSharp weights file; the message says where and why.</exception>
    public static Dictionary<string, Tensor> Read(Stream stream, string name)
    {
        var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        long Left() => stream.Length - stream.Position;
        var count = Number(reader, name, "the entry count");
        // Every entry takes at least four bytes (key length, dtype, rank, and a key byte or a size): a count beyond that is corrupt.
        if (count > Left() / 4)
            throw Invalid(name, $"it claims {count} entries in {Left()} bytes");
        var result = new Dictionary<string, Tensor>((int)count, StringComparer.Ordinal);
        try
        {
            for (long i = 0; i < count; i++)
            {
                var key = Key(reader, name, i, Left());
                if (result.ContainsKey(key))
                    throw Invalid(name, $"key '{key}' appears twice");
                var dtype = (ScalarType)Number(reader, name, $"the dtype of '{key}'");
                if (!ElementSizes.TryGetValue(dtype, out var elementSize))
                    throw Invalid(name, $"'{key}' has an unknown dtype code {(long)dtype}");
                var rank = Number(reader, name, $"the rank of '{key}'");
                if (rank > MaxRank)
                    throw Invalid(name, $"'{key}' claims {rank} dimensions (at most {MaxRank} are plausible)");
                var shape = new long[rank];
                long bytes = elementSize;
                for (var d = 0; d < rank; d++)
                {
                    shape[d] = Number(reader, name, $"a size of '{key}'");
                    bytes = shape[d] == 0 ? 0 : bytes > Left() / shape[d] ? long.MaxValue : bytes * shape[d];
                }
                if (bytes > Left())
                    throw Invalid(name, $"'{key}' of shape [{string.Join(", ", shape)}] needs {(bytes == long.MaxValue ? "more" : bytes.ToString())} bytes; {Left()} are left (truncated or corrupt)");
                if (bytes > int.MaxValue)
                    throw Invalid(name, $"'{key}' of shape [{string.Join(", ", shape)}] is larger than the 2 GB a TorchSharp weights file can hold per tensor");
                var tensor = empty(shape, dtype);
                tensor.bytes = reader.ReadBytes((int)bytes);
                result[key] = tensor;
            }
            if (Left() != 0)
                throw Invalid(name, $"{Left()} bytes follow the last tensor");
        }
        catch
        {
            foreach (var tensor in result.Values)
                tensor.Dispose();
            throw;
        }
        return result;
    }

    private static string Key(BinaryReader reader, string name, long index, long left)
    {
        var length = Number(reader, name, $"the length of key {index}");
        if (length < 1 || length > MaxKeyBytes || length > left)
            throw Invalid(name, $"key {index} claims {length} bytes");
        var bytes = reader.ReadBytes((int)length);
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw Invalid(name, $"key {index} is not UTF-8 text");
        }
    }

    // LEB128, as TorchSharp writes counts and sizes (and, for keys, BinaryWriter's 7-bit length is the same code).
    private static long Number(BinaryReader reader, string name, string what)
    {
        long value = 0;
        for (var shift = 0; shift < 63; shift += 7)
        {
            int b;
            try { b = reader.ReadByte(); }
            catch (EndOfStreamException) { throw Invalid(name, $"it ends inside {what} (truncated)"); }
            value |= (long)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
                return value;
        }
        throw Invalid(name, $"{what} is not a number");
    }

    private static InvalidDataException Invalid(string name, string reason)
        => new($"'{name}' is not a valid TorchSharp weights file: {reason}. Save weights with SaveWeights (or model.save) and load them unmodified.");
}

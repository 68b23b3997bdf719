using System.Buffers.Binary;
using System.Text;

namespace MLNetCnn.Zoo;

/// <summary>One entry of a zip file as its central directory and its local header agree to describe it.</summary>
/// <param name="Name">The entry's name.</param>
/// <param name="Method">0 when stored, 8 when deflated.</param>
/// <param name="CompressedBytes">Its bytes in the file.</param>
/// <param name="Bytes">Its bytes once inflated, as declared.</param>
internal sealed record ZipRecord(string Name, int Method, long CompressedBytes, long Bytes);

/// <summary>
/// Reads a zip file's structure itself and refuses every file that two zip readers could read differently: names that
/// repeat (.NET's reader takes the first, Python's the last), names that climb out of the archive (<c>..</c>, <c>\</c>, a
/// leading <c>/</c>), local headers that disagree with the central directory (Python refuses those, .NET does not look),
/// records that overlap (the trick that makes a small file inflate to gigabytes by pointing many entries at one stream),
/// and compression methods other than stored and deflate. .NET's <c>ZipArchive</c> exposes neither the local headers nor the
/// offsets, hence a reader of our own; the entries' contents are still read through <c>ZipArchive</c>.
/// </summary>
internal static class ZipLayout
{
    private const uint EndSignature = 0x06054b50, Zip64EndSignature = 0x06064b50, Zip64LocatorSignature = 0x07064b50;
    private const uint CentralSignature = 0x02014b50, LocalSignature = 0x04034b50;
    private const int EndLength = 22, CentralLength = 46, LocalLength = 30;
    private const int MaxEntries = 1 << 20;

    /// <summary>The entries of the zip file at <paramref name="path"/>, by name, once its structure holds.</summary>
    /// <param name="path">The file.</param>
    /// <param name="expected">What the file should be, for the error when it is no zip at all.</param>
    /// <exception cref="InvalidDataException">The file is no zip, or one that readers could read two ways; the message names the file and the entry.</exception>
    public static IReadOnlyDictionary<string, ZipRecord> Read(string path, string expected)
    {
        using var file = File.OpenRead(path);
        var length = file.Length;
        var (count, directoryOffset, directorySize, directoryEnd) = FindDirectory(file, path, expected);
        if (count > MaxEntries || directoryOffset + directorySize > directoryEnd)
            throw Refused(path, null, $"its central directory ({count} entries, {directorySize} bytes at {directoryOffset}) does not fit the file");
        var directory = ReadAt(file, directoryOffset, checked((int)directorySize), path);

        var records = new Dictionary<string, ZipRecord>(StringComparer.Ordinal);
        var spans = new List<(long Start, long End, string Name)>();
        var at = 0;
        for (var i = 0; i < count; i++)
        {
            if (at + CentralLength > directory.Length || BinaryPrimitives.ReadUInt32LittleEndian(directory.AsSpan(at)) != CentralSignature)
                throw Refused(path, null, $"central directory record {i + 1} of {count} is malformed");
            var header = directory.AsSpan(at, CentralLength);
            var flags = BinaryPrimitives.ReadUInt16LittleEndian(header[8..]);
            int method = BinaryPrimitives.ReadUInt16LittleEndian(header[10..]);
            var crc = BinaryPrimitives.ReadUInt32LittleEndian(header[16..]);
            long compressed = BinaryPrimitives.ReadUInt32LittleEndian(header[20..]);
            long bytes = BinaryPrimitives.ReadUInt32LittleEndian(header[24..]);
            int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(header[28..]);
            int extraLength = BinaryPrimitives.ReadUInt16LittleEndian(header[30..]);
            int commentLength = BinaryPrimitives.ReadUInt16LittleEndian(header[32..]);
            long offset = BinaryPrimitives.ReadUInt32LittleEndian(header[42..]);
            if (at + CentralLength + nameLength + extraLength + commentLength > directory.Length)
                throw Refused(path, null, $"central directory record {i + 1} of {count} runs past the directory");
            var nameBytes = directory.AsSpan(at + CentralLength, nameLength);
            var name = Encoding.UTF8.GetString(nameBytes);
            (bytes, compressed, offset) = Zip64Sizes(directory.AsSpan(at + CentralLength + nameLength, extraLength), bytes, compressed, offset)
                ?? throw Refused(path, name, "a zip64 size or offset is negative");
            at += CentralLength + nameLength + extraLength + commentLength;

            if (NameProblem(name) is string problem)
                throw Refused(path, name, problem);
            if (method is not (0 or 8))
                throw Refused(path, name, $"compression method {method} is neither stored (0) nor deflate (8)");
            if (method == 0 && bytes != compressed)
                throw Refused(path, name, $"it is stored, yet declares {bytes} bytes in {compressed}");
            if (!records.TryAdd(name, new ZipRecord(name, method, compressed, bytes)))
                throw Refused(path, name, "the name appears twice, and zip readers disagree about which one counts");

            var local = ReadAt(file, offset, LocalLength, path, name);
            if (BinaryPrimitives.ReadUInt32LittleEndian(local) != LocalSignature)
                throw Refused(path, name, $"no local header at offset {offset}");
            var localName = ReadAt(file, offset + LocalLength, BinaryPrimitives.ReadUInt16LittleEndian(local.AsSpan(26)), path, name);
            if (!localName.AsSpan().SequenceEqual(nameBytes))
                throw Refused(path, name, $"its local header names it '{Encoding.UTF8.GetString(localName)}'");
            if (BinaryPrimitives.ReadUInt16LittleEndian(local.AsSpan(8)) != method)
                throw Refused(path, name, "its local header and the central directory give different compression methods");
            // Without a data descriptor (flag bit 3) the local header repeats the CRC and, unless zip64 moved them, the sizes.
            if ((flags & 8) == 0 && BinaryPrimitives.ReadUInt32LittleEndian(local.AsSpan(14)) != crc)
                throw Refused(path, name, "its local header and the central directory give different CRC-32s");
            var dataStart = offset + LocalLength + localName.Length + BinaryPrimitives.ReadUInt16LittleEndian(local.AsSpan(28));
            spans.Add((offset, dataStart + compressed, name));
        }

        spans.Sort((a, b) => a.Start.CompareTo(b.Start));
        for (var i = 0; i < spans.Count; i++)
        {
            var limit = i + 1 < spans.Count ? spans[i + 1].Start : directoryOffset;
            if (spans[i].End > limit || spans[i].End > length)
                throw Refused(path, spans[i].Name, i + 1 < spans.Count
                    ? $"its data overlaps entry '{spans[i + 1].Name}'"
                    : "its data runs into the central directory or past the end of the file");
        }
        return records;
    }

    /// <summary>The error for an entry that breaks a format's rules (an unknown name, an inflated size the format cannot need).</summary>
    public static InvalidDataException Refused(string path, string? entry, string reason)
        => new($"'{path}' is refused: {(entry is null ? "" : $"entry '{entry}': ")}{reason}. " +
               "Such a file was not written by PyTorch, TorchSharp or MLNetCnn, or was altered since; use the original file.");

    private static string? NameProblem(string name)
    {
        if (name.Length == 0 || name.Contains('\0'))
            return "the name is empty or holds a NUL";
        if (name.Contains('\\'))
            return "the name holds a backslash";
        if (name.StartsWith('/'))
            return "the name is an absolute path";
        if (name.Split('/').Contains(".."))
            return "the name climbs out of the archive with '..'";
        return null;
    }

    // The zip64 extra field (0x0001) carries, in this order, those of the sizes and the offset that are 0xFFFFFFFF above.
    private static (long Bytes, long Compressed, long Offset)? Zip64Sizes(ReadOnlySpan<byte> extra, long bytes, long compressed, long offset)
    {
        while (extra.Length >= 4)
        {
            var id = BinaryPrimitives.ReadUInt16LittleEndian(extra);
            var size = BinaryPrimitives.ReadUInt16LittleEndian(extra[2..]);
            if (4 + size > extra.Length)
                break;
            if (id == 1)
            {
                Span<long> values = [bytes, compressed, offset];
                var field = 4;
                for (var v = 0; v < values.Length; v++)
                    if (values[v] == uint.MaxValue && field + 8 <= 4 + size)
                    {
                        values[v] = BinaryPrimitives.ReadInt64LittleEndian(extra[field..]);
                        field += 8;
                    }
                (bytes, compressed, offset) = (values[0], values[1], values[2]);
            }
            extra = extra[(4 + size)..];
        }
        return bytes < 0 || compressed < 0 || offset < 0 ? null : (bytes, compressed, offset);
    }

    private static (long Count, long Offset, long Size, long End) FindDirectory(FileStream file, string path, string expected)
    {
        var tailLength = (int)Math.Min(file.Length, EndLength + ushort.MaxValue);
        var tail = ReadAt(file, file.Length - tailLength, tailLength, path);
        for (var i = tail.Length - EndLength; i >= 0; i--)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(i)) != EndSignature)
                continue;
            var end = file.Length - tailLength + i;
            long count = BinaryPrimitives.ReadUInt16LittleEndian(tail.AsSpan(i + 10));
            long size = BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(i + 12));
            long offset = BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(i + 16));
            if (count != ushort.MaxValue && size != uint.MaxValue && offset != uint.MaxValue)
                return (count, offset, size, end);
            // Zip64: a locator just before the end record points at the zip64 end record.
            if (end < 20 || BinaryPrimitives.ReadUInt32LittleEndian(ReadAt(file, end - 20, 4, path)) != Zip64LocatorSignature)
                throw Refused(path, null, "its end record asks for zip64 but there is no zip64 locator");
            var recordOffset = BinaryPrimitives.ReadInt64LittleEndian(ReadAt(file, end - 12, 8, path));
            var record = ReadAt(file, recordOffset, 56, path);
            if (recordOffset < 0 || BinaryPrimitives.ReadUInt32LittleEndian(record) != Zip64EndSignature)
                throw Refused(path, null, "its zip64 locator points at no zip64 end record");
            return (BinaryPrimitives.ReadInt64LittleEndian(record.AsSpan(32)), BinaryPrimitives.ReadInt64LittleEndian(record.AsSpan(48)),
                BinaryPrimitives.ReadInt64LittleEndian(record.AsSpan(40)), recordOffset);
        }
        throw new InvalidDataException($"'{path}' is not {expected}: it is not a zip file (no end of central directory record).");
    }

    private static byte[] ReadAt(FileStream file, long offset, int count, string path, string? entry = null)
    {
        if (offset < 0 || count < 0 || offset + count > file.Length)
            throw Refused(path, entry, $"a record at offset {offset} runs past the end of the file ({file.Length} bytes)");
        var buffer = new byte[count];
        file.Position = offset;
        file.ReadExactly(buffer);
        return buffer;
    }
}

using System.IO.Compression;
using System.IO.Hashing;

namespace MLNetCnn.Zoo;

/// <summary>
/// Reads zip entries and checks each against the CRC-32 its header records, so a flipped byte inside a stored or
/// deflated entry is an error naming the file and entry instead of silently different weights (PyTorch does not check).
/// Every read is capped: an entry that inflates past what its format can need is refused before it fills memory.
/// </summary>
internal static class ZipIntegrity
{
    /// <summary>The entry's bytes, verified, once its declared size is within <paramref name="maxBytes"/>.</summary>
    /// <exception cref="InvalidDataException">The entry is larger than <paramref name="maxBytes"/>, does not inflate, or its bytes do not match its CRC-32.</exception>
    public static byte[] ReadVerified(ZipArchiveEntry entry, string path, long maxBytes)
    {
        using var buffer = new MemoryStream();
        Stream(entry, path, maxBytes, buffer);
        return buffer.ToArray();
    }

    /// <summary>
    /// Checks the zip file at <paramref name="path"/> (a PyTorch .pt/.pth file, say) before another reader trusts it: its
    /// structure (<see cref="ZipLayout"/>), that every entry is one <paramref name="maxBytesOf"/> knows, and every entry's CRC-32,
    /// streamed through without holding the entry.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="expected">What the file should be, for the error when it is no zip at all.</param>
    /// <param name="maxBytesOf">The most bytes an entry of that name can need in this format; null for a name the format does not have.</param>
    /// <param name="maxTotalBytes">The most bytes all entries together can need.</param>
    /// <exception cref="InvalidDataException">The file is not a zip, could be read two ways, holds an unknown or oversized entry, or an entry is corrupt.</exception>
    public static void VerifyAll(string path, string expected, Func<string, long?> maxBytesOf, long maxTotalBytes)
    {
        var records = ZipLayout.Read(path, expected);
        long total = 0;
        foreach (var record in records.Values)
        {
            var max = maxBytesOf(record.Name) ?? throw ZipLayout.Refused(path, record.Name, $"{expected} has no entry of that name");
            if (record.Bytes > max)
                throw ZipLayout.Refused(path, record.Name, $"it declares {record.Bytes:N0} bytes where {expected} needs at most {max:N0}");
            total += record.Bytes;
        }
        if (total > maxTotalBytes)
            throw ZipLayout.Refused(path, null, $"its entries declare {total:N0} bytes where {expected} needs at most {maxTotalBytes:N0}");
        using var zip = ZipFile.OpenRead(path);
        foreach (var entry in zip.Entries)
            Stream(entry, path, maxBytesOf(entry.FullName)!.Value, System.IO.Stream.Null);
    }

    // Copies the entry to the target through a CRC-32, stopping at one byte more than the entry declares (or may have).
    private static void Stream(ZipArchiveEntry entry, string path, long maxBytes, Stream target)
    {
        if (entry.Length > maxBytes)
            throw Corrupt(path, entry, $"it declares {entry.Length:N0} bytes where this format needs at most {maxBytes:N0}");
        var crc = new Crc32();
        var buffer = new byte[1 << 16];
        long read = 0;
        try
        {
            using var stream = entry.Open();
            int n;
            while ((n = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, entry.Length - read + 1))) > 0)
            {
                read += n;
                if (read > entry.Length)
                    break;
                crc.Append(buffer.AsSpan(0, n));
                target.Write(buffer, 0, n);
            }
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            throw Corrupt(path, entry, $"it cannot be read ({e.Message})");
        }
        if (read != entry.Length)
            throw Corrupt(path, entry, read > entry.Length
                ? $"it inflates past the {entry.Length:N0} bytes its header says"
                : $"it holds {read:N0} bytes where its header says {entry.Length:N0}");
        var value = crc.GetCurrentHashAsUInt32();
        if (value != entry.Crc32)
            throw Corrupt(path, entry, $"its CRC-32 is {value:x8} where its header says {entry.Crc32:x8}");
    }

    private static InvalidDataException Corrupt(string path, ZipArchiveEntry entry, string reason)
        => new($"'{path}' is corrupt: entry '{entry.FullName}': {reason}. The file was damaged after it was written; use an intact copy.");
}

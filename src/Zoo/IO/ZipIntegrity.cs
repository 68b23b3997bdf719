using System.IO.Compression;
using System.IO.Hashing;

namespace MLNetCnn.Zoo;

/// <summary>
/// Reads zip entries and checks each against the CRC-32 its header records, so a flipped byte inside a stored or
/// deflated entry is an error naming the file and entry instead of silently different weights (PyTorch does not check).
/// </summary>
internal static class ZipIntegrity
{
    /// <summary>The entry's bytes, verified.</summary>
    /// <exception cref="InvalidDataException">The entry does not inflate, or its bytes do not match its CRC-32.</exception>
    public static byte[] ReadVerified(ZipArchiveEntry entry, string path)
    {
        using var buffer = new MemoryStream();
        try
        {
            using var stream = entry.Open();
            stream.CopyTo(buffer);
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            throw Corrupt(path, entry, $"it cannot be read ({e.Message})");
        }
        var bytes = buffer.ToArray();
        if (bytes.Length != entry.Length)
            throw Corrupt(path, entry, $"it holds {bytes.Length} bytes where its header says {entry.Length}");
        var crc = Crc32.HashToUInt32(bytes);
        if (crc != entry.Crc32)
            throw Corrupt(path, entry, $"its CRC-32 is {crc:x8} where its header says {entry.Crc32:x8}");
        return bytes;
    }

    /// <summary>Checks every entry of the zip file at <paramref name="path"/> (a PyTorch .pt/.pth file, say) before another reader trusts it.</summary>
    /// <param name="path">The file.</param>
    /// <param name="expected">What the file should be, for the error when it is no zip at all.</param>
    /// <exception cref="InvalidDataException">The file is not a zip, or an entry is corrupt.</exception>
    public static void VerifyAll(string path, string expected)
    {
        ZipArchive zip;
        try { zip = ZipFile.OpenRead(path); }
        catch (InvalidDataException e) { throw new InvalidDataException($"'{path}' is not {expected}: it is not a zip file ({e.Message}).", e); }
        using (zip)
            foreach (var entry in zip.Entries)
                ReadVerified(entry, path);
    }

    private static InvalidDataException Corrupt(string path, ZipArchiveEntry entry, string reason)
        => new($"'{path}' is corrupt: entry '{entry.FullName}': {reason}. The file was damaged after it was written; use an intact copy.");
}

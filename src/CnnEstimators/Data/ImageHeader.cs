using System.Buffers.Binary;

namespace MLNetCnn.Data;

/// <summary>
/// Reads the width and height an image file declares in its header, without decoding it: the size a decoder would
/// allocate for, so an image that lies about its size can be refused before that allocation. Knows PNG, JPEG, GIF, BMP
/// and WebP (the formats ML.NET's SkiaSharp loader reads); any other file gives null and is left to the decoder.
/// </summary>
internal static class ImageHeader
{
    // Enough for every format but JPEG, whose size sits after a variable run of segments (read by seeking).
    private const int FixedHeaderBytes = 32;

    private static ReadOnlySpan<byte> PngSignature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>The declared (width, height), or null when the format is not one of ours or the header is cut short.</summary>
    public static (long Width, long Height)? ReadSize(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 4096);
        Span<byte> head = stackalloc byte[FixedHeaderBytes];
        var length = stream.ReadAtLeast(head, FixedHeaderBytes, throwOnEndOfStream: false);
        head = head[..length];
        if (head.Length >= 24 && head[..8].SequenceEqual(PngSignature) && head[12..16].SequenceEqual("IHDR"u8))
            return (BinaryPrimitives.ReadUInt32BigEndian(head[16..]), BinaryPrimitives.ReadUInt32BigEndian(head[20..]));
        if (head.Length >= 10 && (head[..6].SequenceEqual("GIF87a"u8) || head[..6].SequenceEqual("GIF89a"u8)))
            return (BinaryPrimitives.ReadUInt16LittleEndian(head[6..]), BinaryPrimitives.ReadUInt16LittleEndian(head[8..]));
        if (head.Length >= 26 && head[0] == 'B' && head[1] == 'M')
            return BmpSize(head);
        if (head.Length >= 30 && head[..4].SequenceEqual("RIFF"u8) && head[8..12].SequenceEqual("WEBP"u8))
            return WebPSize(head);
        if (head.Length >= 2 && head[0] == 0xFF && head[1] == 0xD8)
            return JpegSize(stream);
        return null;
    }

    private static (long, long)? BmpSize(ReadOnlySpan<byte> head)
    {
        var infoSize = BinaryPrimitives.ReadUInt32LittleEndian(head[14..]);
        if (infoSize == 12)  // OS/2 BITMAPCOREHEADER: 16-bit sizes
            return (BinaryPrimitives.ReadUInt16LittleEndian(head[18..]), BinaryPrimitives.ReadUInt16LittleEndian(head[20..]));
        // A negative height means rows stored top-down; its magnitude is the size.
        return (Math.Abs((long)BinaryPrimitives.ReadInt32LittleEndian(head[18..])), Math.Abs((long)BinaryPrimitives.ReadInt32LittleEndian(head[22..])));
    }

    private static (long, long)? WebPSize(ReadOnlySpan<byte> head)
    {
        var chunk = head[12..16];
        var data = head[20..];
        if (chunk.SequenceEqual("VP8X"u8))  // extended: 24-bit canvas size minus one
            return (1 + (data[4] | data[5] << 8 | data[6] << 16), 1 + (data[7] | data[8] << 8 | data[9] << 16));
        if (chunk.SequenceEqual("VP8L"u8) && data[0] == 0x2F)  // lossless: 14-bit sizes minus one after the signature byte
        {
            var bits = BinaryPrimitives.ReadUInt32LittleEndian(data[1..]);
            return (1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF));
        }
        if (chunk.SequenceEqual("VP8 "u8) && data[3] == 0x9D && data[4] == 0x01 && data[5] == 0x2A)  // lossy: after the start code
            return (BinaryPrimitives.ReadUInt16LittleEndian(data[6..]) & 0x3FFF, BinaryPrimitives.ReadUInt16LittleEndian(data[8..]) & 0x3FFF);
        return null;
    }

    /// <summary>Walks the marker segments to the first start-of-frame, which holds the size.</summary>
    private static (long, long)? JpegSize(Stream stream)
    {
        stream.Position = 2;
        Span<byte> segment = stackalloc byte[7];
        while (stream.ReadAtLeast(segment[..2], 2, throwOnEndOfStream: false) == 2)
        {
            if (segment[0] != 0xFF)
                return null;
            var marker = segment[1];
            if (marker == 0xFF) { stream.Position -= 1; continue; }  // fill byte before a marker
            if (marker == 0x01 || marker is >= 0xD0 and <= 0xD7) continue;  // markers without a length
            if (stream.ReadAtLeast(segment[..2], 2, throwOnEndOfStream: false) < 2)
                return null;
            var segmentLength = BinaryPrimitives.ReadUInt16BigEndian(segment);
            if (segmentLength < 2)
                return null;
            // SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC), which share the range.
            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
            {
                if (stream.ReadAtLeast(segment[..5], 5, throwOnEndOfStream: false) < 5)
                    return null;
                return (BinaryPrimitives.ReadUInt16BigEndian(segment[3..]), BinaryPrimitives.ReadUInt16BigEndian(segment[1..]));
            }
            stream.Position += segmentLength - 2;
        }
        return null;
    }
}

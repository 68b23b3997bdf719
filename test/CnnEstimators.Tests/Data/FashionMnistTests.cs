using System.Buffers.Binary;
using System.IO.Compression;
using FluentAssertions;
using Microsoft.ML.Data;
using MLNetCnn.Tests.Support;

namespace MLNetCnn.Tests.Data;

/// <summary>The IDX reader and the PNG folder writer, on small IDX files written here in the format's own layout.</summary>
public class FashionMnistTests
{
    [Fact]
    public void Read_ThenWriteImageFolder_KeepsEveryPixelAndLabel()
    {
        using var folder = new TempFolder();
        var random = new Random(4);
        var pixels = new byte[5 * 28 * 28];
        random.NextBytes(pixels);
        byte[] labels = [0, 9, 3, 0, 7];
        WriteIdx(folder.File("t10k-images-idx3-ubyte.gz"), 0x803, [5, 28, 28], pixels);
        WriteIdx(folder.File("t10k-labels-idx1-ubyte.gz"), 0x801, [5], labels);

        var set = FashionMnist.Read(folder.Path, train: false);
        set.Count.Should().Be(5);
        set.Label(1).Should().Be("Ankle boot");
        set.Image(2).ToArray().Should().Equal(pixels.AsSpan(2 * 784, 784).ToArray());
        FashionMnist.Read(folder.Path, train: false, limit: 2).Count.Should().Be(2);

        var images = folder.File("images");
        FashionMnist.WriteImageFolder(set, images);
        var rows = ImageFolder.Read(images);
        rows.Select(r => r.Label).Should().BeEquivalentTo(["T-shirt-top", "T-shirt-top", "Ankle boot", "Dress", "Sneaker"]);
        using var written = MLImage.CreateFromFile(Path.Combine(images, "Dress", "00002.png"));
        written.Pixels.ToArray().Where((_, i) => i % 4 == 0).Should().Equal(pixels.AsSpan(2 * 784, 784).ToArray(), "grey PNGs keep each pixel");
        FluentActions.Invoking(() => FashionMnist.WriteImageFolder(set, images)).Should().Throw<IOException>().WithMessage("*exists*");
        Directory.GetDirectories(folder.Path).Should().HaveCount(1, "nothing is left beside the folder it wrote");
    }

    [Fact]
    public void MissingOrForeignFiles_AreRefusedNamingThem()
    {
        using var folder = new TempFolder();
        FluentActions.Invoking(() => FashionMnist.Read(folder.Path)).Should().Throw<FileNotFoundException>()
            .WithMessage("*train-images-idx3-ubyte.gz*dataset-fashion-mnist*");
        WriteIdx(folder.File("train-images-idx3-ubyte.gz"), 0x801, [1], [0]);
        FluentActions.Invoking(() => FashionMnist.Read(folder.Path)).Should().Throw<InvalidDataException>()
            .WithMessage("*train-images-idx3-ubyte.gz*magic 0x801, expected 0x803*");
    }

    private static void WriteIdx(string path, int magic, int[] dimensions, byte[] data)
    {
        using var gzip = new GZipStream(File.Create(path), CompressionLevel.Fastest);
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, magic);
        gzip.Write(word);
        foreach (var dimension in dimensions)
        {
            BinaryPrimitives.WriteInt32BigEndian(word, dimension);
            gzip.Write(word);
        }
        gzip.Write(data);
    }
}

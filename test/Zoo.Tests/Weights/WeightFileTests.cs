using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using FluentAssertions;
using MLNetCnn.Zoo.Tests.Support;
using static TorchSharp.torch;

namespace MLNetCnn.Zoo.Tests.Weights;

/// <summary>Saving and loading weights in the three formats, and files that must be refused.</summary>
public class WeightFileTests
{
    public static TheoryData<string> AllNames => new(CnnZoo.Names.Where(n => !n.StartsWith("test_")));

    [Theory]
    [MemberData(nameof(AllNames))]
    public void SaveWeights_ThenLoadWeights_TorchSharpFormat_RestoresOutputs(string name)
        => RoundTrip(name, ".bin");

    [Theory]
    [InlineData("resnet20", ".pt")]
    [InlineData("googlenet_aux", ".pth")]
    [InlineData("resnet20", ".safetensors")]
    [InlineData("alexnet_2012", ".safetensors")]
    public void SaveWeights_ThenLoadWeights_PyTorchFormats_RestoresOutputs(string name, string extension)
        => RoundTrip(name, extension);

    private static void RoundTrip(string name, string extension)
    {
        using var file = new TempFile(extension);
        using var saved = CnnZoo.Create(name, numClasses: 6);
        using var loaded = CnnZoo.Create(name, numClasses: 6);
        saved.eval();
        loaded.eval();
        var size = saved.FixedImageSize ?? Math.Max(saved.MinImageSize, 32);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = randn(2, 3, size, size);

        saved.SaveWeights(file.Path);
        loaded.LoadWeights(file.Path);

        loaded.call(x).eq(saved.call(x)).all().item<bool>().Should().BeTrue();
        File.Exists(file.Path + ".tmp").Should().BeFalse("saving writes a temporary file and renames it");
    }

    [Fact]
    public void LoadWeights_OtherArchitecture_ListsMissingUnexpectedAndWrongShapeKeys()
    {
        using var model = CnnZoo.Create("resnet34");

        var act = () => model.LoadWeights(PyTorchReference.File("resnet18.pt"));

        var error = act.Should().Throw<WeightsMismatchException>().Which;
        error.MissingKeys.Should().Contain("layer1.2.conv1.weight");
        error.UnexpectedKeys.Should().BeEmpty();
        error.Message.Should().Contain("resnet18.pt").And.Contain("resnet34").And.Contain("missing keys");
    }

    [Fact]
    public void LoadWeights_OtherClassCount_ReportsWrongShapesAndSuggestsSkip()
    {
        using var model = CnnZoo.Create("resnet18", numClasses: 10);

        var act = () => model.LoadWeights(PyTorchReference.File("resnet18.safetensors"));

        var error = act.Should().Throw<WeightsMismatchException>().Which;
        error.WrongShapeKeys.Should().BeEquivalentTo(
            "fc.weight: [1000,512] in file vs [10,512] in model", "fc.bias: [1000] in file vs [10] in model");
        error.Message.Should().Contain("skip");
    }

    [Fact]
    public void LoadWeights_NotStrict_LoadsTheCommonKeys()
    {
        using var model = CnnZoo.Create("resnet34");
        using var reference = CnnZoo.Create("resnet18");
        reference.LoadWeights(PyTorchReference.File("resnet18.pt"));

        model.LoadWeights(PyTorchReference.File("resnet18.pt"), strict: false);

        model.state_dict()["conv1.weight"].eq(reference.state_dict()["conv1.weight"]).all().item<bool>().Should().BeTrue();
    }

    [Fact]
    public void LoadWeights_MissingFile_NamesIt()
    {
        using var model = CnnZoo.Create("resnet20", numClasses: 10);

        FluentActions.Invoking(() => model.LoadWeights("/nonexistent/w.pt")).Should().Throw<FileNotFoundException>().WithMessage("*/nonexistent/w.pt*");
    }

    [Theory]
    [InlineData(".pt")]
    [InlineData(".safetensors")]
    [InlineData(".bin")]
    public void LoadWeights_TruncatedFile_IsRefusedWithItsPath(string extension)
    {
        using var file = new TempFile(extension);
        using (var model = CnnZoo.Create("resnet20", numClasses: 10))
            model.SaveWeights(file.Path);
        var bytes = File.ReadAllBytes(file.Path);
        File.WriteAllBytes(file.Path, bytes[..(bytes.Length / 2)]);
        using var target = CnnZoo.Create("resnet20", numClasses: 10);

        var act = () => target.LoadWeights(file.Path);

        act.Should().Throw<InvalidDataException>().WithMessage($"*{file.Path}*");
    }

    [Fact]
    public void LoadWeights_SafetensorsOffsetsOutsideFile_IsRefusedBeforeReading()
    {
        using var file = new TempFile(".safetensors");
        var header = Encoding.UTF8.GetBytes("""{"fc.bias":{"dtype":"F32","shape":[10],"data_offsets":[1000000,1000040]}}""");
        var bytes = new byte[8 + header.Length + 40];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        File.WriteAllBytes(file.Path, bytes);
        using var model = CnnZoo.Create("resnet20", numClasses: 10);

        var act = () => model.LoadWeights(file.Path, strict: false);

        act.Should().Throw<InvalidDataException>().WithMessage("*fc.bias*outside the data section of 40 bytes*");
    }

    [Fact]
    public void LoadWeights_SafetensorsHeaderLongerThanFile_IsRefused()
    {
        using var file = new TempFile(".safetensors");
        var bytes = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 1UL << 40);
        File.WriteAllBytes(file.Path, bytes);
        using var model = CnnZoo.Create("resnet20", numClasses: 10);

        FluentActions.Invoking(() => model.LoadWeights(file.Path)).Should().Throw<InvalidDataException>().WithMessage("*header claims*");
    }

    [Theory]
    [InlineData("full_model.pt")]
    [InlineData("checkpoint.pt")]
    public void LoadWeights_PickleHoldingMoreThanAStateDict_IsRefused(string name)
    {
        using var model = CnnZoo.Create("resnet20", numClasses: 10);

        var act = () => model.LoadWeights(PyTorchReference.File(name));

        act.Should().Throw<InvalidDataException>().WithMessage("*state_dict*");
    }

    [Fact]
    public void LoadWeights_PickleThatWouldRunACommand_IsRefusedAndNeverExecuted()
    {
        using var file = new TempFile(".pt");
        using var markerFile = new TempFile(".pwned");   // removed even if the pickle's command did run
        var marker = markerFile.Path;
        // Protocol 2 pickle of os.system("touch MARKER"): GLOBAL, a one-tuple argument, REDUCE, STOP.
        var command = Encoding.ASCII.GetBytes($"touch {marker}");
        var pickle = new List<byte> { 0x80, 0x02 };
        pickle.AddRange(Encoding.ASCII.GetBytes("cposix\nsystem\n"));
        pickle.Add((byte)'X');
        pickle.AddRange(BitConverter.GetBytes(command.Length));
        pickle.AddRange(command);
        pickle.AddRange([0x85, (byte)'R', (byte)'.']);
        using (var zip = ZipFile.Open(file.Path, ZipArchiveMode.Create))
        using (var entry = zip.CreateEntry("archive/data.pkl").Open())
            entry.Write(pickle.ToArray());
        using var model = CnnZoo.Create("resnet20", numClasses: 10);

        var act = () => model.LoadWeights(file.Path);

        act.Should().Throw<InvalidDataException>().WithMessage("*state_dict*");
        File.Exists(marker).Should().BeFalse("the pickle's code must never run");
    }

    [Fact]
    public void LoadWeights_FileOfAnotherFormat_IsRefused()
    {
        using var file = new TempFile(".pt");
        File.WriteAllText(file.Path, "not a zip file at all");
        using var model = CnnZoo.Create("resnet20", numClasses: 10);

        FluentActions.Invoking(() => model.LoadWeights(file.Path)).Should().Throw<InvalidDataException>().WithMessage($"*{file.Path}*not a PyTorch state_dict*");
    }

    // A TorchSharp-format file written by hand: LEB128 count, then per entry a length-prefixed key, dtype, rank, sizes, bytes.
    private static byte[] TorchSharpFile(params (string Key, long[] Shape)[] entries)
    {
        using var buffer = new MemoryStream();
        using var writer = new BinaryWriter(buffer);
        void Number(long value)
        {
            do
            {
                var b = (byte)(value & 0x7F);
                value >>= 7;
                writer.Write(value == 0 ? b : (byte)(b | 0x80));
            }
            while (value != 0);
        }
        Number(entries.Length);
        foreach (var (key, shape) in entries)
        {
            writer.Write(key);
            Number((long)ScalarType.Float32);
            Number(shape.Length);
            foreach (var size in shape)
                Number(size);
            var count = shape.Aggregate(1L, (a, b) => a * b);
            if (count < 1_000_000)
                writer.Write(new byte[4 * count]);
        }
        writer.Flush();
        return buffer.ToArray();
    }

    [Theory]
    [InlineData("duplicate", "appears twice")]
    [InlineData("rank", "9 dimensions")]
    [InlineData("huge", "needs more bytes; 0 are left")]
    public void LoadWeights_TorchSharpFileWithDuplicateKeysOrAbsurdShapes_IsRefusedNamingIt_AndTheModelIsUntouched(string defect, string reason)
    {
        using var file = new TempFile(".bin");
        File.WriteAllBytes(file.Path, defect switch
        {
            "duplicate" => TorchSharpFile(("fc.bias", [4]), ("fc.bias", [4])),
            "rank" => TorchSharpFile(("fc.bias", [1, 1, 1, 1, 1, 1, 1, 1, 4])),
            _ => TorchSharpFile(("fc.weight", [1L << 20, 1L << 20])),
        });
        using var model = CnnZoo.Create("resnet20", numClasses: 4);
        var before = model.state_dict()["fc.bias"].data<float>().ToArray();

        FluentActions.Invoking(() => model.LoadWeights(file.Path)).Should().Throw<InvalidDataException>().WithMessage($"*{file.Path}*{reason}*");
        model.state_dict()["fc.bias"].data<float>().ToArray().Should().Equal(before);
    }
}

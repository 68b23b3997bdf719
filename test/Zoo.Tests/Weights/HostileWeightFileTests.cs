using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using FluentAssertions;
using MLNetCnn.Zoo.Tests.Support;
using static TorchSharp.torch;

namespace MLNetCnn.Zoo.Tests.Weights;

/// <summary>
/// PyTorch weight files made to mislead rather than merely broken: pickles that name code, zips that two readers read two
/// ways, zips that inflate past what the weights can need. Each test makes its hostile file from a genuine one.
/// </summary>
public class HostileWeightFileTests
{
    private const string Architecture = "resnet20";

    // A genuine state_dict in PyTorch's zip format, as its entries (name, bytes) in order.
    private static List<(string Name, byte[] Bytes)> GenuineEntries()
    {
        using var file = new TempFile(".pt");
        using (var model = CnnZoo.Create(Architecture, numClasses: 10))
            model.SaveWeights(file.Path);
        using var zip = ZipFile.OpenRead(file.Path);
        return zip.Entries.Select(e =>
        {
            using var stream = e.Open();
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            return (e.FullName, copy.ToArray());
        }).ToList();
    }

    private static void WriteZip(string path, IEnumerable<(string Name, byte[] Bytes)> entries, CompressionLevel level = CompressionLevel.NoCompression)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var (name, bytes) in entries)
        {
            using var stream = zip.CreateEntry(name, level).Open();
            stream.Write(bytes);
        }
    }

    // Loads the file into a fresh model and returns the error; the model must be as it was (every check precedes the first copy).
    private static InvalidDataException Refusal(string path)
    {
        using var model = CnnZoo.Create(Architecture, numClasses: 10);
        using var before = model.state_dict()["conv1.weight"].clone();
        var error = FluentActions.Invoking(() => model.LoadWeights(path)).Should().Throw<InvalidDataException>().Which;
        model.state_dict()["conv1.weight"].eq(before).all().item<bool>().Should().BeTrue("a refused file leaves the model untouched");
        error.Message.Should().Contain(path);
        return error;
    }

    // The genuine data.pkl with extra opcodes right after its PROTO header (two bytes): they run before the state_dict is built.
    private static List<(string Name, byte[] Bytes)> WithPicklePrefix(string opcodes)
        => GenuineEntries().Select(e => e.Name.EndsWith("/data.pkl", StringComparison.Ordinal)
            ? (e.Name, [.. e.Bytes[..2], .. Encoding.Latin1.GetBytes(opcodes), .. e.Bytes[2..]])
            : e).ToList();

    [Fact]
    public void TheGenuineFile_RewrittenEntryForEntry_StillLoads()
    {
        // The control for every test below: the rewriting itself is not what they refuse.
        using var file = new TempFile(".pt");
        WriteZip(file.Path, GenuineEntries());
        using var model = CnnZoo.Create(Architecture, numClasses: 10);
        model.LoadWeights(file.Path);
    }

    [Theory]
    [InlineData("cposix\nsystem\n0", "posix.system")]            // a bare reference, popped: the unpickler would drop it
    [InlineData("cos\ngetcwd\n)R0", "os.getcwd")]                // a call without arguments, its result popped
    [InlineData("\u008c\u0008builtins\u008c\u0004eval\u0093" + "0", "builtins.eval")]   // STACK_GLOBAL from two pushed strings
    public void APickleNamingAGlobalBeyondAStateDict_IsRefusedNamingIt(string opcodes, string global)
    {
        using var file = new TempFile(".pt");
        WriteZip(file.Path, WithPicklePrefix(opcodes));

        Refusal(file.Path).Message.Should().Contain(global).And.Contain("data.pkl");
    }

    [Fact]
    public void APickleBuiltToExhaustMemory_IsRefusedBeforeUnpickling()
    {
        // 200 KB of BININT1 opcodes: each pushes a value the unpickler would keep, 100,001 of them before the state_dict begins.
        using var file = new TempFile(".pt");
        WriteZip(file.Path, WithPicklePrefix(string.Concat(Enumerable.Repeat("K\u0000", 100_001))));

        Refusal(file.Path).Message.Should().Contain("more than 100,000 values at once");
    }

    [Fact]
    public void APickleUsingTheExtensionRegistry_IsRefused()
    {
        using var file = new TempFile(".pt");
        WriteZip(file.Path, WithPicklePrefix("\u0082\u0001" + "0"));

        Refusal(file.Path).Message.Should().Contain("EXT1");
    }

    [Fact]
    public void ADuplicateDataPkl_IsRefused()
    {
        var entries = GenuineEntries();
        var pickle = entries.Single(e => e.Name.EndsWith("/data.pkl", StringComparison.Ordinal));
        using var file = new TempFile(".pt");
        WriteZip(file.Path, [.. entries, (pickle.Name, Encoding.ASCII.GetBytes("\u0080\u0002}."))]);

        Refusal(file.Path).Message.Should().Contain("appears twice");
    }

    [Theory]
    [InlineData("xdata.pkl", "has no entry of that name")]
    [InlineData("../data.pkl", "'..'")]
    [InlineData("data/0\\..\\x", "backslash")]
    public void AnEntryTheFormatDoesNotHave_OrOneClimbingOut_IsRefused(string name, string reason)
    {
        var entries = GenuineEntries();
        var top = entries[0].Name.Split('/')[0];
        using var file = new TempFile(".pt");
        WriteZip(file.Path, [.. entries, ($"{top}/{name}", [1, 2, 3])]);

        Refusal(file.Path).Message.Should().Contain(reason);
    }

    [Fact]
    public void ALocalHeaderNamingAnotherEntryThanTheCentralDirectory_IsRefused()
    {
        using var file = new TempFile(".pt");
        WriteZip(file.Path, GenuineEntries());
        var bytes = File.ReadAllBytes(file.Path);
        // The first local header's name starts at byte 30; change its last character (the central directory keeps the old one).
        var nameLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(26));
        bytes[30 + nameLength - 1] ^= 1;
        File.WriteAllBytes(file.Path, bytes);

        Refusal(file.Path).Message.Should().Contain("local header names it");
    }

    [Fact]
    public void TwoEntriesPointingAtOneRecord_AreRefused()
    {
        // The overlapping-records bomb: central directory entries that share data. Here every entry of the directory is made
        // to point at the first entry's record.
        using var file = new TempFile(".pt");
        WriteZip(file.Path, GenuineEntries());
        var bytes = File.ReadAllBytes(file.Path);
        var end = bytes.AsSpan().LastIndexOf("PK\u0005\u0006"u8);
        var at = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(end + 16));
        var count = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(end + 10));
        for (var i = 0; i < count; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at + 42), 0);
            at += 46 + BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(at + 28)) + BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(at + 30))
                  + BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(at + 32));
        }
        File.WriteAllBytes(file.Path, bytes);

        Refusal(file.Path).Message.Should().Contain("refused");
    }

    [Fact]
    public void AnEntryInflatingPastWhatTheWeightsCanNeed_IsRefusedBeforeInflating()
    {
        // resnet20 holds about 0.27 M values (about 1 MiB in float32); a storage entry of 64 MiB of zeros deflates to some 64 KiB.
        var entries = GenuineEntries();
        var storage = entries.First(e => e.Name.Contains("/data/", StringComparison.Ordinal)).Name;
        using var file = new TempFile(".pt");
        WriteZip(file.Path, entries.Select(e => e.Name == storage ? (e.Name, new byte[64 << 20]) : e), CompressionLevel.Optimal);
        new FileInfo(file.Path).Length.Should().BeLessThan(2 << 20, "the file is small; only its inflated size is large");

        Refusal(file.Path).Message.Should().Contain(storage).And.Contain("at most");
    }

    [Fact]
    public void ATensorWhoseStorageEntryIsCutShort_IsRefusedByItsKey_WithoutLibtorchsStackTrace()
    {
        // The first storage entry cut to one byte: the tensor over it asks for more than the storage holds.
        var entries = GenuineEntries();
        var storage = entries.First(e => e.Name.Contains("/data/", StringComparison.Ordinal)).Name;
        using var file = new TempFile(".pt");
        WriteZip(file.Path, entries.Select(e => e.Name == storage ? (e.Name, new byte[1]) : e));

        var message = Refusal(file.Path).Message;
        message.Should().MatchRegex(@"tensor '[a-z0-9_.]+' claims shape \[.+\].* but its entry data/\d+ holds 1 bytes");
        message.Should().NotContain("\n", "libtorch's C++ stack trace is left out");
    }

    [Theory]
    [InlineData(0L, new long[] { 16, 3, 3, 3 }, new long[] { 27, 9, 3, 0 }, "contiguous")]              // a zero stride: one element read for many
    [InlineData(-4L, new long[] { 16, 3, 3, 3 }, new long[] { 27, 9, 3, 1 }, "from offset 0")]          // before the storage
    [InlineData(0L, new long[] { 1L << 40, 1L << 40, 1, 1 }, new long[] { 1L << 40, 1, 1, 1 }, "64 bits")]   // more elements than exist
    [InlineData(0L, new long[] { 16, 3, 3, 3 }, new long[] { 27, 9, 3 }, "whole")]                      // strides that do not match the shape
    public void ATensorThatLiesAboutItsShapeOrStrides_IsRefusedByItsKey(long offset, long[] shape, long[] strides, string reason)
    {
        using var file = new TempFile(".pt");
        WriteZip(file.Path, OneTensorStateDict("conv1.weight", elements: 432, offset, shape, strides));

        Refusal(file.Path).Message.Should().Contain($"tensor 'conv1.weight' claims shape [{string.Join(", ", shape)}]").And.Contain(reason)
            .And.NotContain("\n");
    }

    [Fact]
    public void TheHandWrittenStateDict_TellingTheTruth_GetsPastThePickleCheck()
    {
        // The control for the test above: the same pickle with honest arguments is unpickled; loading then stops at the keys it lacks.
        using var file = new TempFile(".pt");
        WriteZip(file.Path, OneTensorStateDict("conv1.weight", elements: 432, 0, [16, 3, 3, 3], [27, 9, 3, 1]));
        using var model = CnnZoo.Create(Architecture, numClasses: 10);

        FluentActions.Invoking(() => model.LoadWeights(file.Path)).Should().Throw<WeightsMismatchException>().WithMessage("*missing*");
    }

    // torch.save's layout for a dict of one float tensor: archive/data.pkl (protocol 2) and archive/data/0 with its bytes.
    private static List<(string Name, byte[] Bytes)> OneTensorStateDict(string key, int elements, long offset, long[] shape, long[] strides)
    {
        var pickle = new List<byte> { 0x80, 2, (byte)'}', (byte)'(' };
        Unicode(key);
        Ascii("ctorch._utils\n_rebuild_tensor_v2\n(");
        Ascii("(");
        Unicode("storage");
        Ascii("ctorch\nFloatStorage\n");
        Unicode("0");
        Unicode("cpu");
        Integer(elements);
        Ascii("tQ");
        Integer(offset);
        Ascii("(");
        foreach (var size in shape) Integer(size);
        Ascii("t(");
        foreach (var stride in strides) Integer(stride);
        Ascii("t\u0089ccollections\nOrderedDict\n)RtRu.");   // False, OrderedDict(): the arguments end; the call; SETITEMS
        return [("archive/data.pkl", [.. pickle]), ("archive/data/0", new byte[elements * 4])];

        void Ascii(string text) => pickle.AddRange(Encoding.Latin1.GetBytes(text));
        void Unicode(string text)
        {
            pickle.Add((byte)'X');
            pickle.AddRange(BitConverter.GetBytes(Encoding.UTF8.GetByteCount(text)));
            pickle.AddRange(Encoding.UTF8.GetBytes(text));
        }
        void Integer(long value)   // BININT as torch.save writes sizes; LONG1 for what needs 64 bits
        {
            if (value is >= int.MinValue and <= int.MaxValue)
            {
                pickle.Add((byte)'J');
                pickle.AddRange(BitConverter.GetBytes((int)value));
                return;
            }
            pickle.Add(0x8a);
            pickle.Add(8);
            pickle.AddRange(BitConverter.GetBytes(value));
        }
    }
}
